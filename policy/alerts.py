"""When an open alert is overdue, and the derived values its record carries.

Pure functions over alert facts (``collectors.facts``) and literal settings;
``now`` is the run's start time in UTC, an argument like every threshold, so
each rule of spec/checks.md is a literal table test. Ages are whole days:
``floor((now - created_at) / 24 h)``. An alert is overdue when it is open and
its age is strictly greater than the threshold of its severity (Dependabot)
or ``secret_scanning_threshold`` (secret scanning).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from collectors.facts import DependabotAlertFacts, SecretScanningAlertFacts
from policy.checks import parse_github_time

OPEN: Final = "open"
_ONE_DAY: Final = timedelta(days=1)


@dataclass(frozen=True)
class Overdue:
    """How old an overdue alert is, and by how many days it passed its threshold."""

    age_days: int
    days_overdue: int  # >= 1


def age_in_days(created_at: str, now: datetime) -> int:
    """Whole days since ``created_at``: floor((now - created_at) / 24 h)."""
    return (now - parse_github_time(created_at)) // _ONE_DAY


def overdue(state: str, created_at: str, threshold_days: int, now: datetime) -> Overdue | None:
    """The age and days overdue of an open alert past its threshold; None otherwise."""
    if state != OPEN:
        return None
    age = age_in_days(created_at, now)
    if age <= threshold_days:
        return None
    return Overdue(age_days=age, days_overdue=age - threshold_days)


def dependabot_overdue(
    alert: DependabotAlertFacts, thresholds: Mapping[str, int], now: datetime
) -> Overdue | None:
    """Open and older than its severity's threshold.

    The collector admits only GitHub's four severities, and the configuration
    has a threshold for each.
    """
    return overdue(alert.state, alert.created_at, thresholds[alert.severity], now)


def secret_scanning_overdue(
    alert: SecretScanningAlertFacts, threshold_days: int, now: datetime
) -> Overdue | None:
    """Open and older than ``secret_scanning_threshold``."""
    return overdue(alert.state, alert.created_at, threshold_days, now)


def cvss_score(v4: float | None, v3: float | None, legacy: float | None) -> float | None:
    """The first score above 0 of CVSS v4, CVSS v3, the older single score; else None.

    GitHub sends 0 (or null) where an advisory has no score of that version.
    """
    for score in (v4, v3, legacy):
        if score is not None and score > 0:
            return score
    return None
