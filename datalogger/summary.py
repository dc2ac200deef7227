"""The run summary document (``run_summary.json``, schema version 1).

It tells the dashboard and an operator what happened: per collection whether it
succeeded, failed (and why) or was skipped, how many records, how long, and the
API usage of the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from datalogger.registry import COLLECTIONS
from policy.exceptions import empty_summary

SCHEMA_VERSION = 1

SUCCEEDED = "succeeded"
FAILED = "failed"
SKIPPED = "skipped"
PARTIAL = "partial"


@dataclass(frozen=True)
class CollectionOutcome:
    """What happened to one collection in this run."""

    status: str  # succeeded | failed | skipped
    records: int | None = None
    seconds: float = 0.0
    error: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    unknown_repositories: int | None = None  # repositories only
    non_compliant: int | None = None  # repositories only

    @classmethod
    def skipped(cls) -> CollectionOutcome:
        return cls(status=SKIPPED)

    @classmethod
    def failed(
        cls, error: str, seconds: float = 0.0, warnings: tuple[str, ...] = ()
    ) -> CollectionOutcome:
        return cls(status=FAILED, error=error, seconds=seconds, warnings=warnings)

    @classmethod
    def succeeded(
        cls,
        records: int,
        seconds: float,
        warnings: tuple[str, ...] = (),
        unknown_repositories: int | None = None,
        non_compliant: int | None = None,
    ) -> CollectionOutcome:
        return cls(
            status=SUCCEEDED,
            records=records,
            seconds=seconds,
            warnings=warnings,
            unknown_repositories=unknown_repositories,
            non_compliant=non_compliant,
        )


class ApiUsage(Protocol):
    """The fields of ``github_client.ApiStats`` the summary reports."""

    @property
    def rest_requests(self) -> int: ...
    @property
    def graphql_requests(self) -> int: ...
    @property
    def retries(self) -> int: ...
    @property
    def rate_limit_remaining(self) -> int | None: ...
    @property
    def graphql_points(self) -> int: ...


def iso_utc(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_status(outcomes: Mapping[str, CollectionOutcome]) -> str:
    """succeeded when every enabled collection did, failed when none did, else partial."""
    enabled = [o for o in outcomes.values() if o.status != SKIPPED]
    failed = [o for o in enabled if o.status == FAILED]
    if not failed:
        return SUCCEEDED
    if len(failed) == len(enabled):
        return FAILED
    return PARTIAL


def api_block(usage: ApiUsage | None) -> dict[str, Any]:
    """The ``api`` object; zeros when no client was ever created."""
    if usage is None:
        return {
            "rest_requests": 0,
            "graphql_requests": 0,
            "retries": 0,
            "rate_limit_remaining": None,
            "graphql_points": 0,
        }
    return {
        "rest_requests": int(usage.rest_requests),
        "graphql_requests": int(usage.graphql_requests),
        "retries": int(usage.retries),
        "rate_limit_remaining": usage.rate_limit_remaining,
        "graphql_points": int(usage.graphql_points),
    }


def collection_block(outcome: CollectionOutcome) -> dict[str, Any]:
    """One collection's entry: status, records, seconds, error, warnings (and, for the
    repositories, ``unknown_repositories`` and ``non_compliant`` when it succeeded)."""
    block: dict[str, Any] = {
        "status": outcome.status,
        "records": outcome.records,
        "seconds": round(max(outcome.seconds, 0.0), 3),
        "error": outcome.error,
        "warnings": list(outcome.warnings),
    }
    if outcome.unknown_repositories is not None:
        block["unknown_repositories"] = outcome.unknown_repositories
    if outcome.non_compliant is not None:
        block["non_compliant"] = outcome.non_compliant
    return block


@dataclass(frozen=True)
class PermissionReport:
    """The preflight's finding: what the installation granted, what is missing, and what
    each missing permission affects (collections it fails, checks it makes unknown)."""

    granted: Mapping[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    affects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def block(self) -> dict[str, Any]:
        return {
            "granted": dict(sorted(self.granted.items())),
            "missing": list(self.missing),
            "affects": {key: list(value) for key, value in sorted(self.affects.items())},
        }


def build_summary(
    org: str,
    started_at: datetime,
    finished_at: datetime,
    outcomes: Mapping[str, CollectionOutcome],
    usage: ApiUsage | None,
    *,
    permissions: PermissionReport | None = None,
    exceptions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The run summary document; every collection appears (skipped when absent).

    ``exceptions`` is the block of :func:`policy.exceptions.summary_block`
    (none configured when absent).
    """
    complete = {name: outcomes.get(name, CollectionOutcome.skipped()) for name in COLLECTIONS}
    return {
        "schema_version": SCHEMA_VERSION,
        "org": org,
        "started_at": iso_utc(started_at),
        "finished_at": iso_utc(finished_at),
        "status": run_status(complete),
        "collections": {name: collection_block(complete[name]) for name in COLLECTIONS},
        "api": api_block(usage),
        "permissions": (permissions or PermissionReport()).block(),
        "exceptions": dict(exceptions) if exceptions is not None else empty_summary(),
    }
