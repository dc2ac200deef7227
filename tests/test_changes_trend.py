"""changes.json and trend.json builders as tables: literal records in, documents out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import jsonschema
import pytest

from datalogger import changes, trend
from tests.contract import checklist_names
from tests.runtime_support import schema

CHECKS = checklist_names()
STARTED = datetime(2026, 11, 30, 3, 0, 5, tzinfo=UTC)
WRITTEN = datetime(2026, 11, 23, 3, 1, 10, 999, tzinfo=UTC)


def repo(name: str, *failing: str, checklist: tuple[str, ...] | None = None, **extra: Any) -> Any:
    broken = set(failing if checklist is None else checklist)
    return {
        "name": name,
        "checklist": {check: check in broken for check in CHECKS},
        "unknown": extra.get("unknown", {}),
        "exceptions": extra.get("exceptions", {}),
        "failing": sorted(failing),
    }


def alert(url: str, severity: str = "high") -> dict[str, Any]:
    return {"alert_url": url, "severity": severity, "repository": url.split("/")[4]}


def url(repo_name: str, number: int, kind: str = "dependabot") -> str:
    return f"https://github.com/acme/{repo_name}/security/{kind}/{number}"


# --- changes.json ------------------------------------------------------------------


def test_repositories_compare_by_name_and_by_failing() -> None:
    previous = [
        repo("api"),
        repo("old-thing", "inactive"),
        repo("web", "readme_missing", "inactive"),
        # excepted last time: the boolean was true, failing empty
        repo("docs", checklist=("license_missing",)),
    ]
    current = [
        repo("api", "unsigned_commits", "gitignore_missing"),
        repo("new-service", "readme_missing"),
        repo("web", "inactive"),
        repo("docs", "license_missing"),  # the exception expired
    ]
    section = changes.repositories_section(changes.Comparison(current, previous, WRITTEN))
    assert section == {
        "status": "compared",
        "previous_written_at": "2026-11-23T03:01:10Z",
        "added": ["new-service"],
        "removed": ["old-thing"],
        "newly_failing": [
            {"repository": "api", "checks": ["gitignore_missing", "unsigned_commits"]},
            {"repository": "docs", "checks": ["license_missing"]},
        ],
        "newly_passing": [{"repository": "web", "checks": ["readme_missing"]}],
    }


def test_a_previous_copy_without_failing_falls_back_to_its_checklist() -> None:
    old_format = {"name": "api", "checklist": {c: c == "inactive" for c in CHECKS}}
    section = changes.repositories_section(
        changes.Comparison([repo("api", "readme_missing")], [old_format], WRITTEN)
    )
    assert section["newly_failing"] == [{"repository": "api", "checks": ["readme_missing"]}]
    assert section["newly_passing"] == [{"repository": "api", "checks": ["inactive"]}]


@pytest.mark.parametrize(
    ("comparison", "status"),
    [
        (changes.Comparison(current=None), "not_collected"),
        (
            changes.Comparison(current=None, previous=[repo("a")], previous_written_at=WRITTEN),
            "not_collected",
        ),
        (changes.Comparison(current=[repo("a", "inactive")]), "no_previous"),
    ],
)
def test_nothing_is_claimed_without_both_copies(
    comparison: changes.Comparison, status: str
) -> None:
    assert changes.repositories_section(comparison) == {
        "status": status,
        "previous_written_at": None,
        "added": [],
        "removed": [],
        "newly_failing": [],
        "newly_passing": [],
    }
    assert changes.alerts_section(comparison) == {
        "status": status,
        "previous_written_at": None,
        "new": [],
        "gone": [],
    }


def test_alerts_compare_by_url_new_and_gone_sorted() -> None:
    previous = [alert(url("api", 1)), alert(url("web", 2)), alert(url("api", 3))]
    current = [alert(url("web", 2)), alert(url("zeta", 9)), alert(url("api", 7))]
    section = changes.alerts_section(changes.Comparison(current, previous, WRITTEN))
    assert section == {
        "status": "compared",
        "previous_written_at": "2026-11-23T03:01:10Z",
        "new": [url("api", 7), url("zeta", 9)],
        "gone": [url("api", 1), url("api", 3)],
    }


def test_build_changes_is_a_valid_document_and_absent_datasets_are_not_collected() -> None:
    document = changes.build_changes(
        "acme",
        STARTED,
        {
            "repositories": changes.Comparison([repo("a")], [repo("a")], WRITTEN),
            "secret_scanning": changes.Comparison([]),
        },
    )
    jsonschema.validate(document, schema("changes.schema.json"))
    assert document["schema_version"] == 1
    assert document["org"] == "acme"
    assert document["run_started_at"] == "2026-11-30T03:00:05Z"
    assert list(document) == [
        "schema_version",
        "org",
        "run_started_at",
        "repositories",
        "dependabot",
        "secret_scanning",
    ]
    assert document["repositories"]["status"] == "compared"
    assert document["dependabot"]["status"] == "not_collected"
    assert document["secret_scanning"]["status"] == "no_previous"


# --- trend.json ----------------------------------------------------------------------


def test_a_point_counts_failing_per_check_non_compliant_unknown_and_excepted() -> None:
    grant = {"reason": "r", "approved_by": "o", "expires": "2027-01-01"}
    records = [
        repo("a", "inactive", "readme_missing"),
        repo("b", "inactive", unknown={"inactive": "why"}),
        repo("c", checklist=("license_missing",), exceptions={"license_missing": grant}),
        repo("d"),
    ]
    dependabot = [
        alert(url("x", 1), "critical"),
        alert(url("y", 1), "low"),
        alert(url("z", 1), "critical"),
    ]
    point = trend.trend_point(date(2026, 11, 30), records, dependabot, [alert(url("s", 1))])
    expected_failing = dict.fromkeys(CHECKS, 0) | {"inactive": 2, "readme_missing": 1}
    assert point == {
        "date": "2026-11-30",
        "repositories": 4,
        "failing": expected_failing,
        "non_compliant": 2,
        "unknown": 1,
        "excepted": 1,
        "dependabot_overdue": {"critical": 2, "high": 0, "medium": 0, "low": 1},
        "secret_scanning_overdue": 1,
    }
    assert list(point["failing"]) == list(CHECKS)
    jsonschema.validate([point], schema("trend.schema.json"))


def test_a_collection_that_did_not_succeed_leaves_its_fields_null() -> None:
    point = trend.trend_point(date(2026, 11, 30), None, None, [])
    assert point == {
        "date": "2026-11-30",
        "repositories": None,
        "failing": None,
        "non_compliant": None,
        "unknown": None,
        "excepted": None,
        "dependabot_overdue": None,
        "secret_scanning_overdue": 0,
    }
    jsonschema.validate([point], schema("trend.schema.json"))


def point(day: str, repositories: int = 1) -> dict[str, Any]:
    return {"date": day, "repositories": repositories}


def test_merge_appends_a_new_date_and_keeps_dates_in_order() -> None:
    earlier = [point("2026-11-16"), point("2026-11-23")]
    assert trend.merge_point(earlier, point("2026-11-30", 5)) == [
        point("2026-11-16"),
        point("2026-11-23"),
        point("2026-11-30", 5),
    ]


def test_merge_replaces_the_point_of_the_same_date() -> None:
    earlier = [point("2026-11-23"), point("2026-11-30", 1)]
    assert trend.merge_point(earlier, point("2026-11-30", 2)) == [
        point("2026-11-23"),
        point("2026-11-30", 2),
    ]


def test_merge_keeps_the_newest_520_points() -> None:
    earlier = [point(date.fromordinal(700_000 + i).isoformat()) for i in range(520)]
    merged = trend.merge_point(earlier, point("2026-11-30"))
    assert len(merged) == 520
    assert merged[0] == earlier[1]
    assert merged[-1] == point("2026-11-30")


def test_earlier_points_drops_what_has_no_date_and_says_so() -> None:
    points, problems = trend.earlier_points([point("2026-11-23"), {"x": 1}, "junk", point("bad")])
    assert points == [point("2026-11-23")]
    assert problems == [
        "trend.json item 1 has no YYYY-MM-DD date and was dropped",
        "trend.json item 2 has no YYYY-MM-DD date and was dropped",
        "trend.json item 3 has no YYYY-MM-DD date and was dropped",
    ]
    assert trend.earlier_points({"not": "a list"})[0] == []


def test_previous_point_is_the_newest_before_this_run_same_date_included() -> None:
    assert trend.previous_point([]) is None
    earlier = [point("2026-11-30", 3), point("2026-11-23")]
    assert trend.previous_point(earlier) == point("2026-11-30", 3)
