"""dependabot.json: open Dependabot alerts older than their severity's threshold."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from collectors import CollectionResult
from collectors.alerts import (
    DEPENDABOT_SPLITS,
    Overdue,
    RepositoryIndex,
    alert_records,
    alert_repository,
    alert_sort_key,
    iter_alerts,
)
from collectors.errors import UnexpectedAnswerError
from collectors.inventory import RepoListing
from collectors.shapes import field_object, field_str
from github_client import GitHubClient

logger = logging.getLogger(__name__)


def dependabot_path(org: str) -> str:
    """The organisation's Dependabot alerts endpoint."""
    return f"/orgs/{org}/dependabot/alerts"


def dependabot_record(
    alert: Mapping[str, Any],
    index: RepositoryIndex,
    thresholds: Mapping[str, int],
    overdue: Overdue,
    where: str,
) -> dict[str, Any] | None:
    """The dataset entry of one alert, or None when it is not open or not old enough."""
    if field_str(alert, "state", where) != "open":
        return None
    alert_url = field_str(alert, "html_url", where)
    where = f"{where} (alert {alert_url})"
    severity = field_str(field_object(alert, "security_advisory", where), "severity", where)
    if severity not in thresholds:
        raise UnexpectedAnswerError(
            f"{where}: severity {severity!r} has no threshold in dependabot_thresholds "
            f"(known: {', '.join(sorted(thresholds))})"
        )
    created_at = field_str(alert, "created_at", where)
    if not overdue(created_at, thresholds[severity]):
        return None
    name, repository_url = alert_repository(alert, where)
    listing = index.listing(name, alert_url)
    return {
        "repository": name,
        "repository_url": repository_url,
        "created_at": created_at,
        "severity": severity,
        "alert_url": alert_url,
        "repository_visibility": listing.visibility,
        "repository_archived": listing.archived,
    }


def collect_dependabot(
    client: GitHubClient,
    org: str,
    inventory: Sequence[RepoListing],
    thresholds: Mapping[str, int],
    overdue: Overdue,
) -> CollectionResult:
    """Open alerts whose whole-day age is greater than their severity's threshold."""
    path = dependabot_path(org)
    params: dict[str, str | int | bool] = {"state": "open", "per_page": 100}
    alerts = iter_alerts(
        client, path, params, "Dependabot alerts", "Dependabot alerts (read)", DEPENDABOT_SPLITS
    )
    index = RepositoryIndex(client, org, inventory)
    where = f"GET {path}"
    records, open_alerts = alert_records(
        alerts, lambda alert: dependabot_record(alert, index, thresholds, overdue, where)
    )
    index.ready()  # the inventory listed in full (or its error), even without records
    records.sort(key=lambda record: alert_sort_key(record, "created_at"))
    logger.info(
        "dependabot alerts collected",
        extra={"org": org, "open_alerts": open_alerts, "records": len(records)},
    )
    return CollectionResult(records=records)
