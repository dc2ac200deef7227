"""The benchmark under the service-time model: organisation sizes, the lower bound, time."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from bench.generate import AlertCounts, generate, parse_spec
from bench.lower_bound import lower_bound
from bench.scaled_handler import ScaledClock
from tests.fake_github.model import DependabotAlert, Organization, Repository
from tests.fake_github.service_model import SecondaryLimits, ServiceModel

ANCHOR = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("200", (200, AlertCounts())),
        ("2000:3000:", (2000, AlertCounts(3000, None))),
        ("20000:40000:5000", (20000, AlertCounts(40000, 5000))),
    ],
)
def test_org_spec_round_trips(spec: str, expected: tuple[int, AlertCounts]) -> None:
    assert parse_spec(spec) == expected
    n, counts = expected
    assert parse_spec(counts.spec(n)) == expected


def test_alert_counts_are_exact_and_some_share_a_second() -> None:
    generated = generate(100, ANCHOR, AlertCounts(1_000, 300))
    dependabot = generated.org.dependabot_alerts
    assert sum(1 for a in dependabot if a.state == "open") == 1_000
    assert sum(1 for a in generated.org.secret_scanning_alerts if a.state == "open") == 300
    keys = [(a.repository, a.number) for a in dependabot]
    assert len(set(keys)) == len(keys)  # numbers are per repository
    times = [a.created_at for a in dependabot]
    assert len(set(times)) < 0.9 * len(times)  # runs of alerts created in the same second


def _org(repositories: int, archived: int, alerts: dict[str, int]) -> Organization:
    repos = [Repository(f"r{i}") for i in range(repositories)]
    repos += [Repository(f"a{i}", archived=True) for i in range(archived)]
    numbered = [
        DependabotAlert(n, "r0", severity, "2026-01-01T00:00:00Z")
        for severity, count in alerts.items()
        for n in range(count)
    ]
    return Organization("o", repositories=repos, members={"m"}, dependabot_alerts=numbered)


def test_lower_bound_terms() -> None:
    model = ServiceModel()
    bound = lower_bound(_org(2_000, 500, {"medium": 1_000, "low": 100}), model)
    auth = 2 * model.rest_seconds("installation", 0)
    # Repositories: auth, first inventory page, the other 24 at once, a facts query, a follow-up.
    assert bound.chains["repositories"] == pytest.approx(
        auth + 2 * 0.55 + model.graphql_seconds(216) + model.graphql_seconds(100)
    )
    # 1,000 medium alerts from both ends: 5 pages of 100 each end.
    assert bound.chains["dependabot"] == pytest.approx(auth + 5 * 1.0)
    assert bound.critical == "dependabot"
    assert bound.rates == {"rest_points": 0.0, "graphql_points": 0.0}
    # auth, inventory, members, 5 + 5 pages of medium and 1 of low, one empty page
    # of secret scanning alerts.
    assert bound.rest_requests == 2 + 25 + 1 + (10 + 1) + 1
    assert bound.graphql_requests == 40


def test_lower_bound_counts_the_rest_rate_past_a_minutes_worth() -> None:
    bound = lower_bound(_org(100_000, 0, {}), ServiceModel(), SecondaryLimits())
    points = bound.rest_requests + 4
    assert bound.rates["rest_points"] == pytest.approx((points - 900) / 15)
    assert bound.seconds >= bound.rates["rest_points"]
    assert bound.graphql_requests == math.ceil(100_000 / 50)


def test_scaled_clock_counts_modelled_seconds() -> None:
    clock = ScaledClock(0.01)
    start = clock.monotonic()
    clock.sleep(0.5)  # 5 ms of real time
    assert clock.monotonic() - start >= 0.5
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(0)
