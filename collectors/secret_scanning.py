"""secret_scanning.json: open secret scanning alerts older than the threshold.

The endpoint is asked not to send the secret (``hide_secret=true``), and the
records are built field by field, so a secret never reaches the dataset even
if GitHub sent one anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from collectors import CollectionResult
from collectors.alerts import (
    Overdue,
    RepositoryIndex,
    alert_records,
    alert_repository,
    alert_sort_key,
    iter_alerts,
)
from collectors.inventory import RepoListing
from collectors.shapes import field_str
from github_client import GitHubClient

logger = logging.getLogger(__name__)

# Asks GitHub to leave the secret value out of every alert.
HIDE_VALUES_PARAMETER = "hide_secret"


def secret_scanning_path(org: str) -> str:
    """The organisation's secret scanning alerts endpoint."""
    return f"/orgs/{org}/secret-scanning/alerts"


def secret_scanning_record(
    alert: Mapping[str, Any],
    index: RepositoryIndex,
    threshold_days: int,
    overdue: Overdue,
    where: str,
) -> dict[str, Any] | None:
    """The dataset entry of one alert, or None when it is not open or not old enough."""
    if field_str(alert, "state", where) != "open":
        return None
    alert_url = field_str(alert, "html_url", where)
    where = f"{where} (alert {alert_url})"
    created_at = field_str(alert, "created_at", where)
    if not overdue(created_at, threshold_days):
        return None
    name, repository_url = alert_repository(alert, where)
    listing = index.listing(name, alert_url)
    return {
        "repository": name,
        "repository_url": repository_url,
        "creation_date": created_at,
        "alert_url": alert_url,
        "repository_visibility": listing.visibility,
        "repository_archived": listing.archived,
    }


def collect_secret_scanning(
    client: GitHubClient,
    org: str,
    inventory: Sequence[RepoListing],
    threshold_days: int,
    overdue: Overdue,
) -> CollectionResult:
    """Open alerts whose whole-day age is greater than ``threshold_days``; never the secret."""
    path = secret_scanning_path(org)
    params: dict[str, str | int | bool] = {"state": "open", "per_page": 100}
    params[HIDE_VALUES_PARAMETER] = True
    alerts = iter_alerts(client, path, params, "Secret scanning", "Secret scanning alerts (read)")
    index = RepositoryIndex(client, org, inventory)
    where = f"GET {path}"
    records, open_alerts = alert_records(
        alerts, lambda alert: secret_scanning_record(alert, index, threshold_days, overdue, where)
    )
    index.ready()  # the inventory listed in full (or its error), even without records
    records.sort(key=lambda record: alert_sort_key(record, "creation_date"))
    logger.info(
        "secret scanning alerts collected",
        extra={"org": org, "open_alerts": open_alerts, "records": len(records)},
    )
    return CollectionResult(records=records)
