"""Bad configuration through the handler: one clear message, no GitHub call, no output touched.

The same tables as tests/test_config.py (every config.json key, every environment
variable, the event keys), driven through ``handler.run`` against a live fake
GitHub that must see zero requests.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import handler
from datalogger.errors import ConfigError
from github_client import ManualClock
from tests.fake_github import FakeGitHub
from tests.fake_github.samples import small_org
from tests.runtime_support import RUN_START, dir_snapshot, handler_env, json_log_lines
from tests.test_config import (
    ENV_CASES,
    EVENT_CASES,
    FILE_CASES,
    RAW_FILE_CASES,
    SHIPPED_CONFIG,
    apply_env,
)


@pytest.fixture(scope="module")
def fake(app_private_key: str) -> Iterator[FakeGitHub]:
    server = FakeGitHub(small_org(), private_key_pem=app_private_key).start()
    yield server
    server.stop()


@pytest.fixture
def env(tmp_path: Path, fake: FakeGitHub, app_private_key: str) -> dict[str, str]:
    env = handler_env(tmp_path, fake.url, app_private_key)
    output = Path(env["OUTPUT_DIR"])
    output.mkdir()
    (output / "repositories.json").write_bytes(b"[ ]\n")  # last week's copy
    return env


def assert_rejected_cleanly(
    env: dict[str, str], fake: FakeGitHub, event: Any, fragments: tuple[str, ...]
) -> None:
    """ConfigError naming the fragments; zero GitHub requests; outputs as they were."""
    fake.reset_stats()
    output = Path(env.get("OUTPUT_DIR", "./output"))
    before = dir_snapshot(output)
    stream = io.StringIO()
    services = handler.Services(
        env=env, clock=ManualClock(RUN_START.timestamp()), log_stream=stream
    )
    with pytest.raises(ConfigError) as info:
        handler.run(event, None, services)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message
    assert fake.stats.total == 0
    assert dir_snapshot(output) == before
    lines = json_log_lines(stream)
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1, lines
    assert errors[0]["message"] == "run stopped before collecting"
    assert errors[0]["error_type"] == "ConfigError"
    assert errors[0]["error"] == message
    assert "traceback" not in errors[0]
    assert "Traceback" not in stream.getvalue()


@pytest.mark.parametrize(
    ("edit", "fragments"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES]
)
def test_config_file_errors(
    env: dict[str, str],
    fake: FakeGitHub,
    edit: Callable[[dict[str, Any]], None],
    fragments: tuple[str, ...],
) -> None:
    document = copy.deepcopy(SHIPPED_CONFIG)
    edit(document)
    Path(env["CONFIG_PATH"]).write_text(json.dumps(document), encoding="utf-8")
    assert_rejected_cleanly(env, fake, {}, (env["CONFIG_PATH"], *fragments))


@pytest.mark.parametrize(
    ("text", "fragments"), [c[1:] for c in RAW_FILE_CASES], ids=[c[0] for c in RAW_FILE_CASES]
)
def test_malformed_config_file(
    env: dict[str, str], fake: FakeGitHub, text: str, fragments: tuple[str, ...]
) -> None:
    Path(env["CONFIG_PATH"]).write_text(text, encoding="utf-8")
    assert_rejected_cleanly(env, fake, {}, (env["CONFIG_PATH"], *fragments))


@pytest.mark.parametrize(
    ("changes", "fragments"), [c[1:] for c in ENV_CASES], ids=[c[0] for c in ENV_CASES]
)
def test_environment_errors(
    env: dict[str, str],
    fake: FakeGitHub,
    changes: dict[str, str | None],
    fragments: tuple[str, ...],
) -> None:
    assert_rejected_cleanly(apply_env(env, changes), fake, {}, fragments)


@pytest.mark.parametrize(
    ("event", "fragments"), [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES]
)
def test_event_errors(
    env: dict[str, str], fake: FakeGitHub, event: Any, fragments: tuple[str, ...]
) -> None:
    assert_rejected_cleanly(env, fake, event, fragments)
