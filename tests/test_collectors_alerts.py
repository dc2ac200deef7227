"""The inventory and the two alert collections against the fake GitHub, over real HTTP."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest

from collectors.alerts import DEPENDABOT, list_chains
from collectors.errors import CollectionError, FeatureUnavailableError, UnexpectedAnswerError
from collectors.inventory import RepoListing, list_repositories
from datalogger.alert_collections import collect_dependabot, collect_secret_scanning
from tests.contract import output_schema_path
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.faults import HOSTILE_LEAK_SECRET
from tests.fake_github.model import DependabotAlert, Repository, SecretScanningAlert
from tests.fake_github.sparse import NULL, OMIT
from tests.fixtures.clients import canonical, connected_client, run_clock
from tests.fixtures.org60 import (
    CANARY_SECRET,
    DEPENDABOT_THRESHOLDS,
    EXPECTED_DEPENDABOT,
    EXPECTED_SECRET_SCANNING,
    EXPECTED_SECRET_SCANNING_DEFAULT,
    GENERIC_TYPES,
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
        dependabot = collect_dependabot(client, ORG, inventory, DEPENDABOT_THRESHOLDS, NOW)
        secrets = collect_secret_scanning(
            client, ORG, inventory, SECRET_SCANNING_THRESHOLD, GENERIC_TYPES, NOW
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
    for name, records in (("dependabot", dependabot), ("secret_scanning", secrets)):
        schema = json.loads(output_schema_path(f"{name}.schema.json").read_text("utf-8"))
        jsonschema.Draft202012Validator(schema).validate(records)
        assert all(list(record) == schema["items"]["required"] for record in records)
    secret_paths = [e.path for e in fake.stats.log if e.route == "secret_scanning_alerts"]
    assert secret_paths and all("hide_secret=true" in path for path in secret_paths)
    assert all("state=open" in path for path in secret_paths)


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
            collect_dependabot(client, ORG, inventory, DEPENDABOT_THRESHOLDS, NOW)
        else:
            collect_secret_scanning(
                client, ORG, inventory, SECRET_SCANNING_THRESHOLD, GENERIC_TYPES, NOW
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
        collect_dependabot(client, ORG, [], DEPENDABOT_THRESHOLDS, NOW)


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
        collect_secret_scanning(
            client, ORG, inventory, SECRET_SCANNING_THRESHOLD, GENERIC_TYPES, NOW
        )
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
    result = collect_dependabot(client, ORG, inventory, DEPENDABOT_THRESHOLDS, NOW)
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
    alerts = list_chains(client, DEPENDABOT, ORG, [{}])
    first = next(alerts)
    assert first.number >= 1
    alerts.close()  # joins the stream threads
    # Never all 20 pages: the hand-over holds 8 pages, each stream one more in hand.
    assert fake.stats.routes().count("dependabot_alerts") < 20
    assert fake.stats.in_flight == 0


def secret_requests(fake: FakeGitHub) -> list[dict[str, list[str]]]:
    """The query of every secret scanning request, in order."""
    return [
        parse_qs(urlsplit(e.path).query, keep_blank_values=True)
        for e in fake.stats.log
        if e.route == "secret_scanning_alerts"
    ]


def collect_secrets(fake: FakeGitHub, generic_types: tuple[str, ...]) -> list[dict[str, Any]]:
    client = connected_client(fake, fake.clock)
    try:
        inventory = list_repositories(client, ORG)
        result = collect_secret_scanning(
            client, ORG, inventory, SECRET_SCANNING_THRESHOLD, generic_types, NOW
        )
    finally:
        client.close()
    return result.records


@pytest.mark.parametrize("adds_to_defaults", [False, True])
def test_generic_pattern_alerts_appear_once_each(
    fake_github: Factory, adds_to_defaults: bool
) -> None:
    """However GitHub reads secret_type (only the named types, or the defaults too)."""
    org = build_org60()
    org.secret_type_adds_to_defaults = adds_to_defaults
    fake = fake_github(org, clock=run_clock())
    records = collect_secrets(fake, GENERIC_TYPES)
    assert records == EXPECTED_SECRET_SCANNING
    urls = [record["alert_url"] for record in records]
    assert len(urls) == len(set(urls))
    generic = {r["secret_type"] for r in records if r["provider"] is None}
    assert generic == {
        "rsa_private_key",
        "postgres_connection_string",
        "http_basic_authentication_header",
    }
    queries = secret_requests(fake)
    # One request per chain (each fits a page); the two chains are read at once.
    asked = sorted((q.get("secret_type") or [""])[0] for q in queries)
    assert asked == ["", ",".join(GENERIC_TYPES)]


def test_no_generic_types_lists_no_generic_alerts(fake_github: Factory) -> None:
    fake = fake_github(build_org60(), clock=run_clock())
    records = collect_secrets(fake, ())
    assert records == EXPECTED_SECRET_SCANNING_DEFAULT
    assert all(record["provider"] is not None for record in records)
    assert all("secret_type" not in query for query in secret_requests(fake))


def test_secret_scanning_pages_by_cursor_from_the_first_request(fake_github: Factory) -> None:
    org = build_org60()
    org.secret_scanning_alerts = [
        SecretScanningAlert(n, "public-compliant", "2025-01-01T00:00:00Z", CANARY_SECRET)
        for n in range(1, 251)
    ] + [
        SecretScanningAlert(
            n, "internal-compliant", "2025-01-01T00:00:00Z", secret_type="openssh_private_key"
        )
        for n in range(1, 131)
    ]
    fake = fake_github(org, clock=run_clock())
    records = collect_secrets(fake, GENERIC_TYPES)
    assert len(records) == 380
    queries = secret_requests(fake)
    # 250 default alerts and 130 generic ones, each chain read from both ends; all
    # share one creation time, so the ends may each read a chain whole.
    assert 3 + 2 <= len(queries) <= 2 * (3 + 2)
    firsts = [q for q in queries if q["after"] == [""]]
    assert len(firsts) == 4  # each end of each chain starts with an empty after=
    assert all("page" not in q and q["hide_secret"] == ["true"] for q in queries)
    assert all(q["after"][0] for q in queries if q not in firsts)  # then real cursors


@pytest.mark.parametrize(
    ("dependabot_open", "default_open", "generic_open"),
    [(1000, 1000, 150), (99, 100, 1), (250, 0, 0)],
)
def test_requests_per_open_alert(
    fake_github: Factory,
    record_property: Callable[[str, object], None],
    dependabot_open: int,
    default_open: int,
    generic_open: int,
) -> None:
    """One request per 100 open alerts per listing, plus one chain for generic patterns;
    Dependabot's chains by severity cost a request each even when empty, and a chain read
    from both ends a page more where the ends meet."""
    org = build_org60()
    names = [r.name for r in org.repositories]

    def created(n: int) -> str:  # distinct times, so that both ends can meet
        return f"2025-01-{1 + n // 1440 % 28:02d}T{n // 60 % 24:02d}:{n % 60:02d}:00Z"

    org.dependabot_alerts = [
        DependabotAlert(n, names[n % len(names)], "low", created(n))
        for n in range(1, dependabot_open + 1)
    ]
    org.secret_scanning_alerts = [
        SecretScanningAlert(n, names[n % len(names)], created(n))
        for n in range(1, default_open + 1)
    ] + [
        SecretScanningAlert(n, names[n % len(names)], created(n), secret_type="password")
        for n in range(default_open + 1, default_open + generic_open + 1)
    ]
    fake = fake_github(org, clock=run_clock())
    dependabot, secrets = run_alerts(fake)
    assert (len(dependabot), len(secrets)) == (dependabot_open, default_open + generic_open)
    by_route = fake.stats.by_route
    pages = lambda n: max(-(-n // 100), 1)  # noqa: E731 - ceil, at least the one request
    met = lambda n: 2 if n > 100 else 0  # noqa: E731 - pages where two ends meet, at most
    assert pages(dependabot_open) + 3 <= by_route["dependabot_alerts"]
    assert by_route["dependabot_alerts"] <= pages(dependabot_open) + 3 + met(dependabot_open)
    secret_pages = pages(default_open) + pages(generic_open)
    assert secret_pages <= by_route["secret_scanning_alerts"]
    assert by_route["secret_scanning_alerts"] <= secret_pages + met(default_open) + met(
        generic_open
    )
    assert by_route.get("repository", 0) == 0  # every repository came from the inventory
    record_property(
        "alert_requests",
        {
            "dependabot": by_route["dependabot_alerts"],
            "secrets": by_route["secret_scanning_alerts"],
        },
    )


def test_no_secret_reaches_records_even_when_github_ignores_hide_secret(
    fake_github: Factory,
) -> None:
    fake = fake_github(
        build_org60(),
        Faults(hostile={"secret_scanning_alerts": HOSTILE_LEAK_SECRET}),
        clock=run_clock(),
    )
    client = connected_client(fake, fake.clock)
    sent = client.get(f"/orgs/{ORG}/secret-scanning/alerts", {"state": "open", "hide_secret": True})
    assert any(alert.get("secret") == CANARY_SECRET for alert in sent.data)  # sent anyway
    _, secrets = run_alerts(fake)
    assert secrets == EXPECTED_SECRET_SCANNING
    assert CANARY_SECRET.encode() not in canonical(secrets)


def full_inventory(fake_github: Factory) -> list[RepoListing]:
    """acme60's repositories as a full (not sparse) listing shows them."""
    fake = fake_github(build_org60(), clock=run_clock())
    client = connected_client(fake, fake.clock)
    try:
        return list_repositories(client, ORG)
    finally:
        client.close()


