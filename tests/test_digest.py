"""digest.md from literal inputs: what a person reads on Monday morning."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from datalogger import changes, digest
from policy.exceptions import ExceptionEntry
from tests.contract import checklist_names

CHECKS = checklist_names()
STARTED = datetime(2026, 11, 30, 3, 0, 5, tzinfo=UTC)
WRITTEN = datetime(2026, 11, 23, 3, 1, 10, tzinfo=UTC)
SECRET = "ghp_canaryCANARYcanary0123456789abcdef"


def point(day: str, total: int, non_compliant: int, **failing: int) -> dict[str, Any]:
    return {
        "date": day,
        "repositories": total,
        "failing": dict.fromkeys(CHECKS, 0) | failing,
        "non_compliant": non_compliant,
        "unknown": 2,
        "excepted": 1,
        "dependabot_overdue": {"critical": 1, "high": 0, "medium": 0, "low": 0},
        "secret_scanning_overdue": 1,
    }


def url(repo: str, number: int, kind: str = "dependabot") -> str:
    return f"https://github.com/acme/{repo}/security/{kind}/{number}"


def comparison_document(newly_failing: int = 1) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "org": "acme",
        "run_started_at": "2026-11-30T03:00:05Z",
        "repositories": {
            "status": "compared",
            "previous_written_at": "2026-11-23T03:01:10Z",
            "added": ["new-service"],
            "removed": [],
            "newly_failing": [
                {"repository": f"repo-{i:02d}", "checks": ["unsigned_commits"]}
                for i in range(newly_failing)
            ],
            "newly_passing": [{"repository": "web", "checks": ["readme_missing"]}],
        },
        "dependabot": {
            "status": "compared",
            "previous_written_at": "2026-11-23T03:01:10Z",
            "new": [url("api", 7), url("api", 8)],
            "gone": [url("web", 2)],
        },
        "secret_scanning": {
            "status": "no_previous",
            "previous_written_at": None,
            "new": [],
            "gone": [],
        },
    }


def data(**changes_: Any) -> digest.DigestInput:
    values: dict[str, Any] = {
        "org": "acme",
        "started_at": STARTED,
        "status": "succeeded",
        "point": point("2026-11-30", 200, 50, unsigned_commits=12, readme_missing=3),
        "previous_point": point("2026-11-23", 200, 51, unsigned_commits=10, readme_missing=4),
        "changes": comparison_document(),
        "dependabot": [
            {"alert_url": url("api", 7), "severity": "critical", "repository": "api"},
            {"alert_url": url("api", 8), "severity": "medium", "repository": "api"},
        ],
        "secret_scanning": [
            {"alert_url": url("infra", 3, "secret-scanning"), "repository": "infra"}
        ],
        "expiring": [
            ExceptionEntry(
                4, ("legacy-*",), ("license_missing",), "r", "sec-team", date(2026, 12, 9)
            )
        ],
        "missing_permissions": {"administration:read": ["secret_scanning_disabled"]},
    }
    values.update(changes_)
    return digest.DigestInput(**values)


def test_the_digest_names_the_week_in_order() -> None:
    text = digest.render(data())
    assert text.startswith("# GitHub policy digest: acme, 2026-11-30\n\n")
    assert "Run started 2026-11-30T03:00:05Z: **succeeded**." in text
    assert "- 150 of 200 repositories compliant (75.0 %), up 0.5 points since 2026-11-23." in text
    assert "- Checks that got worse: `unsigned_commits` 10 → 12 (+2)." in text
    assert "- Checks that improved: `readme_missing` 4 → 3 (-1)." in text
    assert "## Newly failing repositories (1)\n\n- `repo-00`: unsigned_commits\n" in text
    assert "## Fixed since the previous run (1)\n\n- `web`: readme_missing\n" in text
    assert "1 repositories added, 0 removed" in text
    # critical and high only: the medium alert is counted in the trend, not listed
    assert f"### Dependabot, critical and high (1)\n\n- critical: `api` {url('api', 7)}\n" in text
    assert url("api", 8) not in text
    assert "### Secret scanning (0)\n\nNo previous copy: this run is the baseline.\n" in text
    assert f"### No longer overdue (1)\n\n- Dependabot: {url('web', 2)}\n" in text
    assert (
        "## Exceptions expiring within 30 days\n\n"
        "- `legacy-*`: license_missing, until 2026-12-09 (approved by sec-team; entry 4)\n"
    ) in text
    assert (
        "## Missing permissions\n\n- `administration:read`: affects secret_scanning_disabled\n"
        in text
    )
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_lists_stop_at_20_then_give_a_count() -> None:
    text = digest.render(data(changes=comparison_document(newly_failing=23)))
    assert "## Newly failing repositories (23)" in text
    assert "- `repo-19`: unsigned_commits" in text
    assert "repo-20" not in text
    assert "- … and 3 more (changes.json lists them all)" in text


def test_without_an_earlier_point_or_repositories_it_says_so() -> None:
    first = digest.render(data(previous_point=None))
    assert "(75.0 %); the trend has no earlier point to compare with." in first
    assert "Checks that got worse: none." in first
    nothing = {k: None for k in ("repositories", "failing", "non_compliant", "unknown", "excepted")}
    not_collected = changes.build_changes("acme", STARTED, {})
    text = digest.render(
        data(point={"date": "2026-11-30", **nothing}, changes=not_collected, dependabot=None)
    )
    assert "Repositories were not collected this run." in text
    assert "## Newly failing repositories (0)\n\nNot compared: not collected this run." in text
    assert "### No longer overdue (0)\n\nNot compared this run." in text


def test_nothing_to_report_reads_none() -> None:
    text = digest.render(data(expiring=[], missing_permissions={}))
    assert "## Exceptions expiring within 30 days\n\nNone.\n" in text
    assert text.endswith("## Missing permissions\n\nNone.\n")


def test_a_secret_never_reaches_the_digest() -> None:
    secrets = [
        {"alert_url": url("infra", 3, "secret-scanning"), "repository": "infra", "secret": SECRET}
    ]
    document = comparison_document()
    document["secret_scanning"] = {
        "status": "compared",
        "previous_written_at": "2026-11-23T03:01:10Z",
        "new": [url("infra", 3, "secret-scanning")],
        "gone": [],
    }
    text = digest.render(data(changes=document, secret_scanning=secrets))
    assert f"- `infra` {url('infra', 3, 'secret-scanning')}" in text
    assert SECRET not in text


def test_subject_is_short_ascii_one_line() -> None:
    assert digest.subject("acme", STARTED) == "GitHub policy digest: acme, 2026-11-30"
    long = digest.subject("a" * 200, STARTED)
    assert len(long) == 100 and long.isascii() and "\n" not in long
