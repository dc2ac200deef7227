"""Writers: deterministic bytes, atomic local files, S3 latest + history over moto."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from datalogger.errors import ReadError, WriteError
from datalogger.writers import (
    CONTENT_TYPE,
    DATASET_FILES,
    LocalWriter,
    S3Writer,
    StoredCopy,
    dataset_bytes,
    json_bytes,
)
from tests.runtime_support import aws_env, boto_client, environ, moto_server, s3_objects

BUCKET = "acme-policy-data"


def alert(repo: str, created: str, number: int) -> dict[str, Any]:
    return {
        "repository": repo,
        "repository_url": f"https://github.com/acme/{repo}",
        "created_at": created,
        "severity": "high",
        "alert_url": f"https://github.com/acme/{repo}/security/dependabot/{number}",
        "repository_visibility": "PRIVATE",
        "repository_archived": False,
    }


ALERTS = [
    alert("api", "2026-01-02T00:00:00Z", 3),
    alert("api", "2026-01-02T00:00:00Z", 12),
    alert("api", "2026-03-01T00:00:00Z", 1),
    alert("Zeta", "2025-01-01T00:00:00Z", 7),
    alert("web", "2024-05-05T00:00:00Z", 2),
]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3(moto_endpoint: str) -> Any:
    client = boto_client("s3", moto_endpoint)
    existing = {b["Name"] for b in client.list_buckets()["Buckets"]}
    if BUCKET in existing:
        for key in s3_objects(client, BUCKET):
            client.delete_object(Bucket=BUCKET, Key=key)
    else:
        client.create_bucket(Bucket=BUCKET)
    return client


# --------------------------------------------------------------------------- bytes


def test_json_bytes_format_is_canonical() -> None:
    data = json_bytes([{"name": "café", "n": 1}])
    assert data == '[\n  {\n    "name": "café",\n    "n": 1\n  }\n]\n'.encode()
    assert data.endswith(b"]\n")


def test_json_bytes_built_in_pieces_equal_json_dumps() -> None:
    # Far more encoder pieces than one batch, with every JSON value kind and
    # text outside ASCII (cut between batches anywhere).
    document = [
        {
            "name": f"répo-{index}-✓",
            "n": index,
            "score": index / 7,
            "flag": index % 2 == 0,
            "none": None,
            "empty": {},
            "list": [],
            "nested": {"checks": ["a", "b"], "why": {"x": "\u00e9\u4e2d\U0001f600"}},
        }
        for index in range(3_000)
    ]
    expected = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    assert json_bytes(document) == expected
    assert json_bytes({}) == b"{}\n"
    assert json_bytes([]) == b"[]\n"


@pytest.mark.parametrize("seed", range(5))
def test_dataset_bytes_ignore_input_order(seed: int) -> None:
    shuffled = list(ALERTS)
    random.Random(seed).shuffle(shuffled)
    assert dataset_bytes("dependabot", shuffled) == dataset_bytes("dependabot", ALERTS)


def test_alerts_sorted_by_repository_then_created_then_url() -> None:
    records = json.loads(dataset_bytes("dependabot", list(reversed(ALERTS))))
    # code point order (upper case first); same created_at: alert_url as a string
    assert [(r["repository"], r["alert_url"].rsplit("/", 1)[1]) for r in records] == [
        ("Zeta", "7"),
        ("api", "12"),
        ("api", "3"),
        ("api", "1"),
        ("web", "2"),
    ]


def test_secret_scanning_sorted_by_creation_date() -> None:
    records = [
        {"repository": "a", "creation_date": "2026-02-01T00:00:00Z", "alert_url": "u1"},
        {"repository": "a", "creation_date": "2026-01-01T00:00:00Z", "alert_url": "u2"},
    ]
    out = json.loads(dataset_bytes("secret_scanning", records))
    assert [r["alert_url"] for r in out] == ["u2", "u1"]


def test_repositories_sorted_by_name_and_field_order_kept() -> None:
    records = [
        {"name": "b", "type": "PUBLIC", "checklist": {"z": True, "a": False}},
        {"name": "a", "type": "PRIVATE", "checklist": {}},
    ]
    text = dataset_bytes("repositories", records).decode()
    assert [r["name"] for r in json.loads(text)] == ["a", "b"]
    assert text.index('"z"') < text.index('"a": false')  # keys are not re-sorted


def test_unknown_collection_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown collection"):
        dataset_bytes("issues", [])


# --------------------------------------------------------------------------- local


def test_local_writer_writes_whole_file_without_leftovers(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "out"
    writer = LocalWriter(out)
    data = dataset_bytes("dependabot", ALERTS)
    assert writer.write(DATASET_FILES["dependabot"], data) == [str(out / "dependabot.json")]
    assert (out / "dependabot.json").read_bytes() == data
    writer.write(DATASET_FILES["dependabot"], b"[]\n")
    assert (out / "dependabot.json").read_bytes() == b"[]\n"
    assert sorted(p.name for p in out.iterdir()) == ["dependabot.json"]


def test_local_writer_failure_keeps_previous_copy_and_cleans_up(tmp_path: Path) -> None:
    writer = LocalWriter(tmp_path)
    (tmp_path / "repositories.json").mkdir()  # os.replace onto a directory fails
    (tmp_path / "dependabot.json").write_bytes(b"previous\n")
    with pytest.raises(WriteError) as info:
        writer.write("repositories.json", b"[]\n")
    assert "repositories.json" in str(info.value)
    assert "OUTPUT_DIR" in str(info.value)
    assert (tmp_path / "dependabot.json").read_bytes() == b"previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dependabot.json", "repositories.json"]


def test_local_writer_output_dir_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a directory")
    with pytest.raises(WriteError, match="OUTPUT_DIR"):
        LocalWriter(blocker).write("run_summary.json", b"{}\n")


# --------------------------------------------------------------------------- S3 (moto)


def test_s3_writer_puts_latest_and_history_with_local_bytes(s3: Any, tmp_path: Path) -> None:
    data = dataset_bytes("dependabot", ALERTS)
    LocalWriter(tmp_path).write("dependabot.json", data)
    written = S3Writer(BUCKET, date(2026, 11, 30), s3).write("dependabot.json", data)
    assert written == [
        f"s3://{BUCKET}/history/2026-11-30/dependabot.json",
        f"s3://{BUCKET}/dependabot.json",
    ]
    objects = s3_objects(s3, BUCKET)
    assert objects == {"dependabot.json": data, "history/2026-11-30/dependabot.json": data}
    assert objects["dependabot.json"] == (tmp_path / "dependabot.json").read_bytes()
    head = s3.head_object(Bucket=BUCKET, Key="dependabot.json")
    assert head["ContentType"] == CONTENT_TYPE


def test_s3_writer_history_accumulates_per_day(s3: Any) -> None:
    S3Writer(BUCKET, date(2026, 11, 23), s3).write("run_summary.json", b"{}\n")
    S3Writer(BUCKET, date(2026, 11, 30), s3).write("run_summary.json", b'{"x": 1}\n')
    objects = s3_objects(s3, BUCKET)
    assert objects["run_summary.json"] == b'{"x": 1}\n'
    assert objects["history/2026-11-23/run_summary.json"] == b"{}\n"
    assert objects["history/2026-11-30/run_summary.json"] == b'{"x": 1}\n'


def test_s3_writer_missing_bucket_raises_write_error(s3: Any) -> None:
    with pytest.raises(WriteError) as info:
        S3Writer("no-such-bucket-here", date(2026, 11, 30), s3).write("x.json", b"[]\n")
    message = str(info.value)
    assert "s3://no-such-bucket-here/history/2026-11-30/x.json" in message
    assert "NoSuchBucket" in message
    assert "s3:PutObject" in message


def test_s3_writer_builds_its_client_from_boto3_variables(s3: Any, moto_endpoint: str) -> None:
    with environ(aws_env(moto_endpoint)):
        S3Writer(BUCKET, date(2026, 11, 30)).write("secret_scanning.json", b"[]\n")
    assert s3_objects(s3, BUCKET)["secret_scanning.json"] == b"[]\n"


# --------------------------------------------------------------------------- reading back


def test_local_read_latest_gives_the_bytes_and_the_file_mtime(tmp_path: Path) -> None:
    writer = LocalWriter(tmp_path)
    assert writer.read_latest("repositories.json") is None
    writer.write("repositories.json", b"[]\n")
    os.utime(tmp_path / "repositories.json", (1_764_500_000, 1_764_500_000))
    copy = writer.read_latest("repositories.json")
    assert copy == StoredCopy(b"[]\n", datetime.fromtimestamp(1_764_500_000, UTC))
    assert copy.written_at.tzinfo is UTC


def test_local_read_latest_of_an_unreadable_path_raises_read_error(tmp_path: Path) -> None:
    (tmp_path / "trend.json").mkdir()  # a directory where the file should be
    with pytest.raises(ReadError) as info:
        LocalWriter(tmp_path).read_latest("trend.json")
    assert str(tmp_path / "trend.json") in str(info.value)


def test_local_history_flag_changes_nothing_locally(tmp_path: Path) -> None:
    assert LocalWriter(tmp_path).write("trend.json", b"[]\n", history=False) == [
        str(tmp_path / "trend.json")
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trend.json"]


def test_s3_read_latest_gives_the_latest_key_and_its_last_modified(s3: Any) -> None:
    writer = S3Writer(BUCKET, date(2026, 11, 30), s3)
    assert writer.read_latest("dependabot.json") is None  # NoSuchKey: no previous copy
    writer.write("dependabot.json", b"[1]\n")
    s3.put_object(Bucket=BUCKET, Key="history/2026-11-30/dependabot.json", Body=b"[2]\n")
    copy = writer.read_latest("dependabot.json")
    assert copy is not None
    assert copy.data == b"[1]\n"
    head = s3.head_object(Bucket=BUCKET, Key="dependabot.json")
    assert copy.written_at == head["LastModified"].astimezone(UTC)
    assert copy.written_at.tzinfo is UTC


def test_s3_write_without_history_puts_the_latest_key_only(s3: Any) -> None:
    written = S3Writer(BUCKET, date(2026, 11, 30), s3).write("trend.json", b"[]\n", history=False)
    assert written == [f"s3://{BUCKET}/trend.json"]
    assert s3_objects(s3, BUCKET) == {"trend.json": b"[]\n"}


def test_s3_markdown_is_stored_as_markdown(s3: Any) -> None:
    S3Writer(BUCKET, date(2026, 11, 30), s3).write("digest.md", b"# x\n")
    head = s3.head_object(Bucket=BUCKET, Key="digest.md")
    assert head["ContentType"] == "text/markdown; charset=utf-8"


class _DeniedS3:
    """An S3 client whose GetObject answers as S3 does without s3:ListBucket, or worse."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.calls: list[dict[str, Any]] = []

    def put_object(self, **kwargs: Any) -> Any:
        raise AssertionError("not expected")

    def get_object(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        raise ClientError({"Error": {"Code": self.code, "Message": "x"}}, "GetObject")


def test_s3_access_denied_on_get_means_no_previous_copy() -> None:
    client = _DeniedS3("AccessDenied")
    assert S3Writer(BUCKET, date(2026, 11, 30), client).read_latest("trend.json") is None
    assert client.calls == [{"Bucket": BUCKET, "Key": "trend.json"}]


def test_s3_other_get_errors_raise_read_error_naming_the_key() -> None:
    with pytest.raises(ReadError) as info:
        S3Writer(BUCKET, date(2026, 11, 30), _DeniedS3("SlowDown")).read_latest("trend.json")
    assert f"s3://{BUCKET}/trend.json" in str(info.value)
    assert "SlowDown" in str(info.value)