def test_sparse_nullable_answers_give_nulls_not_errors(fake_github: Factory) -> None:
    """Every nullable field null (GitHub's least, field by field): records still written."""
    inventory = full_inventory(fake_github)
    fake = fake_github(build_org60(), sparse=NULL, clock=run_clock())
    client = connected_client(fake, fake.clock)
    dependabot = collect_dependabot(client, ORG, inventory, DEPENDABOT_THRESHOLDS, NOW).records
    secrets = collect_secret_scanning(
        client, ORG, inventory, SECRET_SCANNING_THRESHOLD, GENERIC_TYPES, NOW
    ).records
    assert [r["alert_url"] for r in dependabot] == [r["alert_url"] for r in EXPECTED_DEPENDABOT]
    assert [r["alert_url"] for r in secrets] == [r["alert_url"] for r in EXPECTED_SECRET_SCANNING]
    nulled = ("cve_id", "scope", "patched_version", "epss_percentage")
    assert all(record[field] is None for record in dependabot for field in nulled)
    no_package = [r["alert_url"] for r in dependabot if r["package_name"] is None]
    assert no_package == [EXPECTED_DEPENDABOT[0]["alert_url"]]  # left out; never nulled
    nulled = ("provider", "publicly_leaked", "multi_repo", "push_protection_bypassed")
    assert all(record[field] is None for record in secrets for field in nulled)
    for name, records in (("dependabot", dependabot), ("secret_scanning", secrets)):
        schema = json.loads(output_schema_path(f"{name}.schema.json").read_text("utf-8"))
        jsonschema.Draft202012Validator(schema).validate(records)


def test_sparse_omitting_answers_fail_closed_only_without_an_alert_url(
    fake_github: Factory,
) -> None:
    """Every optional field left out: Dependabot records lose their package, and a secret
    scanning alert (every field optional in the description) cannot even be named."""
    inventory = full_inventory(fake_github)
    fake = fake_github(build_org60(), sparse=OMIT, clock=run_clock())
    client = connected_client(fake, fake.clock)
    dependabot = collect_dependabot(client, ORG, inventory, DEPENDABOT_THRESHOLDS, NOW).records
    assert [r["alert_url"] for r in dependabot] == [r["alert_url"] for r in EXPECTED_DEPENDABOT]
    assert {r["package_name"] for r in dependabot} == {None}
    with pytest.raises(UnexpectedAnswerError, match="'html_url'") as caught:
        collect_secret_scanning(client, ORG, inventory, SECRET_SCANNING_THRESHOLD, (), NOW)
    assert CANARY_SECRET not in str(caught.value)
