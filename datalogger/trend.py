"""``trend.json``: one point per run date, oldest first (spec ``findings.md``).

Pure builders. Each run reads the latest copy, replaces the point of its
date (a re-run the same day) or appends one, keeps the newest
:data:`MAX_POINTS` and writes it back (latest only, no history copy). A
collection that did not succeed leaves its fields ``null`` in the point.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final

from policy.checks import CHECK_NAMES

TREND_FILE: Final = "trend.json"
MAX_POINTS: Final = 520  # ten years of weekly runs
SEVERITIES: Final[tuple[str, ...]] = ("critical", "high", "medium", "low")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Records = Sequence[Mapping[str, Any]]


def repository_counts(records: Records | None) -> dict[str, Any]:
    """The point's repository fields; all ``null`` when the collection did not succeed."""
    if records is None:
        return {
            "repositories": None,
            "failing": None,
            "non_compliant": None,
            "unknown": None,
            "excepted": None,
        }
    per_check = Counter(check for record in records for check in record.get("failing", ()))
    return {
        "repositories": len(records),
        "failing": {check: per_check.get(check, 0) for check in CHECK_NAMES},
        "non_compliant": sum(1 for record in records if record.get("failing")),
        "unknown": sum(1 for record in records if record.get("unknown")),
        "excepted": sum(1 for record in records if record.get("exceptions")),
    }


def trend_point(
    day: date,
    repositories: Records | None,
    dependabot: Records | None,
    secret_scanning: Records | None,
) -> dict[str, Any]:
    """This run's point: ``None`` for a dataset that was not collected."""
    dependabot_overdue: dict[str, int] | None = None
    if dependabot is not None:
        by_severity = Counter(str(alert["severity"]) for alert in dependabot)
        dependabot_overdue = {severity: by_severity.get(severity, 0) for severity in SEVERITIES}
    return {
        "date": day.isoformat(),
        **repository_counts(repositories),
        "dependabot_overdue": dependabot_overdue,
        "secret_scanning_overdue": None if secret_scanning is None else len(secret_scanning),
    }


def earlier_points(document: object) -> tuple[list[dict[str, Any]], list[str]]:
    """The usable points of a previous ``trend.json`` and what was dropped, and why.

    Anything that is not a list gives no points; items without a
    ``YYYY-MM-DD`` date are dropped (each named in the problems).
    """
    if not isinstance(document, list):
        return [], ["the previous trend.json is not a JSON array; the trend starts again"]
    points: list[dict[str, Any]] = []
    problems: list[str] = []
    for index, item in enumerate(document):
        day = item.get("date") if isinstance(item, dict) else None
        if isinstance(item, dict) and isinstance(day, str) and _DATE.match(day):
            points.append(item)
        else:
            problems.append(f"trend.json item {index} has no YYYY-MM-DD date and was dropped")
    return points, problems


def merge_point(earlier: Sequence[Mapping[str, Any]], point: Mapping[str, Any]) -> list[Any]:
    """``earlier`` without ``point``'s date, plus ``point``, by date, newest MAX_POINTS kept."""
    kept = {str(item["date"]): dict(item) for item in earlier}
    kept[str(point["date"])] = dict(point)
    ordered = [kept[day] for day in sorted(kept)]
    return ordered[-MAX_POINTS:]


def previous_point(earlier: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The newest point before this run (a same-date point included: the run it replaces)."""
    if not earlier:
        return None
    return max(earlier, key=lambda item: str(item["date"]))
