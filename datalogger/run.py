"""One configured run: authenticate, permission preflight, inventory, the enabled
collections on a pool under the Lambda deadline, datasets written as they settle,
then the run summary (last).

``handler.py`` only wires configuration, logging and :func:`execute`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from collectors import CollectionResult
from collectors.errors import CollectionError
from collectors.inventory import InventoryFeed, feed_repositories
from datalogger.config import LOG_LEVELS, RunConfig
from datalogger.deadline import Deadline
from datalogger.errors import RunFailed, WriteError
from datalogger.keys import load_private_key
from datalogger.logs import append_invocation_keys, configure_logging, redact
from datalogger.outputs import REPOSITORIES, RunOutputs, configured_exceptions, load_exceptions
from datalogger.registry import REGISTRY, CollectionInput
from datalogger.summary import ApiUsage, CollectionOutcome, PermissionReport, build_summary
from datalogger.writers import (
    DATASET_FILES,
    SUMMARY_FILE,
    S3Client,
    Writer,
    dataset_bytes,
    json_bytes,
    make_writer,
)
from github_client import SYSTEM_CLOCK, Clock, GitHubClient
from github_client.errors import AppAuthError, AppNotInstalledError, DeadlineExceeded, GitHubError
from policy import permissions

logger = logging.getLogger("handler")

# Errors a collection may raise that are "expected" (no traceback in the logs).
COLLECTION_ERRORS = (CollectionError, GitHubError)
DEADLINE_POLL_SECONDS = 0.5
# Connections beyond thread_count: listing pages read at once (32), the alert
# chains (4 severities and secret scanning, each from both ends: 10) and room.
EXTRA_CONNECTIONS = 44


@dataclass(frozen=True)
class Services:
    """What a run talks to, injectable for tests."""

    env: Mapping[str, str]
    clock: Clock = SYSTEM_CLOCK
    s3_client: S3Client | None = None
    secrets_client: Any = None
    log_stream: TextIO | None = None
    sns_client: Any = None


@dataclass(frozen=True)
class RunState:
    """What every step of one configured run shares."""

    config: RunConfig
    started_at: datetime  # "now" for every age and inactivity rule
    deadline: Deadline
    writer: Writer
    clock: Clock
    outputs: RunOutputs  # exceptions, changes.json, trend.json, digest.md


@dataclass(frozen=True)
class Preflight:
    """The permission preflight: the summary's report, the collections refused at once
    (name -> error), the facts the App may not read and each collection's warnings."""

    report: PermissionReport
    refused: Mapping[str, str]
    unavailable: Mapping[str, str]
    warnings: Mapping[str, tuple[str, ...]]


def bootstrap_log_level(env: Mapping[str, str]) -> str:
    """LOG_LEVEL if valid, else INFO (load_config reports an invalid one)."""
    level = env.get("LOG_LEVEL", "").strip().upper()
    return level if level in LOG_LEVELS else "INFO"


def start_logging(config: RunConfig, services: Services) -> None:
    """The configured log level and destination; the run's first lines."""
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
    destination = f"s3://{config.s3_bucket}" if config.write_to_s3 else str(config.output_dir)
    logger.debug(
        "configuration loaded",
        extra={
            "config_path": str(config.config_path),
            "api_url": config.api_url,
            "destination": destination,
            "dependabot_thresholds": dict(config.dependabot_thresholds),
            "secret_scanning_threshold": config.secret_scanning_threshold,
            "secret_scanning_generic_types": list(config.secret_scanning_generic_types),
            "inactivity_threshold": config.inactivity_threshold,
            "signed_commit_number": config.signed_commit_number,
        },
    )


def execute(config: RunConfig, context: Any, services: Services) -> dict[str, Any]:
    """The run after configuration; returns the summary, raises RunFailed after writing."""
    started_at = _utc(services.clock.time())
    writer = _writer(config, started_at, services)
    outputs = RunOutputs(
        writer,
        config.org,
        started_at,
        exceptions=configured_exceptions(config),
        digest_topic_arn=config.digest_topic_arn,
        sns_client=services.sns_client,
    )
    state = RunState(config, started_at, Deadline(context), writer, services.clock, outputs)
    if state.deadline.expired():
        reason = f"stopped: Lambda deadline before the run began ({state.deadline.describe()})"
        logger.error("no time left to start", extra={"error": reason})
        return finish(state, _all_failed(config, reason), None, None)
    client = GitHubClient(
        org=config.org,
        app_id=config.app_client_id,
        private_key_pem=load_private_key(services.env, services.secrets_client),
        api_url=config.api_url,
        pool_size=config.thread_count + EXTRA_CONNECTIONS,
        clock=services.clock,
        remaining_time=state.deadline.remaining,
    )
    try:
        outcomes, report = authenticate_and_collect(state, client)
        usage = client.stats()
    finally:
        client.close()
    return finish(state, outcomes, usage, report)


