"""The handler in S3 mode against moto's server: latest + history, same bytes as a local run."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import handler
from datalogger.errors import RunFailed, WriteError
from github_client import ManualClock
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.samples import small_org
from tests.runtime_support import (
    RUN_START,
    aws_env,
    boto_client,
    dir_snapshot,
    environ,
    handler_env,
    json_log_lines,
    moto_server,
    s3_objects,
    schema,
)

DATASETS = ("repositories.json", "dependabot.json", "secret_scanning.json")
HISTORY = "history/2026-11-30/"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def bucket(moto_endpoint: str, request: pytest.FixtureRequest) -> str:
    name = "policy-" + request.node.name.lower().replace("_", "-")[:40].strip("-[]")
    boto_client("s3", moto_endpoint).create_bucket(Bucket=name)
    return name


def run_s3(env: dict[str, str], endpoint: str, **event: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Run with boto3 configured only through its own environment variables."""
    stream = io.StringIO()
    services = handler.Services(
        env=env, clock=ManualClock(RUN_START.timestamp()), log_stream=stream
    )
    with environ(aws_env(endpoint)):
        try:
            result: Any = handler.run(event, None, services)
        except RunFailed as failed:
            result = failed
    return result, json_log_lines(stream)


def test_s3_mode_writes_latest_and_history_with_local_bytes(
    fake_github: Callable[..., FakeGitHub],
    moto_endpoint: str,
    bucket: str,
    tmp_path: Path,
    app_private_key: str,
) -> None:
    clock = ManualClock(RUN_START.timestamp())
    fake = fake_github(small_org(), clock=clock)
    local_env = handler_env(tmp_path, fake.url, app_private_key)
    s3_env = {**local_env, "WRITE_TO_S3": "true", "S3_BUCKET": bucket}
    del s3_env["OUTPUT_DIR"]

    summary, logs = run_s3(s3_env, moto_endpoint)
    assert isinstance(summary, dict), summary
    objects = s3_objects(boto_client("s3", moto_endpoint), bucket)
    expected_keys = {*DATASETS, "changes.json", "digest.md", "run_summary.json"}
    # trend.json is the one file without a history copy.
    assert set(objects) == expected_keys | {HISTORY + n for n in expected_keys} | {"trend.json"}
    for name in expected_keys:
        assert objects[name] == objects[HISTORY + name]
    assert json.loads(objects["run_summary.json"]) == summary
    jsonschema.validate(summary, schema("run_summary.schema.json"))
    assert logs[-1]["written"] == [
        f"s3://{bucket}/{HISTORY}run_summary.json",
        f"s3://{bucket}/run_summary.json",
    ]

    # The same GitHub state written locally gives the same bytes.
    assert handler.run({}, None, handler.Services(env=local_env, clock=clock)) is not None
    local = dir_snapshot(Path(local_env["OUTPUT_DIR"]))
    for name in DATASETS:
        assert objects[name] == local[name]


def test_s3_failed_collection_keeps_previous_object(
    fake_github: Callable[..., FakeGitHub],
    moto_endpoint: str,
    bucket: str,
    tmp_path: Path,
    app_private_key: str,
) -> None:
    s3 = boto_client("s3", moto_endpoint)
    s3.put_object(Bucket=bucket, Key="secret_scanning.json", Body=b"[ ]\n")
    fake = fake_github(
        small_org(),
        Faults(failing_routes={"secret_scanning_alerts": 404}),
        clock=ManualClock(RUN_START.timestamp()),
    )
    env = {
        **handler_env(tmp_path, fake.url, app_private_key),
        "WRITE_TO_S3": "true",
        "S3_BUCKET": bucket,
    }
    result, _ = run_s3(env, moto_endpoint)
    assert isinstance(result, RunFailed)
    assert list(result.failed) == ["secret_scanning"]
    objects = s3_objects(s3, bucket)
    assert objects["secret_scanning.json"] == b"[ ]\n"
    assert HISTORY + "secret_scanning.json" not in objects
    assert {"repositories.json", "dependabot.json", "run_summary.json"} <= set(objects)
    summary = json.loads(objects["run_summary.json"])
    assert summary["collections"]["secret_scanning"]["status"] == "failed"
    assert "404" in summary["collections"]["secret_scanning"]["error"]
    assert not Path(env["OUTPUT_DIR"]).exists()  # S3 mode writes nothing locally


def test_missing_bucket_fails_the_run_clearly(
    fake_github: Callable[..., FakeGitHub],
    moto_endpoint: str,
    tmp_path: Path,
    app_private_key: str,
) -> None:
    fake = fake_github(small_org(), clock=ManualClock(RUN_START.timestamp()))
    env = {
        **handler_env(tmp_path, fake.url, app_private_key),
        "WRITE_TO_S3": "true",
        "S3_BUCKET": "no-such-bucket-anywhere",
    }
    stream = io.StringIO()
    services = handler.Services(
        env=env, clock=ManualClock(RUN_START.timestamp()), log_stream=stream
    )
    with environ(aws_env(moto_endpoint)), pytest.raises(WriteError) as info:
        handler.run({"collections": ["dependabot"]}, None, services)
    assert "no-such-bucket-anywhere" in str(info.value)
    assert "NoSuchBucket" in str(info.value)
    messages = [line["message"] for line in json_log_lines(stream)]
    assert "dataset not written" in messages
    assert "run summary not written" in messages
