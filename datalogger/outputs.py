"""What a run builds from its own datasets: exceptions applied, changes.json,
trend.json and digest.md (spec ``findings.md``).

The run's orchestration calls, in this order:

1. :func:`load_exceptions` once, before the collections (one contents
   request when ``settings.exceptions`` is set and repositories are collected);
2. :meth:`RunOutputs.settle` for each collection that succeeded, before its
   dataset is written: the latest copy about to be replaced is read back
   (:data:`READ_BACK_FILES`); the records already carry their exceptions
   (``datalogger.records``, from the active entries given to the collection);
3. :meth:`RunOutputs.record` once the dataset is written;
4. :meth:`RunOutputs.finish` after every collection settled: ``changes.json``
   (latest + history), ``trend.json`` (latest only), ``digest.md`` (latest +
   history, and published to SNS when ``DIGEST_TOPIC_ARN`` is set).

Nothing here fails the run: a previous copy that cannot be read makes that
dataset ``not_collected`` in ``changes.json`` (and leaves ``trend.json``
untouched), an unpublished digest is logged.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

from collectors.exceptions_file import read_exceptions_file
from datalogger import changes, digest, trend
from datalogger.config import RunConfig
from datalogger.errors import ReadError, WriteError
from datalogger.registry import COLLECTIONS
from datalogger.summary import SUCCEEDED, CollectionOutcome, run_status
from datalogger.writers import Writer, json_bytes
from github_client import GitHubClient
from policy import exceptions as policy_exceptions
from policy.exceptions import ExceptionEntry, ParsedExceptions

logger = logging.getLogger(__name__)

REPOSITORIES: Final = "repositories"

# The latest copies a run reads back before replacing them (S3 GetObject on
# exactly these keys): each dataset, for changes.json, and trend.json.
READ_BACK_FILES: Final[tuple[str, ...]] = (
    *(f"{collection}.json" for collection in COLLECTIONS),
    trend.TREND_FILE,
)

Records = Sequence[Mapping[str, Any]]


class SnsClient(Protocol):
    """The one call of boto3's SNS client the run uses (sns:Publish)."""

    def publish(self, **kwargs: Any) -> Any: ...


# --------------------------------------------------------------------------- exceptions


@dataclass(frozen=True)
class LoadedExceptions:
    """The exceptions of one run: where from, what parsed, what applies today."""

    source: str | None = None  # "repo:path"; None when none are configured
    parsed: ParsedExceptions = field(default_factory=ParsedExceptions)
    active: tuple[ExceptionEntry, ...] = ()
    warnings: tuple[str, ...] = ()  # a missing file, text that is not TOML...


NO_EXCEPTIONS: Final = LoadedExceptions()


def configured_exceptions(config: RunConfig) -> LoadedExceptions:
    """Before the file is read: its source when one will be (nothing applies yet)."""
    if config.exceptions is None or not config.enabled(REPOSITORIES):
        return NO_EXCEPTIONS
    return LoadedExceptions(source=config.exceptions.source)


def load_exceptions(
    client: GitHubClient, config: RunConfig, started_at: datetime
) -> LoadedExceptions:
    """Read and parse the configured exceptions file; nothing when it is not configured
    or when repositories are not collected (nothing to apply them to)."""
    location = config.exceptions
    if location is None or not config.enabled(REPOSITORIES):
        return NO_EXCEPTIONS
    read = read_exceptions_file(client, config.org, location.repository, location.path)
    if read.text is None:
        warning = read.missing or f"exceptions file {location.source} could not be read"
        logger.warning(
            "exceptions not applied", extra={"source": location.source, "warning": warning}
        )
        return LoadedExceptions(source=location.source, warnings=(warning,))
    today = started_at.date()
    parsed = policy_exceptions.parse_exceptions(
        read.text, location.source, today, config.max_exception_days
    )
    for warning in parsed.warnings:
        logger.warning(
            "exceptions file problem", extra={"source": location.source, "warning": warning}
        )
    for bad in parsed.invalid:
        logger.warning(
            "exception entry not applied",
            extra={"source": location.source, "index": bad.index, "why": bad.why},
        )
    active = policy_exceptions.active_entries(parsed, today)
    logger.info(
        "exceptions loaded",
        extra={
            "source": location.source,
            "active": len(active),
            "expired": len(parsed.entries) - len(active),
            "invalid": len(parsed.invalid),
        },
    )
    return LoadedExceptions(location.source, parsed, active, parsed.warnings)


# --------------------------------------------------------------------------- kept of a dataset


class NotRecordsError(ValueError):
    """A dataset copy that is JSON but not a list of records (objects with their key)."""


