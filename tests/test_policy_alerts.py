"""policy.alerts: the overdue rules of spec/checks.md as literal tables, no I/O."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.facts import DependabotAlertFacts, SecretScanningAlertFacts
from policy.alerts import (
    Overdue,
    age_in_days,
    cvss_score,
    dependabot_overdue,
    overdue,
    secret_scanning_overdue,
)

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
THRESHOLDS = {"critical": 5, "high": 15, "medium": 60, "low": 90}


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2026-11-30T12:00:00Z", 0),
        ("2026-11-30T13:00:00Z", -1),  # in the future: floor of a negative span
        ("2026-11-29T12:00:01Z", 0),  # 23:59:59
        ("2026-11-29T12:00:00Z", 1),
        ("2026-11-25T11:59:59Z", 5),  # 5 days 1 s
        ("2026-11-24T12:00:01Z", 5),  # 5 days 23:59:59
        ("2026-11-24T12:00:00Z", 6),
        ("2025-11-30T12:00:00Z", 365),
        ("2026-11-30T14:00:00+02:00", 0),  # an offset is honoured
    ],
)
def test_age_is_whole_days(created_at: str, expected: int) -> None:
    assert age_in_days(created_at, NOW) == expected


@pytest.mark.parametrize(
    ("created_at", "threshold", "expected"),
    [
        ("2026-11-25T12:00:00Z", 5, False),  # exactly 5 days: not greater
        ("2026-11-25T12:00:01Z", 5, False),  # 4 days 23:59:59
        ("2026-11-25T11:59:59Z", 5, False),  # 5 days 1 s: still 5 whole days
        ("2026-11-24T12:00:00Z", 5, True),  # 6 days
        ("2026-11-24T12:00:01Z", 5, False),  # 5 days 23:59:59
        ("2026-11-30T13:00:00Z", 0, False),  # in the future
        ("2026-11-29T12:00:00Z", 0, True),
    ],
)
def test_alert_age_rule(created_at: str, threshold: int, expected: bool) -> None:
    assert (overdue("open", created_at, threshold, NOW) is not None) is expected


@pytest.mark.parametrize(
    ("state", "created_at", "threshold", "expected"),
    [
        ("open", "2026-11-24T12:00:00Z", 5, Overdue(age_days=6, days_overdue=1)),
        ("open", "2026-11-25T12:00:00Z", 5, None),  # age 5: not greater than 5
        ("open", "2025-06-01T00:00:00Z", 90, Overdue(age_days=547, days_overdue=457)),
        ("open", "2026-11-29T12:00:00Z", 0, Overdue(age_days=1, days_overdue=1)),
        ("open", "2026-11-30T12:00:00Z", 0, None),  # age 0
        ("fixed", "2025-01-01T00:00:00Z", 5, None),
        ("dismissed", "2025-01-01T00:00:00Z", 5, None),
        ("auto_dismissed", "2025-01-01T00:00:00Z", 5, None),
        ("resolved", "2025-01-01T00:00:00Z", 5, None),
    ],
)
def test_overdue(state: str, created_at: str, threshold: int, expected: Overdue | None) -> None:
    assert overdue(state, created_at, threshold, NOW) == expected


DEPENDABOT = DependabotAlertFacts(
    number=3,
    html_url="https://github.com/acme/svc/security/dependabot/3",
    state="open",
    created_at="2026-11-14T12:00:00Z",  # 16 days
    repository="svc",
    repository_url="https://github.com/acme/svc",
    severity="high",
    ghsa_id=None,
    cve_id=None,
    summary=None,
    package_ecosystem=None,
    package_name=None,
    manifest_path=None,
    scope=None,
    patched_version=None,
    cvss_v4=None,
    cvss_v3=None,
    cvss=None,
    epss_percentage=None,
)


@pytest.mark.parametrize(
    ("severity", "state", "expected"),
    [
        ("critical", "open", Overdue(16, 11)),  # threshold 5
        ("high", "open", Overdue(16, 1)),  # threshold 15
        ("medium", "open", None),  # threshold 60
        ("low", "open", None),  # threshold 90
        ("high", "fixed", None),
    ],
)
def test_dependabot_threshold_by_severity(
    severity: str, state: str, expected: Overdue | None
) -> None:
    alert = dataclasses.replace(DEPENDABOT, severity=severity, state=state)
    assert dependabot_overdue(alert, THRESHOLDS, NOW) == expected


SECRET = SecretScanningAlertFacts(
    number=1,
    html_url="https://github.com/acme/svc/security/secret-scanning/1",
    state="open",
    created_at="2026-11-01T00:00:00Z",  # 29 days
    repository="svc",
    repository_url="https://github.com/acme/svc",
    secret_type="rsa_private_key",
    secret_type_display_name=None,
    provider=None,
    validity=None,
    publicly_leaked=None,
    multi_repo=None,
    push_protection_bypassed=None,
)


@pytest.mark.parametrize(
    ("state", "threshold", "expected"),
    [
        ("open", 5, Overdue(29, 24)),
        ("open", 28, Overdue(29, 1)),
        ("open", 29, None),
        ("resolved", 5, None),
    ],
)
def test_secret_scanning_threshold(state: str, threshold: int, expected: Overdue | None) -> None:
    alert = dataclasses.replace(SECRET, state=state)
    assert secret_scanning_overdue(alert, threshold, NOW) == expected


@pytest.mark.parametrize(
    ("v4", "v3", "legacy", "expected"),
    [
        (8.7, 7.5, 7.5, 8.7),  # v4 first
        (None, 10.0, 10.0, 10.0),  # no v4: v3
        (0.0, 5.3, None, 5.3),  # a 0 is "no score"
        (None, None, 6.1, 6.1),  # only the older single score
        (None, 0.0, 0.0, None),  # zeros everywhere: none
        (None, None, None, None),
        (6.3, None, 6.1, 6.3),
    ],
)
def test_cvss_score_is_the_first_above_zero(
    v4: float | None, v3: float | None, legacy: float | None, expected: float | None
) -> None:
    assert cvss_score(v4, v3, legacy) == expected


@given(
    days=st.integers(min_value=0, max_value=5000),
    seconds=st.integers(min_value=0, max_value=86399),
    threshold=st.integers(min_value=0, max_value=400),
)
def test_whole_day_age_property(days: int, seconds: int, threshold: int) -> None:
    created = NOW - timedelta(days=days, seconds=seconds)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert age_in_days(stamp, NOW) == days
    judged = overdue("open", stamp, threshold, NOW)
    assert (judged is not None) is (days > threshold)
    if judged is not None:
        assert judged.days_overdue == days - threshold >= 1
