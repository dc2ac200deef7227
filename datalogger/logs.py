"""Logs as data: one compact JSON object per line.

Every record becomes ``{"level", "timestamp", "logger", "location", "message", ...}``
followed by the per-invocation keys (``org``, ``run_id``) and the record's extras
(``logger.info("page fetched", extra={"path": ..., "status": ...})``). Exceptions
add ``exc_type`` and ``exc_message`` (and ``traceback`` only when the caller asked
for it with ``exc_info``). A redaction pass masks anything that looks like a
token, a JWT, a PEM block or an ``Authorization`` value, as defence in depth: code
must not log those in the first place.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

LOG_FILE_NAME = "data_logger.log"
MASK = "***"

# Attributes every LogRecord has; anything else on a record is an ``extra``.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
) | {"message", "asctime", "taskName"}

_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM blocks (possibly truncated, possibly with escaped newlines inside JSON).
    (
        re.compile(r"-----BEGIN [A-Z0-9 ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|\Z)"),
        "-----" + MASK + "PEM" + MASK + "-----",
    ),
    # Authorization header values, in any rendering (dict, header line, JSON).
    (
        re.compile(
            r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)"
            r"(?:(?:bearer|token|basic)\s+)?[^\s\"',;}]+"
        ),
        r"\1" + MASK,
    ),
    # "token <value>" / "Bearer <value>" where the value has a digit (so that prose
    # such as "installation token obtained" stays readable).
    (
        re.compile(r"(?i)\b(bearer|token)\s+(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}"),
        r"\1 " + MASK,
    ),
    # GitHub tokens: ghp_, gho_, ghu_, ghs_, ghr_ and fine-grained PATs.
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]+"), "github_pat_" + MASK),
    (re.compile(r"\b(gh[pousr]_)[A-Za-z0-9_-]{4,}"), r"\1" + MASK),
    # JWTs (and any base64url JSON header that starts like one).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){0,2}"), "eyJ" + MASK),
)

_invocation_lock = threading.Lock()
_invocation_keys: dict[str, Any] = {}
_OWN_HANDLER_ATTR = "_datalogger_handler"


def redact(text: str) -> str:
    """``text`` with every token-, JWT-, PEM- or Authorization-looking part masked."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def set_invocation_keys(**keys: Any) -> None:
    """Replace the per-invocation keys added to every line (org, run_id, ...).

    Called at the start of every invocation: a warm Lambda reuses the process, so
    the previous run's keys must not leak into this one.
    """
    with _invocation_lock:
        _invocation_keys.clear()
        _invocation_keys.update({k: v for k, v in keys.items() if v is not None})


def append_invocation_keys(**keys: Any) -> None:
    """Add keys for the rest of this invocation (e.g. ``org`` once it is known)."""
    with _invocation_lock:
        _invocation_keys.update({k: v for k, v in keys.items() if v is not None})


def invocation_keys() -> dict[str, Any]:
    """A copy of the current per-invocation keys."""
    with _invocation_lock:
        return dict(_invocation_keys)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


class JsonFormatter(logging.Formatter):
    """Render a record as one compact, redacted JSON object (no trailing newline)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(json.dumps(self.fields(record), ensure_ascii=False, separators=(",", ":")))

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        """The record as a dict: fixed fields, invocation keys, extras, exception."""
        fields: dict[str, Any] = {
            "level": record.levelname,
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "logger": record.name,
            "location": f"{record.module}:{record.funcName}:{record.lineno}",
            "message": record.getMessage(),
        }
        for key, value in invocation_keys().items():
            fields.setdefault(key, _jsonable(value))
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                fields.setdefault(key, _jsonable(value))
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            fields["exc_type"] = type(error).__name__
            fields["exc_message"] = str(error)
            fields["traceback"] = "".join(traceback.format_exception(error)).rstrip()
        return fields


class RedactingFilter(logging.Filter):
    """Mask secrets in a record's message and string extras before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def _own_handler(handler: logging.Handler) -> logging.Handler:
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    setattr(handler, _OWN_HANDLER_ATTR, True)
    return handler


def configure_logging(
    level: str = "INFO",
    *,
    local_dir: Path | None = None,
    stream: TextIO | None = None,
) -> None:
    """Route the root logger to JSON lines on ``stream`` (stdout by default).

    Idempotent: a warm Lambda calls it on every invocation. Handlers installed
    before by the Lambda runtime or by the previous invocation are
    replaced so that each record is written once; other handlers (a test
    harness's capture) are left alone. With ``local_dir`` the same
    lines also go to ``local_dir/data_logger.log`` (``show_log_locally``).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OWN_HANDLER_ATTR, False):
            root.removeHandler(handler)
            handler.close()
        elif type(handler).__name__.startswith("LambdaLogger") or _is_plain_console(handler):
            # The Lambda runtime's plain-text handler, or the one `logging.basicConfig()`
            # installs (`serverless invoke local`'s wrapper calls it): each record once, as JSON.
            root.removeHandler(handler)
    root.addHandler(_own_handler(logging.StreamHandler(stream or sys.stdout)))
    if local_dir is not None:
        local_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(local_dir / LOG_FILE_NAME, encoding="utf-8")
        root.addHandler(_own_handler(file_handler))
    root.setLevel(level)
    # Third-party libraries stay quiet unless we debug them deliberately.
    for noisy in ("urllib3", "botocore", "boto3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    pool_logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _Urllib3RetryFilter) for f in pool_logger.filters):
        pool_logger.addFilter(_Urllib3RetryFilter())


class _Urllib3RetryFilter(logging.Filter):
    """Drop urllib3's "Retrying (Retry(...)) after connection broken" warnings.

    The client logs every retry itself ("retrying GitHub request", with the
    method, path and reason) and raises one error naming the cause when it
    gives up; urllib3's lines would repeat that, without the context.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Retrying ("))


def _is_plain_console(handler: logging.Handler) -> bool:
    """A bare StreamHandler on stderr/stdout, as ``logging.basicConfig()`` makes it.

    Subclasses (pytest's capture, a host's own handlers) are not touched.
    """
    return type(handler) is logging.StreamHandler and handler.stream in (
        sys.stderr,
        sys.stdout,
        sys.__stderr__,
        sys.__stdout__,
    )


def close_logging() -> None:
    """Flush and close the handlers ``configure_logging`` installed (file handles)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OWN_HANDLER_ATTR, False):
            handler.flush()
            if isinstance(handler, logging.FileHandler):
                root.removeHandler(handler)
                handler.close()
