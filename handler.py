"""AWS Lambda entry point of the GitHub policy data logger: wiring only.

config -> private key -> GitHub App client -> repository inventory (once) ->
enabled collections concurrently -> datasets -> run summary (last).

``handler(event, context)`` is what Lambda calls; :func:`run` is the same with
its dependencies (environment, clock, AWS clients, log stream) injectable for
tests. ``python -m handler`` runs one collection locally: exit status 0 on
success, 1 when the run failed, 2 when it could not start (``--help``: usage).
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from collectors import CollectionResult
from collectors.dependabot import collect_dependabot
from collectors.errors import CollectionError
from collectors.inventory import InventoryFeed, RepoListing, feed_repositories
from collectors.repositories import RepositorySettings, collect_repositories
from collectors.secret_scanning import collect_secret_scanning
from datalogger.cli import (
    EXIT_OK,
    EXIT_RUN_FAILED,
    EXIT_SETUP_ERROR,
    invoked_locally,
    parse_command_line,
    short_cause,
)
from datalogger.config import LOG_LEVELS, RunConfig, load_config
from datalogger.deadline import Deadline
from datalogger.errors import ConfigError, RunFailed, WriteError
from datalogger.logs import (
    append_invocation_keys,
    close_logging,
    configure_logging,
    redact,
    set_invocation_keys,
)
from datalogger.summary import ApiUsage, CollectionOutcome, build_summary
from datalogger.writers import (
    DATASET_FILES,
    SUMMARY_FILE,
    S3Client,
    Writer,
    dataset_bytes,
    json_bytes,
    make_writer,
)
from github_client import SYSTEM_CLOCK, Clock, GitHubClient, load_private_key
from github_client.errors import (
    AppAuthError,
    AppNotInstalledError,
    DeadlineExceeded,
    GitHubError,
    PrivateKeyError,
)

__all__ = ["ConfigError", "RunFailed", "handler", "main", "run"]

logger = logging.getLogger("handler")

# Errors that stop a run before any collection: one clear message, no outputs.
SETUP_ERRORS = (ConfigError, PrivateKeyError, AppAuthError, AppNotInstalledError)
# Errors a collection may raise that are "expected" (no traceback in the logs).
COLLECTION_ERRORS = (CollectionError, GitHubError)
DEADLINE_POLL_SECONDS = 0.5
# Connections beyond thread_count: listing pages read at once (32), the alert
# chains (4 severities and secret scanning, each from both ends: 10) and room.
EXTRA_CONNECTIONS = 44

Collector = Callable[[GitHubClient, RunConfig, Sequence[RepoListing], datetime], CollectionResult]


def _collect_repositories(
    client: GitHubClient, config: RunConfig, inventory: Sequence[RepoListing], now: datetime
) -> CollectionResult:
    settings = RepositorySettings(
        inactivity_years=config.inactivity_threshold,
        signed_commit_number=config.signed_commit_number,
        thread_count=config.thread_count,
    )
    return collect_repositories(client, config.org, inventory, settings, now)


def _collect_dependabot(
    client: GitHubClient, config: RunConfig, inventory: Sequence[RepoListing], now: datetime
) -> CollectionResult:
    return collect_dependabot(client, config.org, inventory, config.dependabot_thresholds, now)


def _collect_secret_scanning(
    client: GitHubClient, config: RunConfig, inventory: Sequence[RepoListing], now: datetime
) -> CollectionResult:
    return collect_secret_scanning(
        client, config.org, inventory, config.secret_scanning_threshold, now
    )


COLLECTORS: dict[str, Collector] = {
    "repositories": _collect_repositories,
    "dependabot": _collect_dependabot,
    "secret_scanning": _collect_secret_scanning,
}


@dataclass(frozen=True)
class Services:
    """What a run talks to, injectable for tests."""

    env: Mapping[str, str]
    clock: Clock = SYSTEM_CLOCK
    s3_client: S3Client | None = None
    secrets_client: Any = None
    log_stream: TextIO | None = None


# --------------------------------------------------------------------------- entry points


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: run once with the process environment.

    Under ``serverless invoke local`` a failure ends the process with one line
    naming the cause (exit status 1) instead of a traceback.
    """
    try:
        return run(event, context, Services(env=os.environ))
    except Exception as err:
        if invoked_locally(context):
            raise SystemExit(short_cause(err)) from None
        raise


