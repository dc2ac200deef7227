"""Where the roll-up reads each organisation's run summary and writes ``organisations.json``.

S3 (the deployed layout) or ``OUTPUT_DIR`` (the local fan-out), chosen like the
data logger's own writer: S3 when ``S3_BUCKET`` is set and ``WRITE_TO_S3`` is
not false. The S3 store only calls ``GetObject`` on ``orgs/<login>/run_summary.json``
and ``PutObject`` on ``organisations.json``, which is all its role may do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, cast

from datalogger.config import DEFAULT_OUTPUT_DIR
from datalogger.errors import WriteError
from datalogger.writers import CONTENT_TYPE, LocalWriter

logger = logging.getLogger(__name__)

_FALSE = ("false", "0", "no")


class SummaryStore(Protocol):
    """Reads a file under a prefix; writes one file at the root."""

    def read(self, key: str) -> bytes | None:
        """The bytes at ``key``, or None when there is none."""
        ...

    def write(self, key: str, data: bytes) -> str:
        """Write ``data`` whole at ``key``; where it went."""
        ...


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes) -> str:
        return LocalWriter(self.root).write(key, data)[0]


class S3Store:
    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self._client = client

    def _s3(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415 - only S3 mode needs boto3 loaded

            self._client = boto3.client("s3")
        return self._client

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            answer = self._s3().get_object(Bucket=self.bucket, Key=key)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "unknown")
            if code in ("NoSuchKey", "404", "AccessDenied", "403"):
                # Without s3:ListBucket (least privilege) S3 answers AccessDenied
                # for a key that does not exist: both mean "no summary to read".
                logger.warning("run summary not readable", extra={"key": key, "code": code})
                return None
            raise WriteError(
                f"Cannot read s3://{self.bucket}/{key}: S3 answered {code}. Check that the "
                "roll-up's role may s3:GetObject on orgs/*/run_summary.json."
            ) from err
        return cast(bytes, answer["Body"].read())

    def write(self, key: str, data: bytes) -> str:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            self._s3().put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=CONTENT_TYPE)
        except (BotoCoreError, ClientError) as err:
            raise WriteError(
                f"Cannot write s3://{self.bucket}/{key}: {type(err).__name__}: {err}. Check "
                "that the bucket exists and the roll-up's role may s3:PutObject on it."
            ) from err
        return f"s3://{self.bucket}/{key}"


def store_for(env: Mapping[str, str], s3_client: Any = None) -> SummaryStore:
    bucket = (env.get("S3_BUCKET") or "").strip()
    to_s3 = (env.get("WRITE_TO_S3") or "").strip().lower() not in _FALSE
    if bucket and to_s3:
        return S3Store(bucket, s3_client)
    return LocalStore(Path((env.get("OUTPUT_DIR") or "").strip() or DEFAULT_OUTPUT_DIR))
