"""The client over real HTTP against the fake GitHub: auth, paging, retries, limits, hostility.

A ManualClock is shared by the client and the fake, so waits of minutes or an hour
happen in no real time and are asserted exactly (``clock.sleeps``).
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from typing import Any

import pytest
import urllib3

from github_client import (
    AppAuthError,
    AppNotInstalledError,
    DeadlineExceeded,
    ForbiddenError,
    GitHubClient,
    GitHubError,
    GraphQLError,
    HTTPStatusError,
    ManualClock,
    NotFoundError,
    RateLimitExceeded,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.keys import new_private_key_pem
from tests.fake_github.samples import generated_org, small_org

FakeFactory = Callable[..., FakeGitHub]
START = 1_800_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def connect(clock: ManualClock) -> Iterator[Callable[..., GitHubClient]]:
    """``connect(fake, **kwargs)``: a GitHubClient for ``fake``, closed after the test."""
    clients: list[GitHubClient] = []

    def factory(fake: FakeGitHub, **kwargs: Any) -> GitHubClient:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("rng", random.Random(1))
        client = GitHubClient(
            kwargs.pop("org", fake.org.login),
            kwargs.pop("app_id", fake.client_id),
            kwargs.pop("private_key_pem", fake.private_key_pem),
            api_url=fake.url,
            **kwargs,
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


def routes(fake: FakeGitHub) -> list[str]:
    return [entry.route for entry in fake.stats.log]


def statuses(fake: FakeGitHub, route: str) -> list[int]:
    return [entry.status for entry in fake.stats.log if entry.route == route]


# -- authentication ---------------------------------------------------------------------


def test_authenticate_looks_up_the_installation_then_gets_a_token(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake)
    client.authenticate()
    response = client.get("/orgs/acme/members")
    assert routes(fake) == ["installation", "access_tokens", "org_members"]
    assert response.status == 200 and {m["login"] for m in response.data} == {"alice", "bob"}
    assert response.headers["X-RateLimit-Resource"] == "core"  # case-insensitive headers
    client.get("/orgs/acme/members")
    assert fake.stats.tokens_issued == 1  # token cached
    stats = client.stats()
    assert stats.rest_requests == 4 and stats.retries == 0 and stats.token_refreshes == 0
    assert stats.rate_limit_remaining == int(response.headers["x-ratelimit-remaining"]) - 1


def test_numeric_app_id_is_accepted_as_issuer(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    connect(fake, app_id=fake.app_id).authenticate()
    assert fake.stats.tokens_issued == 1


def test_get_authenticates_lazily(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    assert connect(fake).get("/orgs/acme/members").status == 200
    assert routes(fake) == ["installation", "access_tokens", "org_members"]


def test_wrong_key_gives_app_auth_error_with_status(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake, private_key_pem=new_private_key_pem())
    with pytest.raises(AppAuthError) as caught:
        client.authenticate()
    message = str(caught.value)
    assert "401" in message and "GET /orgs/acme/installation" in message
    assert "App client ID" in message and "private key" in message
    assert caught.value.status == 401
    assert statuses(fake, "installation") == [401]  # never retried


def test_wrong_client_id_gives_app_auth_error(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    with pytest.raises(AppAuthError, match=r"401.*App client ID \(Iv1\.wrong\)"):
        connect(fake, app_id="Iv1.wrong").authenticate()


def test_app_not_installed(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, installed=False)
    with pytest.raises(AppNotInstalledError) as caught:
        connect(fake).authenticate()
    assert str(caught.value).startswith(
        "The GitHub App is not installed on organisation acme (GitHub answered 404 on "
        "GET /orgs/acme/installation"
    )
    assert "Install it" in str(caught.value) and caught.value.status == 404
    assert routes(fake) == ["installation"]


def test_unknown_org_is_reported_as_not_installed(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    with pytest.raises(AppNotInstalledError, match="organisation nosuchorg"):
        connect(fake, org="nosuchorg").authenticate()


def test_absolute_urls_only_on_the_api_host(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake)
    assert client.get(fake.url + "/orgs/acme/members", {"per_page": 1}).status == 200
    assert fake.stats.log[-1].path == "/orgs/acme/members?per_page=1"
    sent = fake.stats.total
    with pytest.raises(ValueError, match="refusing to send credentials"):
        client.get("http://example.invalid/orgs/acme/members")
    assert fake.stats.total == sent


# -- token refresh ----------------------------------------------------------------------


def _twenty_threads(client: GitHubClient, path: str) -> list[int]:
    barrier = threading.Barrier(20)

    def call(_: int) -> int:
        barrier.wait()
        return client.get(path).status

    with ThreadPoolExecutor(20) as pool:
        return list(pool.map(call, range(20)))


def test_twenty_threads_through_a_token_expiry_make_one_refresh(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, token_ttl=3600.0)
    client = connect(fake)
    client.authenticate()
    clock.advance(3600 - 290)  # inside the 5-minute refresh margin, token still valid
    assert _twenty_threads(client, "/orgs/acme/members") == [200] * 20
    assert fake.stats.tokens_issued == 2
    assert client.stats().token_refreshes == 1
    assert statuses(fake, "org_members") == [200] * 20  # refreshed before, not after, a 401


def test_twenty_threads_after_revocation_make_one_refresh(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake)
    client.authenticate()
    fake.expire_tokens()
    assert _twenty_threads(client, "/orgs/acme/members") == [200] * 20
    assert fake.stats.tokens_issued == 2 and client.stats().token_refreshes == 1
    assert statuses(fake, "org_members").count(401) >= 1


def test_a_401_that_persists_after_one_refresh_is_raised(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(failing_routes={"org_members": 401}))
    client = connect(fake)
    with pytest.raises(HTTPStatusError) as caught:
        client.get("/orgs/acme/members")
    assert caught.value.status == 401 and "GET /orgs/acme/members -> HTTP 401" in str(caught.value)
    assert statuses(fake, "org_members") == [401, 401]
    assert fake.stats.tokens_issued == 2


# -- paging -----------------------------------------------------------------------------


def test_paginate_follows_page_numbered_links(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(generated_org(7), clock=clock)
    names = [r["name"] for r in connect(fake).paginate("/orgs/bigco/repos", {"per_page": 2})]
    assert sorted(names) == [f"repo-{i:05d}" for i in range(7)]
    pages = [e.path for e in fake.stats.log if e.route == "org_repos"]
    assert len(pages) == 4 and pages[0] == "/orgs/bigco/repos?per_page=2"
    assert all("page=" in p for p in pages[1:])


def test_paginate_follows_cursor_links(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(generated_org(10), clock=clock)
    alerts = list(
        connect(fake).paginate("/orgs/bigco/dependabot/alerts", {"state": "open", "per_page": 2})
    )
    assert sorted(a["number"] for a in alerts) == [1, 2, 3, 4, 5]
    pages = [e.path for e in fake.stats.log if e.route == "dependabot_alerts"]
    assert len(pages) == 3
    assert all("after=" in p and "page=" not in p.replace("per_page", "") for p in pages[1:])


def test_paginate_single_page_and_empty_list(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake)
    assert len(list(client.paginate("/orgs/acme/repos", {"type": "all", "per_page": 100}))) == 4
    assert list(client.paginate("/repos/acme/empty/branches")) == []


class ScriptedGitHub(ThreadingHTTPServer):
    """Answers the App-auth calls, then each listed path with ``[1]`` and a fixed Link header.

    For Link headers the fake GitHub never sends (it only links to itself, forward).
    """

    def __init__(self, links: dict[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.links = {path: link.format(url=self.url) for path, link in links.items()}
        self.paths: list[str] = []


class _ScriptedHandler(BaseHTTPRequestHandler):
    server: ScriptedGitHub

    def _answer(self, data: object, link: str = "") -> None:
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if link:
            self.send_header("Link", link)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        if self.path == "/orgs/acme/installation":
            self._answer({"id": 1})
        else:
            self._answer([1], self.server.links.get(self.path, ""))

    def do_POST(self) -> None:
        self.server.paths.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer({"token": "ghs_scripted", "expires_at": "2099-01-01T00:00:00Z"})

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def scripted() -> Iterator[Callable[[dict[str, str]], ScriptedGitHub]]:
    servers: list[ScriptedGitHub] = []

    def start(links: dict[str, str]) -> ScriptedGitHub:
        server = ScriptedGitHub(links)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("link", "problem", "list_requests"),
    [
        # Following it would send the installation token to another host.
        ('<https://evil.invalid/list?page=2>; rel="next"', "leaves the API host", 3),
        ('<{url}/list>; rel="next"', "points back to a page already read", 1),
    ],
)
def test_paginate_refuses_a_foreign_or_looping_next_link(  # noqa: PLR0917
    scripted: Callable[[dict[str, str]], ScriptedGitHub],
    app_private_key: str,
    clock: ManualClock,
    link: str,
    problem: str,
    list_requests: int,
) -> None:
    server = scripted({"/list": link})
    client = GitHubClient(
        "acme", "Iv1.x", app_private_key, api_url=server.url, clock=clock, rng=NoJitter()
    )
    items: list[Any] = []
    with pytest.raises(ResponseFormatError, match=problem):
        items.extend(islice(client.paginate("/list"), 10))  # bounded if the guard fails
    client.close()
    assert server.paths.count("/list") == list_requests
    assert items == ([] if list_requests > 1 else [1])  # a foreign link fails the page itself


# -- server errors and transport --------------------------------------------------------


def test_a_burst_of_502s_recovers(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(server_errors=3, fault_routes={"org_members"}))
    client = connect(fake)
    assert client.get("/orgs/acme/members").status == 200
    assert statuses(fake, "org_members") == [502, 502, 502, 200]
    assert client.stats().retries == 3
    assert len(clock.sleeps) == 3
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(clock.sleeps, [1, 2, 4], strict=True))


def test_server_errors_beyond_max_retries_raise_server_error(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(failing_routes={"org_members": 503}))
    with pytest.raises(ServerError) as caught:
        connect(fake, max_retries=3).get("/orgs/acme/members")
    assert statuses(fake, "org_members") == [503] * 4
    assert caught.value.status == 503 and caught.value.attempts == 4
    assert "GET /orgs/acme/members -> HTTP 503" in str(caught.value)


@pytest.mark.parametrize(("status", "error"), [(404, NotFoundError), (422, HTTPStatusError)])
def test_client_errors_are_never_retried(
    fake_github: FakeFactory,
    connect: Callable[..., GitHubClient],
    clock: ManualClock,
    status: int,
    error: type[HTTPStatusError],
) -> None:
    fake = fake_github(clock=clock, faults=Faults(failing_routes={"branches": status}))
    with pytest.raises(error) as caught:
        connect(fake).get("/repos/acme/api/branches")
    assert caught.value.status == status and statuses(fake, "branches") == [status]
    assert clock.sleeps == []


def test_unknown_route_is_not_found(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    with pytest.raises(NotFoundError, match=r"GET /nothing/here\?x=1 -> HTTP 404"):
        connect(fake).get("/nothing/here", {"x": 1})
    [violation] = fake.contract.take()  # the fake also records it: no such operation
    assert violation.kind == "operation" and violation.target == "/nothing/here?x=1"


def test_feature_disabled_403_is_forbidden_not_a_limit(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    org = small_org()
    org.secret_scanning_enabled = False
    fake = fake_github(org, clock=clock)
    with pytest.raises(ForbiddenError) as caught:
        list(connect(fake).paginate("/orgs/acme/secret-scanning/alerts"))
    assert caught.value.status == 403 and statuses(fake, "secret_scanning_alerts") == [403]
    assert clock.sleeps == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_a_transport_error(app_private_key: str, clock: ManualClock) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    client = GitHubClient("acme", "Iv1.x", app_private_key, api_url=url, clock=clock, max_retries=2)
    with pytest.raises(TransportError) as caught:
        client.authenticate()
    expected = "GET /orgs/acme/installation failed without a complete HTTP answer after 3"
    assert expected in str(caught.value)
    assert caught.value.reason == "NewConnectionError"  # not "timed out": urllib3's subclassing
    assert len(clock.sleeps) == 2 and client.stats().rest_requests == 3


class NoJitter(random.Random):
    """uniform(a, b) returns a: retries without waiting."""

    def uniform(self, a: float, b: float) -> float:
        return a


class FullJitter(random.Random):
    """uniform(a, b) returns b: every backoff waits its whole ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.fixture
