"""The inventory and the two alert collections against the fake GitHub, over real HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from collectors.alerts import iter_alerts
from collectors.dependabot import collect_dependabot
from collectors.errors import CollectionError, FeatureUnavailableError
from collectors.inventory import RepoListing, list_repositories
from collectors.secret_scanning import collect_secret_scanning
from policy.checks import older_than
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.model import DependabotAlert, Repository, SecretScanningAlert
from tests.fixtures.clients import canonical, connected_client, run_clock
from tests.fixtures.org60 import (
    CANARY_SECRET,
    DEPENDABOT_THRESHOLDS,
    EXPECTED_DEPENDABOT,
    EXPECTED_SECRET_SCANNING,
    NOW,
    ORG,
    SECRET_SCANNING_THRESHOLD,
    build_org60,
)

Factory = Callable[..., FakeGitHub]
NOW_ISO = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_alerts(fake: FakeGitHub) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    client = connected_client(fake, fake.clock)
    try:
        inventory = list_repositories(client, ORG)
        dependabot = collect_dependabot(
            client, ORG, inventory, DEPENDABOT_THRESHOLDS, older_than(NOW)
        )
        secrets = collect_secret_scanning(
            client, ORG, inventory, SECRET_SCANNING_THRESHOLD, older_than(NOW)
        )
    finally:
        client.close()
    assert dependabot.warnings == [] and secrets.warnings == []
    return dependabot.records, secrets.records


def test_inventory_lists_every_repository_with_its_security_status(
    fake_github: Factory,
) -> None:
    fake = fake_github(build_org60(), clock=run_clock())
    client = connected_client(fake, fake.clock)
    inventory = list_repositories(client, ORG)
    by_name = {listing.name: listing for listing in inventory}
    assert len(inventory) == 86  # archived included, one page of 100
    assert by_name["archived-repo"].archived is True
    assert by_name["ss-unrevealed-public"] == RepoListing(
        name="ss-unrevealed-public",
        html_url=f"https://github.com/{ORG}/ss-unrevealed-public",
        visibility="PUBLIC",
        archived=False,
        created_at="2020-01-01T00:00:00Z",
        pushed_at="2026-11-01T00:00:00Z",
        default_branch="main",
        secret_scanning=None,
        push_protection=None,
    )
    assert by_name["ss-disabled-private"].secret_scanning == "disabled"
    assert by_name["internal-compliant"].visibility == "INTERNAL"
    assert by_name["never-pushed-old"].pushed_at is None
    assert [entry.route for entry in fake.stats.log[-1:]] == ["org_repos"]
    assert "type=all" in fake.stats.log[-1].path and "per_page=100" in fake.stats.log[-1].path


def test_inventory_follows_every_page(fake_github: Factory) -> None:
    org = build_org60()
    org.repositories = [
        dataclasses.replace(repository, name=f"r{index:03d}")
        for index, repository in enumerate(org.repositories * 3)
    ]
    fake = fake_github(org, clock=run_clock())
    inventory = list_repositories(connected_client(fake, fake.clock), ORG)
    assert sorted(listing.name for listing in inventory) == [f"r{i:03d}" for i in range(258)]
    assert fake.stats.by_route["org_repos"] == 3


def test_alert_datasets_are_exactly_the_expected_ones(fake_github: Factory) -> None:
    fake = fake_github(build_org60(), clock=run_clock())
    dependabot, secrets = run_alerts(fake)
    assert dependabot == EXPECTED_DEPENDABOT
    assert secrets == EXPECTED_SECRET_SCANNING
    assert list(dependabot[0]) == [
        "repository",
        "repository_url",
        "created_at",
        "severity",
        "alert_url",
        "repository_visibility",
        "repository_archived",
    ]
    secret_paths = [e.path for e in fake.stats.log if e.route == "secret_scanning_alerts"]
    assert secret_paths and all("hide_secret=true" in path for path in secret_paths)
    assert all("state=open" in path for path in secret_paths)


def test_no_secret_reaches_the_records_even_when_github_sends_it(fake_github: Factory) -> None:
    fake = fake_github(build_org60(), clock=run_clock())
    client = connected_client(fake, fake.clock)
    sent = client.get(f"/orgs/{ORG}/secret-scanning/alerts", {"state": "open"})
    assert any(alert.get("secret") == CANARY_SECRET for alert in sent.data)  # the fake sends it
    _, secrets = run_alerts(fake)
    assert CANARY_SECRET.encode() not in canonical(secrets)
    assert all("secret" not in record for record in secrets)


def test_alert_paging_reads_every_cursor_page(fake_github: Factory) -> None:
    org = build_org60()
    org.dependabot_alerts = [
        DependabotAlert(n, "public-compliant", "low", "2025-01-01T00:00:00Z") for n in range(1, 251)
    ]
    fake = fake_github(org, clock=run_clock())
    dependabot, _ = run_alerts(fake)
    assert len(dependabot) == 250
    queries = [
        parse_qs(urlsplit(e.path).query) for e in fake.stats.log if e.route == "dependabot_alerts"
    ]
    assert all("page" not in query for query in queries)
    # One cursor chain per severity; the 250 "low" ones from both ends at once.
    streams: dict[tuple[str, str], list[dict[str, list[str]]]] = {}
    for query in queries:
        streams.setdefault((query["severity"][0], query["direction"][0]), []).append(query)
    assert set(streams) == {
        ("critical", "desc"),
        ("high", "desc"),
        ("medium", "desc"),
        ("low", "desc"),
        ("low", "asc"),
    }
    for pages in streams.values():
        assert "after" not in pages[0] and all("after" in page for page in pages[1:])
    # 3 pages of "low" alerts. All 250 share one creation time, and an end may
    # only stop where that time changes, so in this worst case the second end
    # reads on until the first one has read everything: never an alert twice.
    assert 3 <= len(streams["low", "desc"]) + len(streams["low", "asc"]) <= 6


@pytest.mark.parametrize(
    ("switch", "collect", "feature"),
    [
        ("dependabot_enabled", "dependabot", "Dependabot alerts"),
        ("secret_scanning_enabled", "secret_scanning", "Secret scanning"),
    ],
)
def test_feature_off_is_a_failure_not_an_empty_list(
    fake_github: Factory, switch: str, collect: str, feature: str
) -> None:
    org = build_org60()
    setattr(org, switch, False)
    fake = fake_github(org, clock=run_clock())
    client = connected_client(fake, fake.clock)
    inventory = list_repositories(client, ORG)
    with pytest.raises(FeatureUnavailableError) as caught:
        if collect == "dependabot":
            collect_dependabot(client, ORG, inventory, DEPENDABOT_THRESHOLDS, older_than(NOW))
        else:
            collect_secret_scanning(
                client, ORG, inventory, SECRET_SCANNING_THRESHOLD, older_than(NOW)
            )
    message = str(caught.value)
    assert "HTTP 403" in message and feature in message and "permission" in message
    assert f"/orgs/{ORG}/" in message


@pytest.mark.parametrize("status", [403, 404])
def test_alert_endpoint_forbidden_or_missing_names_the_endpoint(
    fake_github: Factory, status: int
) -> None:
    fake = fake_github(
        build_org60(), Faults(failing_routes={"dependabot_alerts": status}), clock=run_clock()
    )
    client = connected_client(fake, fake.clock)
    with pytest.raises(CollectionError, match=f"dependabot/alerts answered HTTP {status}"):
        collect_dependabot(client, ORG, [], DEPENDABOT_THRESHOLDS, older_than(NOW))


def test_alert_for_a_repository_missing_from_the_inventory_names_it(
    fake_github: Factory,
) -> None:
    org = build_org60()
    org.secret_scanning_alerts.append(
        SecretScanningAlert(7, "vanished-repo", "2025-01-01T00:00:00Z", CANARY_SECRET)
    )
    fake = fake_github(org, clock=run_clock())
    client = connected_client(fake, fake.clock)
    inventory = list_repositories(client, ORG)
    with pytest.raises(CollectionError, match=f"{ORG}/vanished-repo") as caught:
        collect_secret_scanning(client, ORG, inventory, SECRET_SCANNING_THRESHOLD, older_than(NOW))
    assert CANARY_SECRET not in str(caught.value)
    assert fake.stats.log[-1].path == f"/repos/{ORG}/vanished-repo"  # one targeted lookup


def test_alert_for_a_repository_created_during_the_run_is_looked_up_once(
    fake_github: Factory,
) -> None:
    """Listed after the inventory: one GET /repos/{org}/{name}, its visibility filled in."""
    org = build_org60()
    fake = fake_github(org, clock=run_clock())
    client = connected_client(fake, fake.clock)
    inventory = list_repositories(client, ORG)
    org.repositories.append(Repository("born-mid-run", visibility="internal"))
    org.dependabot_alerts += [
        DependabotAlert(n, "born-mid-run", "low", "2025-01-01T00:00:00Z") for n in (1, 2)
    ]
    result = collect_dependabot(client, ORG, inventory, DEPENDABOT_THRESHOLDS, older_than(NOW))
    born = [r for r in result.records if r["repository"] == "born-mid-run"]
    assert [(r["repository_visibility"], r["repository_archived"]) for r in born] == [
        ("INTERNAL", False),
        ("INTERNAL", False),
    ]
    lookups = [e for e in fake.stats.log if e.path == f"/repos/{ORG}/born-mid-run"]
    assert [(e.route, e.status) for e in lookups] == [("repository", 200)]


def test_alerts_with_faults_give_identical_bytes(fake_github: Factory) -> None:
    clean = fake_github(build_org60(), clock=run_clock())
    expected = [canonical(records) for records in run_alerts(clean)]
    faults = Faults(
        server_errors=2,
        secondary_limits=1,
        retry_after="3",
        fault_routes={"dependabot_alerts", "secret_scanning_alerts"},
    )
    faulty = fake_github(build_org60(), faults, clock=run_clock())
    assert [canonical(records) for records in run_alerts(faulty)] == expected
    statuses = [entry.status for entry in faulty.stats.log]
    assert statuses.count(502) == 2 and statuses.count(403) == 1


def test_alerts_stop_being_read_when_the_reader_stops(fake_github: Factory) -> None:
    """Alerts are handed over a few pages at a time; a reader that stops stops the streams."""
    org = build_org60()
    org.dependabot_alerts = [
        DependabotAlert(number=n, repository="readme-root", severity="low", created_at=NOW_ISO)
        for n in range(1, 2_001)
    ]
    fake = fake_github(org, clock=run_clock())
    client = connected_client(fake, fake.clock)
    path = "/orgs/" + ORG + "/dependabot/alerts"
    alerts = iter_alerts(client, path, {"state": "open", "per_page": 100}, "Dependabot", "read")
    first = next(alerts)
    assert first["number"] >= 1
    alerts.close()  # joins the stream threads
    pages = fake.stats.routes().count("dependabot_alerts")
    # Never all 20 pages: the hand-over holds 8 pages, each stream one more in hand.
    assert pages < 20
    assert fake.stats.in_flight == 0
