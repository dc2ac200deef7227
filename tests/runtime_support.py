"""Helpers for the writer, handler and secrets tests: moto over real HTTP, log capture.

moto runs in server mode (``ThreadedMotoServer`` on 127.0.0.1, random port);
boto3 reaches it through ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_SECRETS_MANAGER``
with dummy credentials, exactly as the code under test honours boto3's variables.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from tests.contract import output_schema_path

REGION = "us-east-1"

AWS_DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@contextmanager
def moto_server() -> Iterator[str]:
    """A started moto server; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def aws_env(endpoint: str) -> dict[str, str]:
    """Variables pointing boto3 at moto (what an operator would set for LocalStack)."""
    return {
        **AWS_DUMMY_ENV,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint,
    }


def boto_client(service: str, endpoint: str) -> Any:
    """A boto3 client on moto with dummy credentials (independent of os.environ)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def s3_objects(s3: Any, bucket: str) -> dict[str, bytes]:
    """Every object of the bucket: key -> bytes."""
    result: dict[str, bytes] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            result[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return result


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(output_schema_path(name).read_text(encoding="utf-8"))
    return loaded


def json_log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line written to the stream, each parsed with json.loads (fails if one is not JSON)."""
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def dir_snapshot(path: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under ``path`` (empty when absent)."""
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


@contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """Temporarily set process environment variables (boto3 reads os.environ)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --------------------------------------------------------------------------- handler runs

RUN_START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SHIPPED_CONFIG = Path(__file__).resolve().parent.parent / "config.json"
CANARY = "CANARY-secret-value-4f9a1c"  # deliberately not token-shaped: redaction cannot hide it


class FakeLambdaContext:
    """A Lambda context whose remaining time is whatever ``remaining_ms`` says now."""

    aws_request_id = "req-test-0001"

    def __init__(self, remaining_ms: Callable[[], int]) -> None:
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms()


def handler_env(tmp_path: Path, api_url: str, key_pem: str, **overrides: str) -> dict[str, str]:
    """A complete local-mode environment: key file, config copy, output directory."""
    key_file = tmp_path / "app-key.pem"
    if not key_file.exists():
        key_file.write_text(key_pem, encoding="utf-8")
        key_file.chmod(0o600)
    config_file = tmp_path / "config.json"
    if not config_file.exists():
        config_file.write_bytes(SHIPPED_CONFIG.read_bytes())
    env = {
        "GITHUB_ORG": "acme",
        "GITHUB_APP_CLIENT_ID": "Iv1.testapp",
        "GITHUB_APP_PRIVATE_KEY_FILE": str(key_file),
        "GITHUB_API_URL": api_url,
        "WRITE_TO_S3": "false",
        "OUTPUT_DIR": str(tmp_path / "output"),
        "CONFIG_PATH": str(config_file),
        "LOG_LEVEL": "DEBUG",
    }
    env.update(overrides)
    return env


def edit_config(env: Mapping[str, str], section: str, key: str, value: Any) -> None:
    """Change one key of the run's config.json copy."""
    path = Path(env["CONFIG_PATH"])
    document = json.loads(path.read_text(encoding="utf-8"))
    document[section][key] = value
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
