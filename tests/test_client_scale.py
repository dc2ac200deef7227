"""Long chains cut short, GitHub's secondary limits kept, and the fake's service-time model.

The client and the fake share one ManualClock: the fake's modelled service
times and one-minute limit windows, and the client's pacing, all happen in no
real time and are asserted exactly.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from github_client import GitHubClient, ManualClock
from github_client.links import numbered_page_urls
from github_client.pacing import PaceLimits, SlidingWindow
from github_client.responses import Page
from github_client.streams import BothEnds, read_streams
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.model import DependabotAlert, Organization, Repository
from tests.fake_github.samples import generated_org
from tests.fake_github.service_model import SecondaryLimits, ServiceModel

FakeFactory = Callable[..., FakeGitHub]
START = 1_800_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def connect(clock: ManualClock) -> Iterator[Callable[..., GitHubClient]]:
    clients: list[GitHubClient] = []

    def factory(fake: FakeGitHub, **kwargs: Any) -> GitHubClient:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("rng", random.Random(1))
        client = GitHubClient(
            fake.org.login, fake.client_id, fake.private_key_pem, api_url=fake.url, **kwargs
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


# -- the service-time model -------------------------------------------------------------


def test_model_times_are_github_like() -> None:
    model = ServiceModel()
    assert model.rest_seconds("org_repos", 100) == pytest.approx(0.55)
    assert model.rest_seconds("dependabot_alerts", 100) == pytest.approx(1.0)
    assert model.rest_seconds("installation", 0) == pytest.approx(0.15)
    assert model.graphql_seconds(10_800) == pytest.approx(2.46)  # 50 repositories' facts
    assert not model.times_out(48_000)
    assert model.times_out(49_000)


def test_fake_answers_after_the_modelled_time_its_own_cpu_included(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(
        generated_org(250), clock=clock, service_model=ServiceModel(), model_clock=clock
    )
    client = connect(fake)
    client.authenticate()
    before = clock.monotonic()
    items = list(client.paginate("/orgs/bigco/repos", {"per_page": 100}))
    assert len(items) == 250
    # 3 pages (100, 100, 50 items), one after another; the fake's CPU is inside each.
    assert clock.monotonic() - before == pytest.approx(0.55 + 0.55 + 0.35)
    assert fake.stats.service_by_route["org_repos"] == pytest.approx(1.45)
    assert fake.stats.late == 0


def test_fake_answers_502_to_a_query_past_graphqls_timeout(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, service_model=ServiceModel(), model_clock=clock)
    client = connect(fake, graphql_server_retries=0)
    # 100 repositories x five connections of 100: 50,100 nodes, about 10.3 s modelled.
    connections = " ".join(
        f"{name}(first: 100) {{ totalCount }}"
        for name in ("pullRequests", "issues", "forks", "watchers", "stargazers")
    )
    query = (
        'query { organization(login: "acme") { repositories(first: 100) { nodes { '
        + connections
        + " } } } }"
    )
    client.authenticate()
    before = clock.monotonic()
    with pytest.raises(Exception, match="502"):
        client.graphql(query)
    assert clock.monotonic() - before == pytest.approx(10.0)
    assert fake.stats.graphql_timeouts == 1


# -- secondary limits -------------------------------------------------------------------


def _hammer(client: GitHubClient, requests: int, threads: int) -> None:
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda _: client.get("/repos/acme/api"), range(requests)))


def test_fake_enforces_rest_points_a_minute(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(
        clock=clock, secondary_limits=SecondaryLimits(rest_points_per_minute=20), model_clock=clock
    )
    loose = PaceLimits(rest_per_minute=10_000)
    client = connect(fake, pace=loose, max_retries=0)
    client.authenticate()  # 1 GET + 1 POST (5 points) = 6 points
    for _ in range(14):
        client.get("/repos/acme/api")
    with pytest.raises(Exception, match="secondary limit"):
        client.get("/repos/acme/api")
    assert fake.stats.secondary_trips == Counter({"rest_points": 1})


def test_fake_enforces_100_concurrent_requests(fake_github: FakeFactory) -> None:
    fake = fake_github(
        secondary_limits=SecondaryLimits(max_concurrent=2), faults=Faults(latency=0.2)
    )
    clients = [
        GitHubClient("acme", fake.client_id, fake.private_key_pem, api_url=fake.url, max_retries=0)
        for _ in range(3)
    ]
    errors: list[str] = []

    def call(client: GitHubClient) -> None:
        try:
            client.get("/repos/acme/api")
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(str(error))

    for client in clients:
        client.authenticate()
    threads = [threading.Thread(target=call, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake.stats.secondary_trips["concurrency"] >= 1
    assert any("secondary limit" in error for error in errors)


def test_client_paces_itself_under_githubs_limits(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, secondary_limits=SecondaryLimits(), model_clock=clock)
    client = connect(fake, pool_size=8)
    client.authenticate()
    _hammer(client, 1_000, threads=8)
    assert fake.stats.secondary_trips == Counter()
    assert fake.stats.peak_rest_points <= 850
    # 1,006 points (the token POST costs 5): 850 go at once, the rest a minute later.
    assert clock.monotonic() - START >= 60


def test_sliding_window_lets_a_minutes_worth_through_then_the_pace(clock: ManualClock) -> None:
    window = SlidingWindow(clock, limit=3, window=60)
    assert [window.reserve(1) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert window.reserve(1) == 60.0  # the 4th point waits for the 1st to leave the window
    clock.advance(30)
    assert window.reserve(1) == 30.0
    # 5 more points, 3 a minute: the last one goes two minutes after the 2nd-last of before.
    assert window.reserve(5) == 150.0
    clock.advance(1_000)
    assert window.reserve(1) == 0.0


def test_pace_limits_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="max_in_flight"):
        PaceLimits(max_in_flight=0)
    with pytest.raises(ValueError, match="rest_per_minute"):
        PaceLimits(rest_per_minute=0)
    with pytest.raises(ValueError, match="window_seconds"):
        PaceLimits(window_seconds=0)


# -- page-numbered listings fan out ------------------------------------------------------


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        (
            {
                "next": "http://h/o/repos?per_page=2&page=2",
                "last": "http://h/o/repos?per_page=2&page=4",
            },
            [f"http://h/o/repos?per_page=2&page={n}" for n in (2, 3, 4)],
        ),
        ({"next": "http://h/o/alerts?after=abc"}, None),  # a cursor list
        ({"next": "http://h/o/repos?page=2", "last": "http://h/other?page=3"}, None),
        ({"next": "http://h/o/repos?page=3", "last": "http://h/o/repos?page=5"}, None),
        ({"next": "http://h/o/r?a=1&page=2", "last": "http://h/o/r?a=2&page=5"}, None),
        ({"next": "http://h/o/r?page=2", "last": "http://h/o/r?page=x"}, None),
    ],
)
def test_numbered_page_urls(links: dict[str, str], expected: list[str] | None) -> None:
    assert numbered_page_urls(links) == expected


def test_paginate_fans_page_numbered_listings_out(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(generated_org(1_000), clock=clock, faults=Faults(latency=0.02))
    client = connect(fake, pool_size=8)
    sequential = [r["name"] for r in client.paginate("/orgs/bigco/repos", {"per_page": 100})]
    fake.reset_stats()
    fanned = [r["name"] for r in client.paginate("/orgs/bigco/repos", {"per_page": 100}, fan_out=4)]
    assert fanned == sequential and len(fanned) == 1_000
    assert fake.stats.by_route["org_repos"] == 10
    assert fake.stats.peak_concurrency > 1


def test_paginate_fan_out_goes_on_when_the_listing_grew(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    org = generated_org(300)
    fake = fake_github(org, clock=clock)
    client = connect(fake)
    pages = client.paginate("/orgs/bigco/repos", {"per_page": 100}, fan_out=2)
    first = [next(pages) for _ in range(100)]
    org.repositories.extend(Repository(f"new-{i}") for i in range(50))  # now 4 pages
    rest = list(pages)
    assert len(first) + len(rest) == 350


# -- cursor listings as parallel streams ------------------------------------------------


def _alerts_org(count: int, ties: int) -> Organization:
    """``count`` open alerts over four severities; runs of ``ties`` share a creation time."""
    org = generated_org(20)
    severities = ("critical", "high", "medium", "low")
    org.dependabot_alerts = [
        DependabotAlert(
            n,
            f"repo-{n % 20:05d}",
            severities[n % 7 % 4],
            f"2026-01-{1 + (n // ties) % 28:02d}T{(n // ties) // 28 % 24:02d}:00:00Z",
        )
        for n in range(1, count + 1)
    ]
    return org


BOTH_ENDS = BothEnds(identity=lambda a: a["html_url"], sort_value=lambda a: a["created_at"])


@pytest.mark.parametrize("ties", [1, 7, 250])
def test_streams_read_every_alert_exactly_once(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock, ties: int
) -> None:
    fake = fake_github(_alerts_org(1_234, ties), clock=clock, faults=Faults(latency=0.002))
    client = connect(fake, pool_size=16)
    splits = [{"severity": s} for s in ("critical", "high", "medium", "low")]
    alerts = list(
        read_streams(
            client,
            "/orgs/bigco/dependabot/alerts",
            {"state": "open", "per_page": 100},
            splits,
            both_ends=BOTH_ENDS,
        )
    )
    urls = [a["html_url"] for a in alerts]
    assert len(urls) == 1_234 and len(set(urls)) == 1_234
    pages = fake.stats.by_route["dependabot_alerts"]
    # 13 pages at least; each split pays at most about two pages where its ends meet.
    assert 13 <= pages <= 13 + 4 * 3
    directions = Counter("direction=asc" in e.path for e in fake.stats.log)
    assert directions[True] > 0  # both ends were read


def test_a_short_stream_costs_one_request(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(_alerts_org(40, 1), clock=clock)
    client = connect(fake)
    splits = [{"severity": s} for s in ("critical", "high", "medium", "low")]
    alerts = list(
        read_streams(
            client,
            "/orgs/bigco/dependabot/alerts",
            {"state": "open", "per_page": 100},
            splits,
            both_ends=BOTH_ENDS,
        )
    )
    assert len(alerts) == 40
    assert fake.stats.by_route["dependabot_alerts"] == 4


def test_a_failing_stream_fails_the_reader(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(
        _alerts_org(500, 1), clock=clock, faults=Faults(failing_routes={"dependabot_alerts": 404})
    )
    client = connect(fake)
    with pytest.raises(Exception, match="404"):
        list(read_streams(client, "/orgs/bigco/dependabot/alerts", {"state": "open"}, [{}]))


class _EndlessListing:
    """A listing that never ends, counting the pages it gave."""

    def __init__(self) -> None:
        self.given = 0
        self._lock = threading.Lock()

    def pages_of(self) -> Iterator[Page]:
        while True:
            with self._lock:
                self.given += 1
                number = self.given
            yield Page(
                [{"html_url": f"u{number}-{i}", "created_at": str(number)} for i in range(3)], True
            )

    def pages(self, path: str, params: Any = None) -> Iterator[Page]:
        return self.pages_of()


def test_streams_hold_a_bounded_number_of_pages() -> None:
    listing = _EndlessListing()
    items = read_streams(listing, "/x", {}, [{"s": "a"}, {"s": "b"}], queue_pages=4)
    assert next(items)["html_url"].startswith("u")
    items.close()
    # 4 handed over, 1 being read, 1 more in each stream's hand: never endless.
    assert listing.given <= 4 + 1 + 2