def authenticate_and_collect(
    state: RunState, client: GitHubClient
) -> tuple[dict[str, CollectionOutcome], PermissionReport | None]:
    """Authenticate (App errors propagate: no outputs), preflight, then collect."""
    try:
        client.authenticate()
    except AppAuthError as err:
        raise AppAuthError(
            f"{err} (configured as GITHUB_APP_CLIENT_ID)", status=err.status
        ) from None
    except AppNotInstalledError as err:
        raise AppNotInstalledError(f"{err} (GITHUB_ORG)", status=err.status) from None
    except GitHubError as err:  # GitHub down, limits, deadline: a failed run with a summary
        logger.error("github app authentication failed", extra=_error_fields(err))
        reason = _failure_reason(err, state.deadline)
        return _all_failed(state.config, f"GitHub App authentication failed: {reason}"), None
    logger.info("github app authenticated", extra={"api_url": state.config.api_url})
    checked = preflight(state.config.collections, client.permissions())
    return collect_all(state, client, checked), checked.report


def preflight(collections: tuple[str, ...], granted: Mapping[str, str] | None) -> Preflight:
    """Compare the token's permissions with what the enabled collections need."""
    if granted is None:
        logger.warning("installation token listed no permissions; preflight skipped")
        return Preflight(PermissionReport(), {}, {}, {})
    needs = {name: REGISTRY[name].needs for name in collections}
    needed = [p for need in needs.values() for p in (*need.required, *need.optional)]
    missing = permissions.missing_permissions(needed, granted)
    affects = permissions.affects(missing, needs)
    refused: dict[str, str] = {}
    warnings: dict[str, tuple[str, ...]] = {}
    for name, need in needs.items():
        lacking = [p for p in need.required if p in missing]
        if lacking:
            refused[name] = permissions.refused_reason(lacking[0])
        optional = [p for p in need.optional if p in missing]
        warnings[name] = tuple(
            permissions.permission_warning(p, permissions.CHECKS_GATED.get(p, ())) for p in optional
        )
    report = PermissionReport(
        granted=dict(granted),
        missing=tuple(missing),
        affects={key: tuple(value) for key, value in affects.items()},
    )
    if missing:
        logger.warning("github app permissions missing", extra={"missing": missing})
    return Preflight(report, refused, permissions.unavailable_facts(missing), warnings)


def collect_all(
    state: RunState, client: GitHubClient, checked: Preflight
) -> dict[str, CollectionOutcome]:
    """Inventory once, then the enabled collections concurrently; datasets written on arrival."""
    config, deadline = state.config, state.deadline
    outcomes: dict[str, CollectionOutcome] = {}
    for name, reason in checked.refused.items():
        logger.error("collection refused by the preflight", extra={"collection": name})
        outcomes[name] = CollectionOutcome.failed(reason)
    runnable = [name for name in config.collections if name not in outcomes]
    if not runnable:
        return outcomes
    # The collections start with the inventory, not after it: the repository facts
    # follow its pages as they arrive; the alert listings need it only to enrich.
    inventory = InventoryFeed()
    pool = ThreadPoolExecutor(max_workers=len(runnable) + 1, thread_name_prefix="collection")
    try:
        listing = pool.submit(_list_inventory, client, config.org, inventory)
        state.outputs.exceptions = load_exceptions(client, config, state.started_at)
        pending: dict[Future[tuple[CollectionResult, float]], str] = {}
        for name in runnable:
            if not deadline.expired():
                run_input = CollectionInput(
                    client,
                    config,
                    inventory,
                    state.started_at,
                    checked.unavailable,
                    exceptions=state.outputs.exceptions.active,
                )
                pending[pool.submit(_timed, state, name, run_input)] = name
        while pending and not deadline.expired():
            _settle_finished(state, pending, outcomes, checked, _poll_seconds(deadline))
        _settle_finished(state, pending, outcomes, checked, 0)  # finished as time ran out
    finally:
        # Never wait for a collection past the deadline; its next request raises anyway.
        pool.shutdown(wait=False, cancel_futures=True)
    failed_listing = listing.exception() if listing.done() else None
    if failed_listing is not None:
        state.outputs.exceptions = configured_exceptions(config)  # read, never applied
        reason = f"repository inventory failed: {_failure_reason(failed_listing, deadline)}"
        return {**outcomes, **{name: CollectionOutcome.failed(reason) for name in runnable}}
    for name in runnable:
        if name not in outcomes:
            reason = f"stopped: Lambda deadline reached before it finished ({deadline.describe()})"
            logger.error("collection failed", extra={"collection": name, "error": reason})
            outcomes[name] = CollectionOutcome.failed(reason)
    return outcomes


