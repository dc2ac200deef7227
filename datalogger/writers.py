"""Deterministic JSON bytes, written whole: locally (temp file + rename) or to S3.

Two runs over the same GitHub state produce byte-identical datasets: records are
sorted by the documented keys, serialised with ``indent=2``, UTF-8, and a trailing
newline. S3 mode writes the "latest" key and the same bytes under
``history/YYYY-MM-DD/`` (UTC date of the run start); it needs only ``s3:PutObject``.

A run's ``output_prefix`` (e.g. ``orgs/acme/``) is applied here and nowhere
else: :func:`make_writer` gives the local writer ``OUTPUT_DIR/<prefix>`` and the
S3 writer the prefix before every key, history included, so every file a run
writes (and any it reads back through these keys) stays under it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from datalogger.config import RunConfig
from datalogger.errors import WriteError
from datalogger.registry import REGISTRY

logger = logging.getLogger(__name__)

SUMMARY_FILE = "run_summary.json"
CONTENT_TYPE = "application/json"

# repositories.json, dependabot.json, secret_scanning.json (from the registry)
DATASET_FILES = {name: entry.file for name, entry in REGISTRY.items()}

# The documented order of each dataset (interface.md "Outputs").
_SORT_FIELDS: dict[str, tuple[str, ...]] = {
    name: entry.sort_fields for name, entry in REGISTRY.items()
}


def _sort_key(fields: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[str, ...]]:
    def key(record: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(record.get(name, "")) for name in fields)

    return key


def json_bytes(document: Any) -> bytes:
    """The canonical bytes of a JSON document: indent 2, UTF-8, trailing newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def dataset_bytes(collection: str, records: Sequence[dict[str, Any]]) -> bytes:
    """The bytes of a dataset, its records sorted by the documented keys.

    The collectors already sort; sorting again here makes the bytes independent
    of any collector's ordering bug. Python's sort is stable, so equal keys keep
    the collector's order.
    """
    if collection not in _SORT_FIELDS:
        raise ValueError(f"unknown collection {collection!r}; expected one of {list(_SORT_FIELDS)}")
    return json_bytes(sorted(records, key=_sort_key(_SORT_FIELDS[collection])))


class Writer(Protocol):
    """Where a run's files go."""

    def write(self, name: str, data: bytes) -> list[str]:
        """Write ``data`` as ``name`` whole; return where it went (paths or s3:// URLs)."""
        ...


class S3Client(Protocol):
    """The one call of boto3's S3 client the writer uses (only s3:PutObject)."""

    def put_object(self, **kwargs: Any) -> Any: ...


class LocalWriter:
    """Writes ``OUTPUT_DIR/<name>`` atomically: a temp file in the same directory, then rename."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def write(self, name: str, data: bytes) -> list[str]:
        target = self.output_dir / name
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.output_dir)
        except OSError as err:
            raise WriteError(
                f"Cannot write {target}: {err.strerror or err}. Check that OUTPUT_DIR "
                f"({self.output_dir}) is a writable directory."
            ) from err
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, 0o644)
            os.replace(temp_name, target)
        except OSError as err:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise WriteError(
                f"Cannot write {target}: {err.strerror or err}. The previous copy is unchanged; "
                "check free space and permissions of OUTPUT_DIR."
            ) from err
        return [str(target)]


class S3Writer:
    """Writes ``s3://bucket/<name>`` and ``s3://bucket/history/YYYY-MM-DD/<name>``.

    The history copy is written first: if it fails, the latest copy the
    dashboard reads is still last run's, consistent with its history.
    """

    def __init__(
        self, bucket: str, run_date: date, client: S3Client | None = None, prefix: str = ""
    ) -> None:
        self.bucket = bucket
        self.run_date = run_date
        self.prefix = prefix  # validated by config.parse_output_prefix: "" or "a/b/"
        self._client = client

    def _s3(self) -> S3Client:
        if self._client is None:
            import boto3  # noqa: PLC0415 - only S3 mode needs boto3 loaded

            self._client = cast(S3Client, boto3.client("s3"))
        return self._client

    def keys_for(self, name: str) -> list[str]:
        """The history key, then the latest key, for file ``name`` (both under the prefix)."""
        return [f"{self.prefix}history/{self.run_date.isoformat()}/{name}", f"{self.prefix}{name}"]

    def write(self, name: str, data: bytes) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        written: list[str] = []
        for key in self.keys_for(name):
            try:
                self._s3().put_object(
                    Bucket=self.bucket, Key=key, Body=data, ContentType=CONTENT_TYPE
                )
            except ClientError as err:
                code = err.response.get("Error", {}).get("Code", "unknown")
                raise WriteError(
                    f"Cannot write s3://{self.bucket}/{key}: S3 answered {code}. Check that "
                    "the bucket exists and the function's role may s3:PutObject on it."
                ) from err
            except BotoCoreError as err:
                raise WriteError(
                    f"Cannot write s3://{self.bucket}/{key}: {type(err).__name__}: {err}. "
                    "Check the network path to S3 and the AWS credentials."
                ) from err
            written.append(f"s3://{self.bucket}/{key}")
        return written


def make_writer(config: RunConfig, started_at: datetime, s3_client: S3Client | None) -> Writer:
    """The run's writer: S3 or ``OUTPUT_DIR``, under the run's ``output_prefix``."""
    if config.write_to_s3 and config.s3_bucket:
        return S3Writer(config.s3_bucket, started_at.date(), s3_client, config.output_prefix)
    return LocalWriter(config.local_dir)