def run(event: Any, context: Any, services: Services) -> dict[str, Any]:
    """One collection run. Returns the run summary; raises RunFailed after writing."""
    set_invocation_keys(run_id=getattr(context, "aws_request_id", None) or uuid.uuid4().hex)
    configure_logging(_bootstrap_log_level(services.env), stream=services.log_stream)
    try:
        config = load_config(event, services.env)
        _start_logging(config, services)
        return _run_configured(config, context, services)
    except SETUP_ERRORS as err:
        logger.error("run stopped before collecting", extra=_error_fields(err))
        raise
    except (RunFailed, WriteError):
        raise  # already logged with their reasons
    except Exception:
        logger.exception("run crashed")  # a bug: one JSON line with the traceback
        raise
    finally:
        close_logging()


def main(argv: list[str] | None = None) -> int:
    """``python -m handler``: one local run; 0 ok, 1 run failed, 2 could not start.

    Every outcome is logged by :func:`run`; a failure adds its cause as the last
    line on standard error. ``--help`` prints the usage.
    """
    parse_command_line(argv)
    try:
        handler({}, None)
    except Exception as err:  # noqa: BLE001 - the process boundary: the exit status is the report
        sys.stderr.write(short_cause(err) + "\n")
        return EXIT_SETUP_ERROR if isinstance(err, SETUP_ERRORS) else EXIT_RUN_FAILED
    return EXIT_OK


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class RunState:
    """What every step of one configured run shares."""

    config: RunConfig
    started_at: datetime  # "now" for every age and inactivity rule
    deadline: Deadline
    writer: Writer
    clock: Clock


def _run_configured(config: RunConfig, context: Any, services: Services) -> dict[str, Any]:
    started_at = _utc(services.clock.time())
    state = RunState(
        config=config,
        started_at=started_at,
        deadline=Deadline(context),
        writer=_writer(config, started_at, services),
        clock=services.clock,
    )
    if state.deadline.expired():
        reason = f"stopped: Lambda deadline before the run began ({state.deadline.describe()})"
        logger.error("no time left to start", extra={"error": reason})
        return _finish(state, _all_failed(config, reason), None)
    client = _client(config, services, state.deadline)
    try:
        outcomes = _authenticate_and_collect(state, client)
        usage = client.stats()
    finally:
        client.close()
    return _finish(state, outcomes, usage)


def _client(config: RunConfig, services: Services, deadline: Deadline) -> GitHubClient:
    """The GitHub App client (key loaded and validated, nothing sent yet)."""
    return GitHubClient(
        org=config.org,
        app_id=config.app_client_id,
        private_key_pem=load_private_key(services.env, services.secrets_client),
        api_url=config.api_url,
        pool_size=config.thread_count + EXTRA_CONNECTIONS,
        clock=services.clock,
        remaining_time=deadline.remaining,
    )


def _authenticate_and_collect(
    state: RunState, client: GitHubClient
) -> dict[str, CollectionOutcome]:
    """Authenticate (App errors propagate: no outputs), then collect."""
    try:
        client.authenticate()
    except (AppAuthError, AppNotInstalledError):
        raise
    except GitHubError as err:  # GitHub down, limits, deadline: a failed run with a summary
        logger.error("github app authentication failed", extra=_error_fields(err))
        reason = _failure_reason(err, state.deadline)
        return _all_failed(state.config, f"GitHub App authentication failed: {reason}")
    logger.info("github app authenticated", extra={"api_url": state.config.api_url})
    return _collect_all(state, client)


