"""Deterministic JSON bytes, written whole: locally (temp file + rename) or to S3.

Two runs over the same GitHub state produce byte-identical datasets: records are
sorted by the documented keys, serialised with ``indent=2``, UTF-8, and a trailing
newline. S3 mode writes the "latest" key and (unless ``history=False``) the same
bytes under ``history/YYYY-MM-DD/`` (UTC date of the run start) with
``s3:PutObject``.

Before a latest copy is replaced, the run may read it back with
:meth:`Writer.read_latest` (S3 ``GetObject`` on that one key, or the local
file): the bytes and when they were written (S3 ``LastModified``, or the
file's modification time).

A run's ``output_prefix`` (e.g. ``orgs/acme/``) is applied here and nowhere
else: :func:`make_writer` gives the local writer ``OUTPUT_DIR/<prefix>`` and the
S3 writer the prefix before every key, history included, so every file a run
writes and reads back stays under it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from datalogger.config import RunConfig
from datalogger.errors import ReadError, WriteError
from datalogger.registry import REGISTRY

logger = logging.getLogger(__name__)

SUMMARY_FILE = "run_summary.json"
CONTENT_TYPE = "application/json"
MARKDOWN_CONTENT_TYPE = "text/markdown; charset=utf-8"

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


# Pieces of encoder output joined and encoded at a time (see json_bytes).
_PIECES_PER_WRITE = 8192


def json_bytes(document: Any) -> bytes:
    """The canonical bytes of a JSON document: indent 2, UTF-8, trailing newline.

    The same bytes as ``json.dumps(document, indent=2, ensure_ascii=False) + "\n"``
    encoded, built a few thousand encoder pieces at a time: ``json.dumps`` holds
    every piece in one list, then the whole text, then its bytes, about five times
    the file's size at once (117 MB for a 21 MB dependabot.json); this holds the
    bytes and one batch of pieces.
    """
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False)
    out = io.BytesIO()
    pieces: list[str] = []
    for piece in encoder.iterencode(document):
        pieces.append(piece)
        if len(pieces) >= _PIECES_PER_WRITE:
            out.write("".join(pieces).encode("utf-8"))
            pieces.clear()
    pieces.append("\n")
    out.write("".join(pieces).encode("utf-8"))
    return out.getvalue()


def dataset_bytes(collection: str, records: Sequence[dict[str, Any]]) -> bytes:
    """The bytes of a dataset, its records sorted by the documented keys.

    The collectors already sort; sorting again here makes the bytes independent
    of any collector's ordering bug. Python's sort is stable, so equal keys keep
    the collector's order.
    """
    if collection not in _SORT_FIELDS:
        raise ValueError(f"unknown collection {collection!r}; expected one of {list(_SORT_FIELDS)}")
    return json_bytes(sorted(records, key=_sort_key(_SORT_FIELDS[collection])))


@dataclass(frozen=True)
class StoredCopy:
    """The latest copy of a file as a previous run left it."""

    data: bytes
    written_at: datetime  # UTC: S3 LastModified, or the local file's mtime


def content_type(name: str) -> str:
    """The S3 Content-Type of a file: JSON, or Markdown for ``*.md``."""
    return MARKDOWN_CONTENT_TYPE if name.endswith(".md") else CONTENT_TYPE


class Writer(Protocol):
    """Where a run's files go, and where the previous run's latest copies are read."""

    def write(self, name: str, data: bytes, *, history: bool = True) -> list[str]:
        """Write ``data`` as ``name`` whole; return where it went (paths or s3:// URLs).

        ``history=False`` writes the latest copy only (S3 mode; local mode never
        keeps history).
        """
        ...

    def read_latest(self, name: str) -> StoredCopy | None:
        """The latest copy of ``name``; None when there is none. Raises ReadError."""
        ...


class S3Client(Protocol):
    """The calls of boto3's S3 client the writer uses (s3:PutObject, s3:GetObject)."""

    def put_object(self, **kwargs: Any) -> Any: ...

    def get_object(self, **kwargs: Any) -> Any: ...


# Without s3:ListBucket, S3 answers a GetObject on a key that does not exist
# with AccessDenied instead of NoSuchKey; the role is deliberately not given
# ListBucket, so both mean "no previous copy".
_ABSENT_CODES = frozenset({"NoSuchKey", "404", "NotFound", "AccessDenied", "403"})


class LocalWriter:
    """Writes ``OUTPUT_DIR/<name>`` atomically: a temp file in the same directory, then rename."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def path_for(self, name: str) -> Path:
        """Where file ``name`` lives (read back and written)."""
        return self.output_dir / name

    def read_latest(self, name: str) -> StoredCopy | None:
        path = self.path_for(name)
        try:
            with path.open("rb") as handle:
                data = handle.read()
                modified = os.fstat(handle.fileno()).st_mtime
        except FileNotFoundError:
            return None
        except OSError as err:
            raise ReadError(
                f"Cannot read the previous {path}: {err.strerror or err}. Check the "
                "permissions of OUTPUT_DIR; changes since that copy are not reported."
            ) from err
        return StoredCopy(data, datetime.fromtimestamp(modified, UTC))

    def write(self, name: str, data: bytes, *, history: bool = True) -> list[str]:
        del history  # local mode keeps the latest copy only
        target = self.path_for(name)
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

    def latest_key(self, name: str) -> str:
        """The key of the latest copy of file ``name`` (the one read back), under the prefix."""
        return f"{self.prefix}{name}"

    def keys_for(self, name: str) -> list[str]:
        """The history key, then the latest key, for file ``name`` (both under the prefix)."""
        return [f"{self.prefix}history/{self.run_date.isoformat()}/{name}", self.latest_key(name)]

    def read_latest(self, name: str) -> StoredCopy | None:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        key = self.latest_key(name)
        try:
            answer = self._s3().get_object(Bucket=self.bucket, Key=key)
            data: bytes = answer["Body"].read()
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", "unknown"))
            if code in _ABSENT_CODES:
                logger.info(
                    "no previous copy", extra={"key": key, "s3_error": code, "bucket": self.bucket}
                )
                return None
            raise ReadError(
                f"Cannot read the previous s3://{self.bucket}/{key}: S3 answered {code}. "
                "Check that the function's role may s3:GetObject on that key."
            ) from err
        except BotoCoreError as err:
            raise ReadError(
                f"Cannot read the previous s3://{self.bucket}/{key}: {type(err).__name__}: "
                f"{err}. Check the network path to S3 and the AWS credentials."
            ) from err
        modified = answer.get("LastModified")
        if not isinstance(modified, datetime):
            raise ReadError(
                f"S3 gave no LastModified for s3://{self.bucket}/{key}; "
                "changes since that copy are not reported."
            )
        return StoredCopy(data, modified.astimezone(UTC))

    def write(self, name: str, data: bytes, *, history: bool = True) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        written: list[str] = []
        keys = self.keys_for(name) if history else [self.latest_key(name)]
        for key in keys:
            try:
                self._s3().put_object(
                    Bucket=self.bucket, Key=key, Body=data, ContentType=content_type(name)
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
