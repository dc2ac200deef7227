# ruff: noqa: E501  (one-line table rows read better than wrapped ones)
"""The ``output_prefix`` event key: validated before any GitHub call, applied to every path and key."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import handler
from datalogger.config import parse_output_prefix
from datalogger.errors import ConfigError
from github_client import ManualClock
from tests.fake_github import FakeGitHub
from tests.fake_github.samples import small_org
from tests.runtime_support import (
    RUN_START,
    aws_env,
    boto_client,
    dir_snapshot,
    edit_config,
    environ,
    handler_env,
    moto_server,
    s3_objects,
)

FILES = ("repositories.json", "dependabot.json", "secret_scanning.json", "run_summary.json")
# Built from the datasets: changes.json and digest.md with history, trend.json latest only.
FOLLOW_UPS = ("changes.json", "digest.md")
FIX = 'Use letters, digits and . _ - / only, ending in "/", e.g. "orgs/acme/".'

# (id, value, the exact message)
REFUSED = [
    (
        "dot-dot",
        "orgs/../",
        'Invalid invocation event: key \'output_prefix\' "orgs/../" contains "..". ' + FIX,
    ),
    (
        "dot-dot-inside",
        "orgs/a..b/",
        'Invalid invocation event: key \'output_prefix\' "orgs/a..b/" contains "..". ' + FIX,
    ),
    (
        "leading-slash",
        "/orgs/acme/",
        'Invalid invocation event: key \'output_prefix\' "/orgs/acme/" starts with "/". ' + FIX,
    ),
    (
        "space",
        "orgs/ac me/",
        "Invalid invocation event: key 'output_prefix' \"orgs/ac me/\" contains characters outside letters, digits and ._-/. "
        + FIX,
    ),
    (
        "backslash",
        "orgs\\acme/",
        "Invalid invocation event: key 'output_prefix' \"orgs\\\\acme/\" contains characters outside letters, digits and ._-/. "
        + FIX,
    ),
    (
        "non-ascii",
        "orgs/äcme/",
        "Invalid invocation event: key 'output_prefix' \"orgs/äcme/\" contains characters outside letters, digits and ._-/. "
        + FIX,
    ),
    (
        "newline",
        "orgs/acme/\n",
        "Invalid invocation event: key 'output_prefix' \"orgs/acme/\\n\" contains characters outside letters, digits and ._-/. "
        + FIX,
    ),
    (
        "no-trailing-slash",
        "orgs/acme",
        'Invalid invocation event: key \'output_prefix\' "orgs/acme" does not end with "/". ' + FIX,
    ),
    (
        "empty",
        "",
        'Invalid invocation event: key \'output_prefix\' "" does not end with "/". ' + FIX,
    ),
    (
        "empty-segment",
        "orgs//acme/",
        "Invalid invocation event: key 'output_prefix' \"orgs//acme/\" has an empty path segment. "
        + FIX,
    ),
    (
        "too-long",
        "a/" * 101,
        "Invalid invocation event: key 'output_prefix' is longer than 200 characters. " + FIX,
    ),
    (
        "not-a-string",
        7,
        "Invalid invocation event: key 'output_prefix' must be a string, got an integer. " + FIX,
    ),
]


@pytest.mark.parametrize(
    ("value", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_bad_prefix_is_refused_with_one_exact_message(value: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_output_prefix(value)
    assert str(info.value) == message


@pytest.mark.parametrize("value", ["orgs/acme/", "a/", "Org.Name_1-x/", "orgs/my-org/2026/"])
def test_good_prefixes_are_kept_as_given(value: str) -> None:
    assert parse_output_prefix(value) == value


def test_absent_prefix_is_the_root() -> None:
    assert parse_output_prefix(None) is None


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=RUN_START.timestamp())


@pytest.fixture
def fake(fake_github: Callable[..., FakeGitHub], clock: ManualClock) -> FakeGitHub:
    return fake_github(small_org(), clock=clock)


def run(env: dict[str, str], clock: ManualClock, event: dict[str, Any]) -> dict[str, Any]:
    return handler.run(
        event, None, handler.Services(env=env, clock=clock, log_stream=io.StringIO())
    )


@pytest.mark.parametrize(
    ("value", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_bad_prefix_stops_the_run_before_any_github_call(  # noqa: PLR0917 - fixtures + table
    tmp_path: Path,
    fake: FakeGitHub,
    clock: ManualClock,
    app_private_key: str,
    value: Any,
    message: str,
) -> None:
    env = handler_env(tmp_path, fake.url, app_private_key)
    with pytest.raises(ConfigError) as info:
        run(env, clock, {"output_prefix": value})
    assert str(info.value) == message
    assert fake.stats.total == 0
    assert dir_snapshot(tmp_path / "output") == {}


def test_local_run_writes_everything_under_the_prefix(
    tmp_path: Path, fake: FakeGitHub, clock: ManualClock, app_private_key: str
) -> None:
    (tmp_path / "root").mkdir()
    root_env = handler_env(tmp_path / "root", fake.url, app_private_key)
    run(root_env, clock, {})
    env = handler_env(tmp_path, fake.url, app_private_key)
    edit_config(env, "features", "show_log_locally", True)

    summary = run(env, clock, {"output_prefix": "orgs/acme/"})

    written = dir_snapshot(tmp_path / "output")
    assert set(written) == {
        f"orgs/acme/{name}" for name in (*FILES, *FOLLOW_UPS, "trend.json", "data_logger.log")
    }
    root = dir_snapshot(tmp_path / "root" / "output")
    for name in FILES[:3]:  # the same bytes as a run at the root
        assert written[f"orgs/acme/{name}"] == root[name], name
    ours, theirs = (
        json.loads(d["run_summary.json" if d is root else "orgs/acme/run_summary.json"])
        for d in (root, written)
    )
    ours.pop("api"), theirs.pop("api")  # request counts and the remaining budget differ
    assert ours == theirs
    assert summary["org"] == "acme"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def test_s3_run_puts_latest_and_history_under_the_prefix(
    tmp_path: Path, fake: FakeGitHub, clock: ManualClock, app_private_key: str, moto_endpoint: str
) -> None:
    s3 = boto_client("s3", moto_endpoint)
    s3.create_bucket(Bucket="policy-prefix")
    env = {
        **handler_env(tmp_path, fake.url, app_private_key),
        "WRITE_TO_S3": "true",
        "S3_BUCKET": "policy-prefix",
    }
    with environ(aws_env(moto_endpoint)):
        run(env, clock, {"output_prefix": "orgs/acme/"})
    objects = s3_objects(s3, "policy-prefix")
    assert set(objects) == {f"orgs/acme/{name}" for name in (*FILES, *FOLLOW_UPS, "trend.json")} | {
        f"orgs/acme/history/2026-11-30/{name}" for name in (*FILES, *FOLLOW_UPS)
    }
    for name in (*FILES, *FOLLOW_UPS):
        assert objects[f"orgs/acme/{name}"] == objects[f"orgs/acme/history/2026-11-30/{name}"]
    assert json.loads(objects["orgs/acme/run_summary.json"])["status"] == "succeeded"

    # A second run reads back the copies under its prefix, not the (unreadable) root ones.
    s3.put_object(Bucket="policy-prefix", Key="repositories.json", Body=b"not json")
    with environ(aws_env(moto_endpoint)):
        run(env, clock, {"output_prefix": "orgs/acme/"})
    changes = json.loads(s3_objects(s3, "policy-prefix")["orgs/acme/changes.json"])
    assert {
        changes[name]["status"] for name in ("repositories", "dependabot", "secret_scanning")
    } == {"compared"}
    trend = json.loads(s3_objects(s3, "policy-prefix")["orgs/acme/trend.json"])
    assert [point["date"] for point in trend] == ["2026-11-30"]  # the same day: replaced