def resetting_server() -> Iterator[tuple[str, list[int]]]:
    """A TCP server that accepts and closes every connection (a reset, no HTTP answer)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            conn.recv(65536)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join(5)
    server.close()


def test_connection_reset_is_retried_then_a_transport_error(
    app_private_key: str, clock: ManualClock, resetting_server: tuple[str, list[int]]
) -> None:
    url, accepted = resetting_server
    client = GitHubClient(
        "acme", "Iv1.x", app_private_key, api_url=url, clock=clock, max_retries=2, rng=NoJitter()
    )
    with pytest.raises(TransportError, match="after 3 attempt") as caught:
        client.authenticate()
    assert "RemoteDisconnected" in caught.value.reason or "Protocol" in caught.value.reason
    assert isinstance(caught.value.__cause__, urllib3.exceptions.HTTPError)  # raised from
    assert len(accepted) == 3 and clock.sleeps == [0.0, 0.0]
    client.close()


def test_graphql_read_timeout_becomes_server_error(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake, rng=NoJitter(), remaining_time=lambda: 0.3)
    client.authenticate()
    fake.faults.latency = 0.6
    with pytest.raises(ServerError) as caught:
        client.graphql(ORG_QUERY, {"org": "acme"})
    assert caught.value.status is None and "timed out" in str(caught.value)
    assert client.stats().graphql_requests == 2  # one retry, then the caller halves


# -- rate limits ------------------------------------------------------------------------


def test_secondary_limit_retry_after_is_honoured(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    faults = Faults(secondary_limits=1, retry_after="7", fault_routes={"org_members"})
    fake = fake_github(clock=clock, faults=faults)
    client = connect(fake)
    assert client.get("/orgs/acme/members").status == 200
    assert clock.sleeps == [7.0]
    assert statuses(fake, "org_members") == [403, 200]


@pytest.mark.parametrize(
    ("retry_after", "limits", "expected"),
    [
        ("abc", 1, [60.0]),  # hostile value: GitHub's one-minute default
        (None, 2, [60.0, 120.0]),  # no header: one minute, then exponential
    ],
)
def test_secondary_limit_without_a_usable_retry_after(  # noqa: PLR0917
    fake_github: FakeFactory,
    connect: Callable[..., GitHubClient],
    clock: ManualClock,
    retry_after: str | None,
    limits: int,
    expected: list[float],
) -> None:
    faults = Faults(secondary_limits=limits, retry_after=retry_after, fault_routes={"branches"})
    fake = fake_github(clock=clock, faults=faults)
    assert connect(fake).get("/repos/acme/api/branches").status == 200
    assert clock.sleeps == expected


def test_secondary_limit_status_429(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    faults = Faults(secondary_limits=1, secondary_limit_status=429, retry_after="3")
    fake = fake_github(clock=clock, faults=faults)
    connect(fake).authenticate()
    assert clock.sleeps == [3.0] and statuses(fake, "installation") == [429, 200]


def test_secondary_limits_beyond_max_retries_raise(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    faults = Faults(secondary_limits=10, retry_after="2", fault_routes={"org_members"})
    fake = fake_github(clock=clock, faults=faults)
    with pytest.raises(RateLimitExceeded, match="secondary limit"):
        connect(fake, max_retries=2).get("/orgs/acme/members")
    assert clock.sleeps == [2.0, 2.0] and statuses(fake, "org_members") == [403] * 3


def _exhaust_core(fake: FakeGitHub, client: GitHubClient, budget: int) -> None:
    fake.faults.rest_budget = budget
    for _ in range(budget):
        client.get("/orgs/acme/members")


def test_exhausted_primary_limit_waits_for_the_reset(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake)
    _exhaust_core(fake, client, 3)
    reset = int(fake.core.peek().reset)
    clock.advance(100)
    assert client.get("/orgs/acme/members").status == 200
    assert clock.sleeps == [reset - (START + 100) + 1]
    assert statuses(fake, "org_members")[-2:] == [403, 200]


def test_exhausted_primary_limit_raises_when_the_deadline_is_nearer(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake, remaining_time=lambda: 600.0)
    _exhaust_core(fake, client, 2)
    reset = int(fake.core.peek().reset)
    with pytest.raises(RateLimitExceeded) as caught:
        client.get("/orgs/acme/members")
    assert clock.sleeps == []  # never sleeps past the deadline
    assert caught.value.reset_at == reset and caught.value.status == 403
    assert str(reset) in str(caught.value) and "600 s of run time remain" in str(caught.value)


def test_primary_limit_with_a_reset_in_the_past_is_bounded(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(rate_limit_reset_skew=-7200))
    client = connect(fake, max_retries=3)
    _exhaust_core(fake, client, 1)
    with pytest.raises(RateLimitExceeded, match="still limited after 4 attempts"):
        client.get("/orgs/acme/members")
    assert clock.sleeps == [1.0, 1.0, 1.0]


class FirstSleepBlocks(ManualClock):
    """A ManualClock whose first sleep waits for ``release`` before advancing time."""

    def __init__(self) -> None:
        super().__init__(START)
        self.sleeping = threading.Event()
        self.release = threading.Event()
        self._first = True

    def sleep(self, seconds: float) -> None:
        if self._first:
            self._first = False
            self.sleeping.set()
            self.release.wait(10)
        super().sleep(seconds)


def test_a_limit_pauses_other_threads_of_the_same_bucket(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient]
) -> None:
    clock = FirstSleepBlocks()
    fake = fake_github(clock=clock)
    client = connect(fake, clock=clock)
    _exhaust_core(fake, client, 1)
    wait = int(fake.core.peek().reset) - START + 1
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.get, "/orgs/acme/members")  # 403, then sleeps (blocked)
        assert clock.sleeping.wait(10)
        fake.faults.rest_budget = 100
        # Another thread starting now waits for the same reset instead of asking GitHub.
        assert client.get("/orgs/acme/members").status == 200
        clock.release.set()
        assert first.result(10).status == 200
    assert statuses(fake, "org_members") == [200, 403, 200, 200]
    assert clock.sleeps == [wait, wait]


def test_a_pool_sized_to_the_cap_never_trips_a_concurrency_limit(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    # (With a ManualClock, waits take no real time, so a test that trips the cap on
    # purpose would retry into it again at once; the pool is what keeps us under it.)
    fake = fake_github(clock=clock, faults=Faults(max_concurrency=5, latency=0.02))
    client = connect(fake, pool_size=5)
    client.authenticate()
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: client.get("/orgs/acme/members").status, range(40)))
    assert results == [200] * 40
    assert statuses(fake, "org_members") == [200] * 40 and client.stats().retries == 0


# -- deadline ---------------------------------------------------------------------------


def test_no_request_starts_after_the_deadline(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    with pytest.raises(DeadlineExceeded, match="No time left to send GET /orgs/acme/installation"):
        connect(fake, remaining_time=lambda: 0.0).authenticate()
    assert fake.stats.total == 0


def test_backoff_never_sleeps_past_the_deadline(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(failing_routes={"org_members": 502}))
    # The run ends 2.5 s from now on the test's clock: room for each request on a
    # loaded machine (a read timeout is capped by the time left), and for the first
    # backoff (1 s at full jitter) but not the second (2 s, with 1.5 s left).
    deadline = clock.monotonic() + 2.5
    client = connect(fake, remaining_time=lambda: deadline - clock.monotonic(), rng=FullJitter())
    with pytest.raises(DeadlineExceeded, match=r"after HTTP 502: 2 s remain"):
        client.get("/orgs/acme/members")
    assert clock.sleeps == [1.0]
    assert statuses(fake, "org_members") == [502, 502]


# -- hostile answers --------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["html", "truncated"])
def test_unusable_bodies_are_retried_then_reported(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock, mode: str
) -> None:
    fake = fake_github(clock=clock, faults=Faults(hostile={"org_members": mode}))
    with pytest.raises(ResponseFormatError) as caught:
        connect(fake).get("/orgs/acme/members")
    message = str(caught.value)
    assert "GET /orgs/acme/members -> HTTP 200" in message and "after 3 attempt(s)" in message
    assert ("HTML page" if mode == "html" else "not valid JSON") in message
    assert statuses(fake, "org_members") == [200, 200, 200]


@pytest.mark.parametrize(
    ("mode", "problem"),
    [("bad_link", "unreadable Link header"), ("wrong_shape", "expected a JSON list, got dict")],
)
def test_hostile_pages_raise_response_format_error(
    fake_github: FakeFactory,
    connect: Callable[..., GitHubClient],
    clock: ManualClock,
    mode: str,
    problem: str,
) -> None:
    fake = fake_github(generated_org(5), clock=clock, faults=Faults(hostile={"org_repos": mode}))
    with pytest.raises(ResponseFormatError, match=problem) as caught:
        list(connect(fake).paginate("/orgs/bigco/repos", {"per_page": 2}))
    assert "GET /orgs/bigco/repos?per_page=2" in str(caught.value)
    assert len(statuses(fake, "org_repos")) == 3


def test_connection_cut_mid_body_is_retried_then_a_transport_error(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(hostile={"org_members": "cut"}))
    client = connect(fake, max_retries=2)
    with pytest.raises(TransportError, match=r"GET /orgs/acme/members failed .* after 3") as err:
        client.get("/orgs/acme/members")
    assert "IncompleteRead" in err.value.reason or "Protocol" in err.value.reason
    assert statuses(fake, "org_members") == [200, 200, 200] and len(clock.sleeps) == 2
    fake.faults.hostile = {"graphql": "cut"}
    # GraphQL: a short retry, then a transport error (a smaller batch would not help:
    # only a 5xx or a read timeout makes the collectors halve a batch).
    with pytest.raises(TransportError) as caught:
        client.graphql(ORG_QUERY, {"org": "acme"})
    assert not isinstance(caught.value, ServerError)
    assert statuses(fake, "graphql") == [200, 200]


def test_hostile_installation_answer(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(hostile={"installation": "wrong_shape"}))
    with pytest.raises(ResponseFormatError, match="no integer 'id'"):
        connect(fake).authenticate()


# -- connection pool --------------------------------------------------------------------


def test_pool_size_bounds_concurrency(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(latency=0.02))
    client = connect(fake, pool_size=4)
    client.authenticate()
    fake.reset_stats()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: client.get("/orgs/acme/members").status, range(32)))
    assert results == [200] * 32
    assert 1 < fake.stats.peak_concurrency <= 4


# -- secrets never leak -----------------------------------------------------------------


def test_no_token_jwt_or_key_in_errors_or_logs(
    fake_github: FakeFactory,
    connect: Callable[..., GitHubClient],
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    faults = Faults(server_errors=2, secondary_limits=1, retry_after="1", fault_routes={"branches"})
    fake = fake_github(clock=clock, faults=faults)
    client = connect(fake)
    messages: list[str] = []
    client.get("/repos/acme/api/branches")
    fake.expire_tokens()
    client.get("/repos/acme/api/branches")
    fake.faults.failing_routes = {"org_members": 401, "branches": 502}
    fake.faults.hostile = {"org_repos": "html"}
    for call in (
        lambda: client.get("/orgs/acme/members"),
        lambda: client.get("/repos/acme/api/branches"),
        lambda: client.get("/orgs/acme/repos"),
        lambda: connect(fake, private_key_pem=new_private_key_pem()).authenticate(),
        lambda: connect(fake, app_id="Iv1.nope").authenticate(),
    ):
        with pytest.raises(GitHubError) as caught:
            call()
        messages.append(str(caught.value))
        messages.append(repr(caught.value.__dict__))
    assert fake.stats.tokens_issued >= 3
    assert any(r.getMessage() == "retrying GitHub request" for r in caplog.records)
    for record in caplog.records:
        messages.append(record.getMessage())
        messages.append(repr(record.__dict__))
    forbidden = ["ghs_", "eyJ", "Bearer", "BEGIN", "PRIVATE KEY"]
    forbidden += [line[:20] for line in fake.private_key_pem.splitlines()[1:-1]]
    for text in messages:
        for secret in forbidden:
            assert secret not in text, (secret, text)
    assert repr(client).startswith("GitHubClient(") and "ghs_" not in repr(client.__dict__)


# -- GraphQL ----------------------------------------------------------------------------

ORG_QUERY = """
query($org: String!) {
  organization(login: $org) { login repositories(first: 2) { totalCount nodes { name } } }
  rateLimit { cost remaining resetAt }
}
"""
TWO_REPOS = """
query {
  r0: repository(owner: "acme", name: "api") { name }
  r1: repository(owner: "acme", name: "nope") { name }
}
"""


def test_graphql_query_and_points(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake)
    result = client.graphql(ORG_QUERY, {"org": "acme"})
    assert result.errors == []
    assert result.data is not None and result.data["organization"]["login"] == "acme"
    assert result.data["organization"]["repositories"]["totalCount"] == 4
    stats = client.stats()
    assert stats.graphql_requests == 1 and stats.rest_requests == 2  # installation + token
    assert stats.graphql_points == result.data["rateLimit"]["cost"] == fake.stats.graphql_points


def test_graphql_misspelled_field_raises_graphql_error(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake)
    with pytest.raises(GraphQLError) as caught:
        client.graphql('query { organization(login: "acme") { logn } }')
    assert "logn" in str(caught.value) and str(caught.value).startswith("POST /graphql")
    assert caught.value.data is None and caught.value.errors
    assert statuses(fake, "graphql") == [200]  # a validation error is not retried
    assert client.stats().graphql_points == fake.stats.graphql_points == 0


def test_graphql_partial_data_for_one_missing_alias(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake)
    result = client.graphql(TWO_REPOS, allow_partial=True)
    assert result.data == {"r0": {"name": "api"}, "r1": None}
    assert [e.get("type") for e in result.errors] == ["NOT_FOUND"]
    with pytest.raises(GraphQLError, match=r"\[NOT_FOUND\].*\(path r1\)") as caught:
        client.graphql(TWO_REPOS)
    assert caught.value.data == {"r0": {"name": "api"}, "r1": None}


def test_graphql_rate_limited_waits_for_the_reset(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(graphql_rate_limited=1))
    client = connect(fake)
    client.authenticate()
    result = client.graphql(ORG_QUERY, {"org": "acme"})
    assert result.data is not None and statuses(fake, "graphql") == [200, 200]
    # The RATE_LIMITED answer came at START, in a window that resets an hour later.
    assert clock.sleeps == [fake.faults.rate_limit_window + 1]


def test_graphql_rate_limited_raises_when_the_deadline_is_nearer(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(graphql_rate_limited=1))
    client = connect(fake, remaining_time=lambda: 120.0)
    with pytest.raises(RateLimitExceeded, match="graphql rate limited"):
        client.graphql(ORG_QUERY, {"org": "acme"})
    assert clock.sleeps == []


def test_graphql_exhausted_points_wait_for_the_reset(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(graphql_budget=1))
    client = connect(fake)
    client.graphql(ORG_QUERY, {"org": "acme"})
    reset = int(fake.graphql_bucket.peek().reset)
    client.graphql(ORG_QUERY, {"org": "acme"})
    assert statuses(fake, "graphql") == [200, 403, 200]
    assert clock.sleeps == [reset - START + 1]


@pytest.mark.parametrize(("retries", "attempts"), [(1, 2), (0, 1)])
def test_graphql_5xx_is_retried_briefly_then_raised_as_server_error(
    fake_github: FakeFactory,
    connect: Callable[..., GitHubClient],
    clock: ManualClock,
    retries: int,
    attempts: int,
) -> None:
    fake = fake_github(clock=clock, faults=Faults(graphql_node_threshold=1))
    client = connect(fake, graphql_server_retries=retries)
    with pytest.raises(ServerError) as caught:
        client.graphql(ORG_QUERY, {"org": "acme"})
    assert caught.value.status == 502 and "POST /graphql -> HTTP 502" in str(caught.value)
    assert statuses(fake, "graphql") == [502] * attempts
    assert "smaller query" in str(caught.value)


def test_graphql_502_burst_recovers_within_the_retry(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock, faults=Faults(server_errors=1, fault_routes={"graphql"}))
    assert connect(fake).graphql(ORG_QUERY, {"org": "acme"}).data is not None
    assert statuses(fake, "graphql") == [502, 200]


def test_graphql_token_revoked_is_refreshed_once(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock
) -> None:
    fake = fake_github(clock=clock)
    client = connect(fake)
    client.authenticate()
    fake.expire_tokens()
    assert client.graphql(ORG_QUERY, {"org": "acme"}).data is not None
    assert statuses(fake, "graphql") == [401, 200] and client.stats().token_refreshes == 1


@pytest.mark.parametrize("mode", ["html", "truncated", "wrong_shape"])
def test_graphql_hostile_answers(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient], clock: ManualClock, mode: str
) -> None:
    fake = fake_github(clock=clock, faults=Faults(hostile={"graphql": mode}))
    with pytest.raises(ResponseFormatError, match=r"POST /graphql -> HTTP 200"):
        connect(fake).graphql(ORG_QUERY, {"org": "acme"})
    assert statuses(fake, "graphql") == [200, 200, 200]


# -- first contact: a host that cannot be reached, a pause longer than the run --------------


def test_an_unreachable_host_fails_in_three_attempts_and_seconds(
    app_private_key: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong GITHUB_API_URL or no network: a few seconds, not 15-30 s of backoff.

    urllib3 retries no connection itself, so it logs no "Retrying (Retry(...))"
    lines of its own: the client's two "retrying GitHub request" lines are all.
    """
    url = f"http://127.0.0.1:{_closed_port()}"
    client = GitHubClient("acme", "Iv1.x", app_private_key, api_url=url, clock=clock)
    with caplog.at_level(logging.DEBUG), pytest.raises(TransportError) as caught:
        client.authenticate()
    assert str(caught.value) == (
        "GET /orgs/acme/installation failed without a complete HTTP answer after 3 attempt(s): "
        "NewConnectionError. Check network access to the GitHub API and its configured base URL."
    )
    assert len(clock.sleeps) == 2 and sum(clock.sleeps) <= 3.0
    assert client.stats().rest_requests == 3
    retries = [r for r in caplog.records if r.getMessage() == "retrying GitHub request"]
    assert [getattr(r, "reason", None) for r in retries] == ["unreachable", "unreachable"]
    assert not [r for r in caplog.records if r.name.startswith("urllib3") and r.levelno >= 30]


def test_a_pause_set_by_another_request_longer_than_the_run_names_no_status(
    fake_github: FakeFactory, connect: Callable[..., GitHubClient]
) -> None:
    """The request that meets another thread's pause got no answer itself: no "(HTTP None)"."""
    clock = FirstSleepBlocks()
    fake = fake_github(clock=clock)
    remaining = [100_000.0]
    client = connect(fake, clock=clock, remaining_time=lambda: remaining[0])
    _exhaust_core(fake, client, 1)
    wait = int(fake.core.peek().reset) - START + 1
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.get, "/orgs/acme/members")  # 403, then sleeps (blocked)
        assert clock.sleeping.wait(10)
        remaining[0] = 30.0
        with pytest.raises(RateLimitExceeded) as caught:
            client.get("/orgs/acme/members")
        clock.release.set()
        first.result(10)
    assert str(caught.value) == (
        "GET /orgs/acme/members hit GitHub's REST rate limit: an earlier answer paused "
        f"requests longer than the run time left; a wait of {wait:.0f} s was needed; the limit "
        f"resets at epoch {int(START + wait)}. Run again after the reset, lower thread_count, "
        "or give the run more time."
    )
    assert caught.value.status is None
