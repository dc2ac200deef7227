"""The two alert collections, wired: facts (collector) -> overdue (policy) -> records.

``dependabot.json``: open Dependabot alerts older than their severity's
threshold. ``secret_scanning.json``: open secret scanning alerts older than
``secret_scanning_threshold``, the generic patterns included (a second listing
chain naming them), each alert once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from collectors import CollectionResult
from collectors.alerts import (
    DEPENDABOT,
    SECRET_SCANNING,
    AlertHarvest,
    F,
    KeptAlert,
    collect_alerts,
    secret_scanning_chains,
)
from collectors.facts import DependabotAlertFacts, SecretScanningAlertFacts
from collectors.inventory import RepoListing
from datalogger.records import (
    alert_sort_key,
    dependabot_record,
    secret_scanning_record,
    taken,
)
from github_client import GitHubClient
from policy.alerts import Overdue, dependabot_overdue, secret_scanning_overdue

logger = logging.getLogger(__name__)


def overdue_records(
    harvest: AlertHarvest[F],
    judged: Callable[[F], Overdue | None],
    record_of: Callable[[KeptAlert[F], Overdue], dict[str, Any]],
    created_field: str,
) -> list[dict[str, Any]]:
    """The records of the kept alerts that are overdue, in the dataset's order
    (repository, creation time, URL); each alert's facts are freed as its record
    is made."""
    records = []
    for alert in taken(harvest.kept):
        overdue = judged(alert.facts)
        if overdue is not None:
            records.append(record_of(alert, overdue))
    records.sort(key=lambda record: alert_sort_key(record, created_field))
    return records


def collect_dependabot(
    client: GitHubClient,
    org: str,
    inventory: Sequence[RepoListing],
    thresholds: Mapping[str, int],
    now: datetime,
) -> CollectionResult:
    """Open alerts whose whole-day age is greater than their severity's threshold."""

    def judged(facts: DependabotAlertFacts) -> Overdue | None:
        return dependabot_overdue(facts, thresholds, now)

    harvest = collect_alerts(
        client, DEPENDABOT, org, inventory, lambda facts: judged(facts) is not None
    )
    records = overdue_records(harvest, judged, dependabot_record, "created_at")
    logger.info(
        "dependabot alerts collected",
        extra={"org": org, "open_alerts": harvest.read, "records": len(records)},
    )
    return CollectionResult(records=records)


def collect_secret_scanning(  # noqa: PLR0917 (the collection's settings, one each)
    client: GitHubClient,
    org: str,
    inventory: Sequence[RepoListing],
    threshold_days: int,
    generic_types: Sequence[str],
    now: datetime,
) -> CollectionResult:
    """Open alerts whose whole-day age is greater than ``threshold_days``; never the secret."""

    def judged(facts: SecretScanningAlertFacts) -> Overdue | None:
        return secret_scanning_overdue(facts, threshold_days, now)

    harvest = collect_alerts(
        client,
        SECRET_SCANNING,
        org,
        inventory,
        lambda facts: judged(facts) is not None,
        secret_scanning_chains(generic_types),
    )
    records = overdue_records(harvest, judged, secret_scanning_record, "creation_date")
    logger.info(
        "secret scanning alerts collected",
        extra={"org": org, "open_alerts": harvest.read, "records": len(records)},
    )
    return CollectionResult(records=records)
