"""No secret anywhere: datasets, summary, log lines (stream and local file), exception text.

The fake's secret scanning alerts carry a canary secret; LOG_LEVEL is DEBUG; the
run includes failures and retries. Every credential the client actually sent
(the App JWTs and the installation tokens the fake issued) is recorded at the
fake's side and searched for, with the private key's lines and the canary.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import handler
from datalogger.errors import RunFailed
from github_client import ManualClock
from github_client.errors import AppAuthError
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.faults import HOSTILE_LEAK_SECRET
from tests.fake_github.samples import small_org
from tests.fixtures.clients import connected_client
from tests.runtime_support import (
    CANARY,
    RUN_START,
    aws_env,
    boto_client,
    dir_snapshot,
    edit_config,
    environ,
    handler_env,
    json_log_lines,
    moto_server,
    s3_objects,
)


def canary_fake(fake_github: Callable[..., FakeGitHub], faults: Faults) -> FakeGitHub:
    org = small_org()
    for alert in org.secret_scanning_alerts:
        alert.secret = CANARY
    return fake_github(org, faults, clock=ManualClock(RUN_START.timestamp()))


def forbidden_strings(credentials: frozenset[str], key_pem: str) -> list[str]:
    key_lines = [
        line for line in key_pem.splitlines() if line.strip() and not line.startswith("-----")
    ]
    jwts = [c for c in credentials if c.startswith("eyJ")]
    tokens = [c for c in credentials if c.startswith("ghs_")]
    assert jwts, "the client sent no JWT: the check would be vacuous"
    assert tokens, "the client sent no installation token: the check would be vacuous"
    return [CANARY, "PRIVATE KEY", *key_lines, *jwts, *tokens]


def assert_nowhere(texts: dict[str, str], forbidden: list[str]) -> None:
    for where, text in texts.items():
        for secret in forbidden:
            assert secret not in text, f"a secret ({secret[:8]}...) leaked into {where}"
        assert "eyJ" not in text, f"something JWT-shaped leaked into {where}"


def run_and_collect_texts(
    env: dict[str, str], event: dict[str, Any], **services: Any
) -> tuple[dict[str, str], Any]:
    stream = io.StringIO()
    texts: dict[str, str] = {}
    result: Any
    try:
        result = handler.run(
            event,
            None,
            handler.Services(
                env=env, clock=ManualClock(RUN_START.timestamp()), log_stream=stream, **services
            ),
        )
    except RunFailed as failed:
        result = failed
        texts["exception"] = f"{failed}\n{failed!r}\n{failed.summary}"
    texts["log stream"] = stream.getvalue()
    json_log_lines(stream)  # every line parses as JSON
    return texts, result


FAULTS = Faults(
    failing_routes={"dependabot_alerts": 502},  # retried, then a failed collection
    secondary_limits=1,
    retry_after="3",
    hostile={"secret_scanning_alerts": HOSTILE_LEAK_SECRET},  # the secret despite hide_secret
)


def assert_fake_sends_the_secret(fake: FakeGitHub) -> None:
    """The canary really reaches the logger: GitHub ignoring hide_secret=true."""
    client = connected_client(fake, ManualClock(RUN_START.timestamp()))
    try:
        path = f"/orgs/{fake.org.login}/secret-scanning/alerts"
        sent = client.get(path, {"state": "open", "hide_secret": True, "after": ""})
    finally:
        client.close()
    assert sent.data and all(alert["secret"] == CANARY for alert in sent.data)


def test_local_run_at_debug_leaks_nothing(
    fake_github: Callable[..., FakeGitHub],
    tmp_path: Path,
    app_private_key: str,
) -> None:
    fake = canary_fake(fake_github, FAULTS)
    env = handler_env(tmp_path, fake.url, app_private_key, LOG_LEVEL="DEBUG")
    edit_config(env, "features", "show_log_locally", True)
    texts, result = run_and_collect_texts(env, {})
    assert isinstance(result, RunFailed)  # dependabot failed: error paths were exercised
    assert result.summary["collections"]["secret_scanning"]["records"] == 2
    for name, data in dir_snapshot(Path(env["OUTPUT_DIR"])).items():
        texts[name] = data.decode("utf-8")
    assert "data_logger.log" in texts
    assert "secret_scanning.json" in texts
    assert any('"level":"DEBUG"' in line for line in texts["log stream"].splitlines())
    assert_nowhere(texts, forbidden_strings(fake.credentials_seen, app_private_key))
    assert_fake_sends_the_secret(fake)


def test_s3_run_with_key_from_env_text_leaks_nothing(
    fake_github: Callable[..., FakeGitHub],
    tmp_path: Path,
    app_private_key: str,
) -> None:
    fake = canary_fake(fake_github, FAULTS)
    env = handler_env(tmp_path, fake.url, app_private_key, LOG_LEVEL="DEBUG")
    del env["GITHUB_APP_PRIVATE_KEY_FILE"]
    env.update(GITHUB_APP_PRIVATE_KEY=app_private_key, WRITE_TO_S3="true", S3_BUCKET="leak-check")
    with moto_server() as endpoint:
        boto_client("s3", endpoint).create_bucket(Bucket="leak-check")
        with environ(aws_env(endpoint)):
            texts, result = run_and_collect_texts(env, {"unexpected": app_private_key})
        objects = s3_objects(boto_client("s3", endpoint), "leak-check")
    assert isinstance(result, RunFailed)
    assert "secret_scanning.json" in objects
    texts.update({key: data.decode("utf-8") for key, data in objects.items()})
    assert_nowhere(texts, forbidden_strings(fake.credentials_seen, app_private_key))


def test_setup_failure_messages_leak_nothing(
    fake_github: Callable[..., FakeGitHub],
    tmp_path: Path,
    app_private_key: str,
) -> None:
    """A JWT rejected by GitHub: the error and the log name the problem, not the JWT."""
    fake = canary_fake(fake_github, Faults())
    env = handler_env(tmp_path, fake.url, app_private_key, GITHUB_APP_CLIENT_ID="Iv1.someoneelse")
    stream = io.StringIO()
    services = handler.Services(
        env=env, clock=ManualClock(RUN_START.timestamp()), log_stream=stream
    )
    with pytest.raises(AppAuthError) as info:
        handler.run({}, None, services)
    jwts = [c for c in fake.credentials_seen if c.startswith("eyJ")]
    assert jwts
    key_lines = [line for line in app_private_key.splitlines() if not line.startswith("-----")]
    assert_nowhere(
        {"exception": f"{info.value}\n{info.value!r}", "log stream": stream.getvalue()},
        [*jwts, *key_lines, "PRIVATE KEY"],
    )
