"""Logs as data: one JSON object per line, per-invocation keys, levels, local copy, redaction."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from datalogger.logs import (
    LOG_FILE_NAME,
    append_invocation_keys,
    close_logging,
    configure_logging,
    redact,
    set_invocation_keys,
)
from tests.runtime_support import json_log_lines

log = logging.getLogger("tests.logs")

JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJJdjEudGVzdGFwcCIsImlhdCI6MX0."
    "c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)
# Built at run time so that no file of the repository looks like it holds a key.
TOKEN = "ghs_" + "Fak3T0ken" * 4
PEM_BODY = "MIIEowIBAAKCAQEAfakefakefake"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----\n" + PEM_BODY + "\n-----END RSA " + "PRIVATE KEY-----"


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    close_logging()
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    set_invocation_keys()


@pytest.fixture
def stream() -> io.StringIO:
    out = io.StringIO()
    configure_logging("INFO", stream=out)
    return out


def test_one_json_object_per_line_with_fixed_fields_and_extras(stream: io.StringIO) -> None:
    log.info("page fetched", extra={"path": "/orgs/acme/repos", "status": 200, "attempt": 1})
    (line,) = json_log_lines(stream)
    assert line["level"] == "INFO"
    assert line["message"] == "page fetched"
    assert line["logger"] == "tests.logs"
    assert line["location"].startswith("test_handler_logs:test_one_json_object_per_line")
    assert line["timestamp"].endswith("Z") and line["timestamp"][:4].isdigit()
    assert (line["path"], line["status"], line["attempt"]) == ("/orgs/acme/repos", 200, 1)
    assert "\n" not in stream.getvalue().rstrip("\n")


def test_exception_type_and_message_are_fields(stream: io.StringIO) -> None:
    try:
        raise ValueError("bad value for thread_count")
    except ValueError:
        log.exception("crashed")
    (line,) = json_log_lines(stream)
    assert line["exc_type"] == "ValueError"
    assert line["exc_message"] == "bad value for thread_count"
    assert "ValueError" in line["traceback"]


def test_invocation_keys_reset_every_invocation(stream: io.StringIO) -> None:
    set_invocation_keys(run_id="r1")
    append_invocation_keys(org="acme")
    log.info("run started")
    set_invocation_keys(run_id="r2")  # next (warm) invocation: org not known yet
    log.info("run started")
    first, second = json_log_lines(stream)
    assert (first["run_id"], first["org"]) == ("r1", "acme")
    assert second["run_id"] == "r2"
    assert "org" not in second


def test_log_level_filters(stream: io.StringIO) -> None:
    log.debug("not shown at INFO")
    configure_logging("DEBUG", stream=stream)
    log.debug("shown at DEBUG")
    assert [line["message"] for line in json_log_lines(stream)] == ["shown at DEBUG"]


def test_reconfiguring_does_not_duplicate_lines(stream: io.StringIO) -> None:
    configure_logging("INFO", stream=stream)
    configure_logging("INFO", stream=stream)
    log.info("once")
    assert len(json_log_lines(stream)) == 1


def test_show_log_locally_writes_the_same_lines_to_a_file(tmp_path: Path) -> None:
    out = io.StringIO()
    configure_logging("INFO", local_dir=tmp_path / "output", stream=out)
    log.info("dataset written", extra={"file": "repositories.json"})
    close_logging()
    local = (tmp_path / "output" / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert local == out.getvalue()
    assert json.loads(local)["file"] == "repositories.json"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token {TOKEN} expired", TOKEN),
        (f"ghp_{'a' * 36}", "a" * 36),
        (f"gho_{'b' * 36} and ghu_{'c' * 36}", "b" * 36),
        (f"github_pat_11ABCDEFG0{'x' * 40}", "x" * 40),
        (f"jwt={JWT}", JWT.split(".")[1]),
        (f"key: {PEM}", PEM_BODY),
        ("-----BEGIN " + "PRIVATE KEY-----\nMIIEtruncated", "MIIEtruncated"),
        ("{'Authorization': 'Bearer abc.def-123'}", "abc.def-123"),
        ('"authorization": "token s3cr3tvalue"', "s3cr3tvalue"),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("sent Bearer ZYXWVUTSRQ123 to GitHub", "ZYXWVUTSRQ123"),
    ],
)
def test_redact_masks_secret_looking_text(text: str, secret: str) -> None:
    assert secret not in redact(text)
    assert "***" in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "GET /orgs/acme/repos?per_page=100 answered 502",
        "ghost user",
        "installation token obtained",
        "token refreshed",
    ],
)
def test_redact_leaves_ordinary_text(text: str) -> None:
    assert redact(text) == text


def test_secrets_are_masked_in_messages_extras_and_exceptions(stream: io.StringIO) -> None:
    log.info("sending %s", f"Bearer {TOKEN}", extra={"header": f"token {TOKEN}", "jwt": JWT})
    try:
        raise RuntimeError(f"key was {PEM}")
    except RuntimeError:
        log.exception("failed")
    text = stream.getvalue()
    for secret in (TOKEN, JWT, PEM_BODY):
        assert secret not in text
    assert len(json_log_lines(stream)) == 2


def test_the_plain_handler_basic_config_installs_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`serverless invoke local`'s wrapper calls logging.basicConfig(): each record once."""
    plain_out = io.StringIO()
    monkeypatch.setattr("sys.stderr", plain_out)
    root = logging.getLogger()
    plain = logging.StreamHandler()  # what basicConfig() adds: stderr, default format
    root.addHandler(plain)
    captured: list[logging.LogRecord] = []

    class Capture(logging.Handler):  # a harness's capture, left alone
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    capture = Capture()
    root.addHandler(capture)
    out = io.StringIO()
    configure_logging("INFO", stream=out)
    log.info("only once")
    assert plain not in root.handlers and capture in root.handlers
    assert plain_out.getvalue() == ""
    assert [line["message"] for line in json_log_lines(out)] == ["only once"]
    assert [r.getMessage() for r in captured] == ["only once"]
    root.removeHandler(capture)


def test_urllib3_retry_warnings_are_dropped_but_its_other_warnings_kept(
    stream: io.StringIO,
) -> None:
    """The client logs its retries itself; urllib3's "Retrying (Retry(...))" would repeat them."""
    pool = logging.getLogger("urllib3.connectionpool")
    pool.warning(
        "Retrying (%r) after connection broken by '%r': %s",
        "Retry(total=None, connect=1, read=0)",
        "NewConnectionError()",
        "/orgs/acme/installation",
    )
    pool.warning("Connection pool is full, discarding connection: %s", "api.github.com")
    assert [line["message"] for line in json_log_lines(stream)] == [
        "Connection pool is full, discarding connection: api.github.com"
    ]