def _collect_all(state: RunState, client: GitHubClient) -> dict[str, CollectionOutcome]:
    """The inventory (once) and the enabled collections concurrently; datasets written on
    arrival. The collections start at once: the repository facts follow the inventory
    as its pages arrive, the alert listings need it only to enrich their records."""
    config, deadline = state.config, state.deadline
    inventory = InventoryFeed()
    outcomes: dict[str, CollectionOutcome] = {}
    pool = ThreadPoolExecutor(
        max_workers=len(config.collections) + 1, thread_name_prefix="collection"
    )
    try:
        listing = pool.submit(_list_inventory, client, config.org, inventory)
        pending: dict[Future[tuple[CollectionResult, float]], str] = {}
        for name in config.collections:
            if not deadline.expired():
                pending[pool.submit(_timed, state, name, client, inventory)] = name
        while pending and not deadline.expired():
            done, _ = wait(pending, timeout=_poll_seconds(deadline), return_when=FIRST_COMPLETED)
            for future in done:
                name = pending.pop(future)
                outcomes[name] = _settle(state, name, future)
        for future in [f for f in pending if f.done()]:  # finished just as time ran out
            name = pending.pop(future)
            outcomes[name] = _settle(state, name, future)
    finally:
        # Never wait for a collection past the deadline; its next request raises anyway.
        pool.shutdown(wait=False, cancel_futures=True)
    failed_listing = listing.exception() if listing.done() else None
    if failed_listing is not None:
        reason = f"repository inventory failed: {_failure_reason(failed_listing, deadline)}"
        return _all_failed(config, reason)
    for name in config.collections:
        if name not in outcomes:
            reason = f"stopped: Lambda deadline reached before it finished ({deadline.describe()})"
            logger.error("collection failed", extra={"collection": name, "error": reason})
            outcomes[name] = CollectionOutcome.failed(reason)
    return outcomes


def _list_inventory(client: GitHubClient, org: str, inventory: InventoryFeed) -> None:
    """List the repositories into ``inventory`` (which hands a failure to every reader)."""
    try:
        feed_repositories(client, org, inventory)
    except COLLECTION_ERRORS as err:
        logger.error("repository inventory failed", extra=_error_fields(err))
        raise
    logger.info("repository inventory listed", extra={"repositories": len(inventory)})


def _timed(
    state: RunState, name: str, client: GitHubClient, inventory: Sequence[RepoListing]
) -> tuple[CollectionResult, float]:
    """Run one collector; its result and its duration in seconds."""
    start = state.clock.monotonic()
    result = COLLECTORS[name](client, state.config, inventory, state.started_at)
    return result, state.clock.monotonic() - start


def _settle(
    state: RunState, name: str, future: Future[tuple[CollectionResult, float]]
) -> CollectionOutcome:
    """The outcome of a finished collection; its dataset written when it succeeded."""
    error = future.exception()
    if error is not None:
        return _failed_outcome(name, error, state.deadline)
    result, seconds = future.result()
    warnings = tuple(redact(w) for w in result.warnings)
    for warning in warnings:
        logger.warning("collection warning", extra={"collection": name, "warning": warning})
    try:
        written = state.writer.write(DATASET_FILES[name], dataset_bytes(name, result.records))
    except WriteError as err:
        logger.error("dataset not written", extra={"collection": name, **_error_fields(err)})
        return CollectionOutcome.failed(str(err), seconds, warnings)
    logger.info(
        "collection succeeded",
        extra={
            "collection": name,
            "records": len(result.records),
            "seconds": round(seconds, 3),
            "written": written,
        },
    )
    return CollectionOutcome.succeeded(len(result.records), seconds, warnings)


