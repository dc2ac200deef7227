"""The App key from AWS Secrets Manager (moto server mode), through the handler."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import handler
from github_client import ManualClock
from github_client.errors import PrivateKeyError
from tests.fake_github import FakeGitHub
from tests.fake_github.samples import small_org
from tests.runtime_support import (
    RUN_START,
    aws_env,
    boto_client,
    environ,
    handler_env,
    json_log_lines,
    moto_server,
)

SECRET_NAME = "github-policy-data-logger/app-key"


@pytest.fixture(scope="module")
def moto_endpoint(app_private_key: str) -> Iterator[str]:
    with moto_server() as endpoint:
        secrets = boto_client("secretsmanager", endpoint)
        secrets.create_secret(Name=SECRET_NAME, SecretString=app_private_key)
        secrets.create_secret(Name="not-a-pem", SecretString="hunter2-not-a-key")
        yield endpoint


@pytest.fixture
def fake(fake_github: Callable[..., FakeGitHub]) -> FakeGitHub:
    return fake_github(small_org(), clock=ManualClock(RUN_START.timestamp()))


def secret_env(tmp_path: Path, fake: FakeGitHub, key: str, secret_name: str) -> dict[str, str]:
    env = handler_env(tmp_path, fake.url, key, AWS_SECRET_NAME=secret_name)
    del env["GITHUB_APP_PRIVATE_KEY_FILE"]
    return env


def services_for(env: dict[str, str]) -> tuple[io.StringIO, handler.Services]:
    stream = io.StringIO()
    services = handler.Services(
        env=env, clock=ManualClock(RUN_START.timestamp()), log_stream=stream
    )
    return stream, services


def test_key_from_secrets_manager_runs(
    tmp_path: Path, fake: FakeGitHub, app_private_key: str, moto_endpoint: str
) -> None:
    env = secret_env(tmp_path, fake, app_private_key, SECRET_NAME)
    stream, services = services_for(env)
    with environ(aws_env(moto_endpoint)):
        summary = handler.run({"collections": ["dependabot"]}, None, services)
    assert summary["status"] == "succeeded"
    assert fake.stats.tokens_issued == 1
    started = [line for line in json_log_lines(stream) if line["message"] == "run started"]
    assert started[0]["key_source"] == "AWS_SECRET_NAME"
    assert (Path(env["OUTPUT_DIR"]) / "dependabot.json").exists()
    # LOG_LEVEL=DEBUG: botocore's own debug output (which shows response bodies) stays off
    key_lines = [line for line in app_private_key.splitlines() if not line.startswith("-----")]
    assert not any(line in stream.getvalue() for line in key_lines)


@pytest.mark.parametrize("secret_name", ["no-such-secret", "not-a-pem"])
def test_bad_secret_stops_before_github_without_echoing_it(
    tmp_path: Path, fake: FakeGitHub, app_private_key: str, moto_endpoint: str, secret_name: str
) -> None:
    env = secret_env(tmp_path, fake, app_private_key, secret_name)
    stream, services = services_for(env)
    with environ(aws_env(moto_endpoint)), pytest.raises(PrivateKeyError) as info:
        handler.run({}, None, services)
    message = str(info.value)
    assert secret_name in message
    assert "AWS_SECRET_NAME" in message
    assert "hunter2" not in message
    assert "hunter2" not in stream.getvalue()
    assert fake.stats.total == 0
    assert not Path(env["OUTPUT_DIR"]).exists()
    (error,) = [line for line in json_log_lines(stream) if line["level"] == "ERROR"]
    assert error["error_type"] == "PrivateKeyError"