def _repository_kept(record: Mapping[str, Any]) -> dict[str, Any]:
    checklist = record.get("checklist")
    broken = (
        {check: True for check, value in checklist.items() if value is True}
        if isinstance(checklist, Mapping)
        else {}
    )
    return {
        "name": record["name"],
        "failing": sorted(changes.failing_of(record)),
        "unknown": record.get("unknown"),
        "exceptions": record.get("exceptions"),
        "checklist": broken,  # only the true checks: what the exceptions summary asks
    }


def _dependabot_kept(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: record.get(key) for key in ("alert_url", "severity", "repository")}


def _secret_scanning_kept(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: record.get(key) for key in ("alert_url", "repository")}


# What changes.json, trend.json, digest.md and the summary's exceptions block read of a
# record, and the field without which a record cannot be compared. The rest of each
# record is dropped once its dataset is written (and as a previous copy is read), so
# a run never holds a large dataset twice: this run's and the one it replaces.
_KEPT: Final[Mapping[str, tuple[str, Callable[[Mapping[str, Any]], dict[str, Any]]]]] = {
    REPOSITORIES: ("name", _repository_kept),
    "dependabot": ("alert_url", _dependabot_kept),
    "secret_scanning": ("alert_url", _secret_scanning_kept),
}


def retained_records(name: str, records: Iterable[object]) -> list[dict[str, Any]]:
    """What the run's findings read of each record of dataset ``name``.

    NotRecordsError when an item is not an object or lacks the dataset's key
    (``name``, ``alert_url``): such a copy cannot be compared.
    """
    key, kept = _KEPT[name]
    result: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        if not isinstance(record, Mapping) or not isinstance(record.get(key), str):
            raise NotRecordsError(f"item {index} is not a record with a {key!r} string")
        result.append(kept(record))
    return result


def json_array_items(text: str) -> Iterator[object]:
    """The items of the JSON array ``text``, decoded one at a time.

    ``json.loads`` would build the whole document first (twice the file's size
    in objects for a dataset); a previous copy is reduced to what the run
    compares item by item instead. ValueError (``json.JSONDecodeError``) when
    ``text`` is not JSON; NotRecordsError when it is JSON but not an array.
    """
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        value, end = decoder.raw_decode(text, position)  # not JSON: its error
        if _skip_space(text, end) != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
        raise NotRecordsError(f"the document is a JSON {type(value).__name__}, not an array")
    position = _skip_space(text, position + 1)
    if text.startswith("]", position):
        position += 1
    else:
        while True:
            item, position = decoder.raw_decode(text, position)
            yield item
            position = _skip_space(text, position)
            if text.startswith(",", position):
                position = _skip_space(text, position + 1)
                continue
            if text.startswith("]", position):
                position += 1
                break
            raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
    if _skip_space(text, position) != len(text):
        raise json.JSONDecodeError("Extra data", text, position)


_SPACE: Final = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, position: int) -> int:
    match = _SPACE.match(text, position)
    return position if match is None else match.end()


# --------------------------------------------------------------------------- the run's outputs


@dataclass
class _Dataset:
    """One dataset as the run saw it: the copy it replaced and what it wrote."""

    previous: Records | None = None
    previous_written_at: datetime | None = None
    unreadable: bool = False  # the previous copy exists but could not be read
    written: Records | None = None