def _failed_outcome(name: str, error: BaseException, deadline: Deadline) -> CollectionOutcome:
    if isinstance(error, COLLECTION_ERRORS):
        logger.error("collection failed", extra={"collection": name, **_error_fields(error)})
        return CollectionOutcome.failed(_failure_reason(error, deadline))
    # A bug, not an operational failure: keep the traceback (in one JSON line).
    logger.error("collection crashed", extra={"collection": name}, exc_info=error)
    return CollectionOutcome.failed(redact(f"unexpected {type(error).__name__}: {error}"))


def _finish(
    state: RunState, outcomes: dict[str, CollectionOutcome], usage: ApiUsage | None
) -> dict[str, Any]:
    """Write the summary (last); raise RunFailed when an enabled collection failed."""
    finished_at = _utc(state.clock.time())
    summary = build_summary(state.config.org, state.started_at, finished_at, outcomes, usage)
    try:
        written = state.writer.write(SUMMARY_FILE, json_bytes(summary))
    except WriteError as err:
        logger.error("run summary not written", extra=_error_fields(err))
        raise
    failed = {
        name: outcome.error or "failed"
        for name, outcome in outcomes.items()
        if outcome.status == "failed"
    }
    logger.info(
        "run finished",
        extra={"status": summary["status"], "api": summary["api"], "written": written},
    )
    if failed:
        logger.error("run failed", extra={"failed": sorted(failed)})
        raise RunFailed(failed, summary)
    return summary


# --------------------------------------------------------------------------- helpers


def _bootstrap_log_level(env: Mapping[str, str]) -> str:
    """LOG_LEVEL if valid, else INFO (load_config reports an invalid one)."""
    level = env.get("LOG_LEVEL", "").strip().upper()
    return level if level in LOG_LEVELS else "INFO"


def _start_logging(config: RunConfig, services: Services) -> None:
    local_dir = config.local_dir if config.show_log_locally else None
    configure_logging(config.log_level, local_dir=local_dir, stream=services.log_stream)
    append_invocation_keys(org=config.org)
    if config.ignored_event_keys:
        logger.info("event keys ignored", extra={"keys": list(config.ignored_event_keys)})
    logger.info(
        "run started",
        extra={
            "collections": list(config.collections),
            "write_to_s3": config.write_to_s3,
            "thread_count": config.thread_count,
            "key_source": config.key_source,
            "output_prefix": config.output_prefix,
        },
    )
    logger.debug(
        "configuration loaded",
        extra={
            "config_path": str(config.config_path),
            "api_url": config.api_url,
            "destination": f"s3://{config.s3_bucket}"
            if config.write_to_s3
            else str(config.output_dir),
            "dependabot_thresholds": dict(config.dependabot_thresholds),
            "secret_scanning_threshold": config.secret_scanning_threshold,
            "inactivity_threshold": config.inactivity_threshold,
            "signed_commit_number": config.signed_commit_number,
        },
    )


def _writer(config: RunConfig, started_at: datetime, services: Services) -> Writer:
    return make_writer(config, started_at, services.s3_client)


def _all_failed(config: RunConfig, reason: str) -> dict[str, CollectionOutcome]:
    return {name: CollectionOutcome.failed(reason) for name in config.collections}


def _failure_reason(error: BaseException, deadline: Deadline) -> str:
    """str(error), marked as a deadline stop when the Lambda deadline caused it."""
    message = redact(str(error))
    if _hit_deadline(error) or deadline.expired():
        return f"stopped: Lambda deadline ({deadline.describe()}): {message}"
    return message


def _hit_deadline(error: BaseException | None) -> bool:
    """Whether ``error`` or one of its causes is the client's DeadlineExceeded."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, DeadlineExceeded):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _error_fields(error: BaseException) -> dict[str, str]:
    return {"error_type": type(error).__name__, "error": redact(str(error))}


def _poll_seconds(deadline: Deadline) -> float | None:
    left = deadline.remaining()
    return None if left is None else max(min(left, DEADLINE_POLL_SECONDS), 0.0)


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


if __name__ == "__main__":
    sys.exit(main())