def _settle_finished(
    state: RunState,
    pending: dict[Future[tuple[CollectionResult, float]], str],
    outcomes: dict[str, CollectionOutcome],
    checked: Preflight,
    timeout: float | None,
) -> None:
    """Wait up to ``timeout`` for a collection to finish; settle each that has.

    A finished future holds its collection's records: it leaves ``pending`` here
    and no reference outlives this call, so a written dataset's records are freed
    while the other collections still run.
    """
    done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
    for future in done:
        name = pending.pop(future)
        outcomes[name] = settle(state, name, future, checked.warnings.get(name, ()))


def _list_inventory(client: GitHubClient, org: str, inventory: InventoryFeed) -> None:
    """List the repositories into ``inventory`` (which hands a failure to every reader)."""
    try:
        feed_repositories(client, org, inventory)
    except COLLECTION_ERRORS as err:
        logger.error("repository inventory failed", extra=_error_fields(err))
        raise
    logger.info("repository inventory listed", extra={"repositories": len(inventory)})


def _timed(
    state: RunState, name: str, run_input: CollectionInput
) -> tuple[CollectionResult, float]:
    """Run one collector; its result and its duration in seconds."""
    start = state.clock.monotonic()
    result = REGISTRY[name].collect(run_input)
    return result, state.clock.monotonic() - start


def settle(
    state: RunState,
    name: str,
    future: Future[tuple[CollectionResult, float]],
    preflight_warnings: tuple[str, ...] = (),
) -> CollectionOutcome:
    """The outcome of a finished collection; its dataset written when it succeeded."""
    error = future.exception()
    if error is not None:
        return _failed_outcome(name, error, state.deadline, preflight_warnings)
    result, seconds = future.result()
    warnings = preflight_warnings + tuple(redact(w) for w in result.warnings)
    for warning in warnings:
        logger.warning("collection warning", extra={"collection": name, "warning": warning})
    if name == REPOSITORIES:  # already logged when the file was read
        warnings += state.outputs.exceptions.warnings
    state.outputs.settle(name, DATASET_FILES[name])  # read back before replacing
    try:
        written = state.writer.write(DATASET_FILES[name], dataset_bytes(name, result.records))
    except WriteError as err:
        logger.error("dataset not written", extra={"collection": name, **_error_fields(err)})
        return CollectionOutcome.failed(str(err), seconds, warnings)
    state.outputs.record(name, result.records)
    logger.info(
        "collection succeeded",
        extra={
            "collection": name,
            "records": len(result.records),
            "seconds": round(seconds, 3),
            "written": written,
        },
    )
    return CollectionOutcome.succeeded(
        len(result.records),
        seconds,
        warnings,
        unknown_repositories=result.unknown_repositories,
        non_compliant=result.non_compliant,
    )


def _failed_outcome(
    name: str, error: BaseException, deadline: Deadline, warnings: tuple[str, ...]
) -> CollectionOutcome:
    if isinstance(error, COLLECTION_ERRORS):
        logger.error("collection failed", extra={"collection": name, **_error_fields(error)})
        return CollectionOutcome.failed(_failure_reason(error, deadline), warnings=warnings)
    # A bug, not an operational failure: keep the traceback (in one JSON line).
    logger.error("collection crashed", extra={"collection": name}, exc_info=error)
    return CollectionOutcome.failed(
        redact(f"unexpected {type(error).__name__}: {error}"), warnings=warnings
    )


def finish(
    state: RunState,
    outcomes: dict[str, CollectionOutcome],
    usage: ApiUsage | None,
    report: PermissionReport | None,
) -> dict[str, Any]:
    """Write the summary (last); raise RunFailed when an enabled collection failed."""
    report = report or PermissionReport()
    missing = {name: report.affects.get(name, ()) for name in report.missing}
    state.outputs.finish(outcomes, missing_permissions=missing)
    finished_at = _utc(state.clock.time())
    summary = build_summary(
        state.config.org,
        state.started_at,
        finished_at,
        outcomes,
        usage,
        permissions=report,
        exceptions=state.outputs.exceptions_summary(),
    )
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