class RunOutputs:
    """Collects what :meth:`finish` needs while the collections settle.

    Called from the run's main thread only (the settle loop), so no lock.
    """

    def __init__(
        self,
        writer: Writer,
        org: str,
        started_at: datetime,
        *,
        exceptions: LoadedExceptions = NO_EXCEPTIONS,
        digest_topic_arn: str | None = None,
        sns_client: SnsClient | None = None,
    ) -> None:
        self.writer = writer
        self.org = org
        self.started_at = started_at
        self.exceptions = exceptions
        self.digest_topic_arn = digest_topic_arn
        self._sns = sns_client
        self._datasets: dict[str, _Dataset] = {}

    # -- while the collections settle -----------------------------------

    def settle(self, name: str, file_name: str) -> None:
        """Read back the latest copy of ``file_name`` before the run replaces it; only
        what :meth:`finish` compares is kept (:func:`retained_records`)."""
        dataset = self._datasets.setdefault(name, _Dataset())
        try:
            copy = self.writer.read_latest(file_name)
        except ReadError as err:
            logger.error("previous copy not read", extra={"collection": name, "error": str(err)})
            dataset.unreadable = True
            return
        if copy is None:
            return
        written_at = copy.written_at
        try:
            text = copy.data.decode("utf-8")
            del copy  # its bytes: the text alone is parsed, one record at a time
            previous = retained_records(name, json_array_items(text))
        except NotRecordsError as err:
            problem, error = "previous copy is not a list of records", str(err)
        except ValueError as err:  # UnicodeDecodeError and JSONDecodeError included
            problem, error = "previous copy is not JSON", str(err)
        else:
            dataset.previous = previous
            dataset.previous_written_at = written_at
            return
        logger.error(problem, extra={"collection": name, "file": file_name, "error": error})
        dataset.unreadable = True

    def record(self, name: str, records: Records) -> None:
        """The dataset as written (after :meth:`settle`): what :meth:`finish` reads of it."""
        self._datasets.setdefault(name, _Dataset()).written = retained_records(name, records)

    # -- after every collection -------------------------------------------

    def comparisons(self) -> dict[str, changes.Comparison]:
        result: dict[str, changes.Comparison] = {}
        for name, dataset in self._datasets.items():
            if dataset.written is None or dataset.unreadable:
                continue
            result[name] = changes.Comparison(
                dataset.written, dataset.previous, dataset.previous_written_at
            )
        return result

    def written(self, name: str) -> Records | None:
        dataset = self._datasets.get(name)
        return None if dataset is None else dataset.written

    def finish(
        self,
        outcomes: Mapping[str, CollectionOutcome],
        missing_permissions: Mapping[str, Sequence[str]] | None = None,
    ) -> list[str]:
        """Write changes.json, trend.json and digest.md; publish the digest.

        Nothing is written when no collection succeeded. Returns where the
        files went.
        """
        if not any(outcome.status == SUCCEEDED for outcome in outcomes.values()):
            logger.info("no dataset collected: changes, trend and digest not written")
            return []
        written: list[str] = []
        document = changes.build_changes(self.org, self.started_at, self.comparisons())
        written += self._write(changes.CHANGES_FILE, json_bytes(document))
        point = trend.trend_point(
            self.started_at.date(),
            self.written(REPOSITORIES),
            self.written("dependabot"),
            self.written("secret_scanning"),
        )
        earlier = self._earlier_trend()
        if earlier is not None:
            merged = trend.merge_point(earlier, point)
            written += self._write(trend.TREND_FILE, json_bytes(merged), history=False)
        text = digest.render(
            digest.DigestInput(
                org=self.org,
                started_at=self.started_at,
                status=run_status(_complete(outcomes)),
                point=point,
                previous_point=trend.previous_point(earlier or []),
                changes=document,
                dependabot=self.written("dependabot"),
                secret_scanning=self.written("secret_scanning"),
                expiring=policy_exceptions.expiring_within(
                    self.exceptions.active, self.started_at.date()
                ),
                missing_permissions=missing_permissions or {},
            )
        )
        written += self._write(digest.DIGEST_FILE, text.encode("utf-8"))
        self._publish(text)
        return written

    def exceptions_summary(self) -> dict[str, Any]:
        """The run summary's ``exceptions`` block."""
        source = self.exceptions.source
        if source is None:
            return policy_exceptions.empty_summary()
        return policy_exceptions.summary_block(
            source, self.exceptions.parsed, self.started_at.date(), self.written(REPOSITORIES)
        )

    # -- helpers ------------------------------------------------------------

    def _write(self, name: str, data: bytes, *, history: bool = True) -> list[str]:
        try:
            where = self.writer.write(name, data, history=history)
        except WriteError as err:
            logger.error("file not written", extra={"file": name, "error": str(err)})
            return []
        logger.info("file written", extra={"file": name, "written": where})
        return where

    def _earlier_trend(self) -> list[dict[str, Any]] | None:
        """The points of the latest trend.json; None when it exists but cannot be read
        (then the trend is left as it is rather than started again)."""
        try:
            copy = self.writer.read_latest(trend.TREND_FILE)
        except ReadError as err:
            logger.error("trend not updated", extra={"error": str(err)})
            return None
        if copy is None:
            return []
        try:
            document = json.loads(copy.data)
        except ValueError as err:
            logger.error(
                "trend not updated: previous trend.json is not JSON", extra={"error": str(err)}
            )
            return None
        points, problems = trend.earlier_points(document)
        for problem in problems:
            logger.warning("trend point dropped", extra={"warning": problem})
        return points

    def _publish(self, text: str) -> None:
        if self.digest_topic_arn is None:
            return
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            self._sns_client().publish(
                TopicArn=self.digest_topic_arn,
                Subject=digest.subject(self.org, self.started_at),
                Message=text,
            )
        except (ClientError, BotoCoreError) as err:
            logger.error(
                "digest not published",
                extra={"topic": self.digest_topic_arn, "error": f"{type(err).__name__}: {err}"},
            )
            return
        logger.info("digest published", extra={"topic": self.digest_topic_arn})

    def _sns_client(self) -> SnsClient:
        if self._sns is None:
            import boto3  # noqa: PLC0415 - only a digest e-mail needs SNS

            self._sns = boto3.client("sns")
        return self._sns


def _complete(outcomes: Mapping[str, CollectionOutcome]) -> dict[str, CollectionOutcome]:
    return {name: outcomes.get(name, CollectionOutcome.skipped()) for name in COLLECTIONS}
