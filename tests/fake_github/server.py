"""The fake GitHub's HTTP server: request pipeline, App auth, limits and faults.

One request goes through, in order: concurrency count (and cap), latency,
``User-Agent`` check, routing (unknown -> 404), permanently failing routes,
counted/random faults (5xx, secondary limit, GraphQL RATE_LIMITED), auth (App
JWT on the two App routes, a live installation token elsewhere), primary
budget, the route itself, then any hostile rewrite of the answer. Every answer
carries the ``x-ratelimit-*`` headers of its bucket (``core`` or ``graphql``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self

from tests.fake_github import faults as fault_modes
from tests.fake_github.auth import (
    DEFAULT_PERMISSIONS,
    AppJwtVerifier,
    AuthFailure,
    TokenStore,
    bearer_credential,
    iso_z,
    looks_like_jwt,
)
from tests.fake_github.faults import Faults
from tests.fake_github.graphql_exec import GraphQLEngine, RateLimitInfo
from tests.fake_github.http_types import FakeRequest, FakeResponse, error_response, not_found
from tests.fake_github.keys import app_private_key_pem, public_key_pem
from tests.fake_github.model import Organization
from tests.fake_github.openapi import RestContract
from tests.fake_github.permissions import (
    MSG_NO_PERMISSION,
    ROUTE_PERMISSIONS,
    SECURITY_AND_ANALYSIS,
)
from tests.fake_github.ratelimit import Bucket
from tests.fake_github.rest import RestApi
from tests.fake_github.service_model import (
    ModelClock,
    ModelTime,
    PointsWindow,
    SecondaryLimits,
    ServiceModel,
    request_points,
)
from tests.fake_github.stats import FakeStats

logger = logging.getLogger(__name__)

MSG_USER_AGENT = (
    "Request forbidden by administrative rules. Please make sure your request has a "
    "User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api"
    "#user-agent-required). Check https://developer.github.com for other possible causes."
)
MSG_SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID {rid}."
)
MSG_PRIMARY = "API rate limit exceeded for installation ID {installation}."
MSG_GRAPHQL_TIMEOUT = (
    "Something went wrong while executing your query. This may be the result of a "
    "timeout, or it could be a GitHub bug. Please include `{rid}` when reporting this issue."
)
DOCS_SECONDARY = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
DOCS_PRIMARY = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Unicorn! &middot; GitHub</title></head>"
    b"<body><h1>No server is currently available to service your request.</h1>"
    b"<p>Sorry about that. Please try refreshing and contact us if the problem persists."
    b"</p></body></html>\n"
)
APP_ROUTES = ("installation", "access_tokens")
# Routes whose answers a frozen organisation keeps (GETs that depend on the org only).
MEMO_ROUTES = frozenset(
    {"org_repos", "org_members", "repository", "dependabot_alerts", "secret_scanning_alerts"}
)
SPARSE_ROUTES = ("org_repos", "repository", "git_blobs")


class Clock(Protocol):
    def time(self) -> float: ...


class _SystemTime:
    def time(self) -> float:
        return time.time()


_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/orgs/([^/]+)/installation$"), "installation"),
    ("POST", re.compile(r"^/app/installations/([^/]+)/access_tokens$"), "access_tokens"),
    # /organizations/{id}/... is the form GitHub's Link headers use.
    ("GET", re.compile(r"^/(?:orgs|organizations)/([^/]+)/repos$"), "org_repos"),
    ("GET", re.compile(r"^/(?:orgs|organizations)/([^/]+)/members$"), "org_members"),
    ("GET", re.compile(r"^/repos/([^/]+)/([^/]+)$"), "repository"),
    ("GET", re.compile(r"^/repos/([^/]+)/([^/]+)/branches$"), "branches"),
    ("GET", re.compile(r"^/repositories/([^/]+)/branches$"), "branches"),
    ("GET", re.compile(r"^/repos/([^/]+)/([^/]+)/git/blobs/([^/]+)$"), "git_blobs"),
    ("GET", re.compile(r"^/repos/([^/]+)/([^/]+)/contents/(.+)$"), "contents"),
    ("GET", re.compile(r"^/orgs/([^/]+)/dependabot/alerts$"), "dependabot_alerts"),
    ("GET", re.compile(r"^/orgs/([^/]+)/secret-scanning/alerts$"), "secret_scanning_alerts"),
    ("POST", re.compile(r"^/graphql$"), "graphql"),
]


def match_route(method: str, path: str) -> tuple[str, tuple[str, ...]] | None:
    """The route name and path captures for a request, or None (404)."""
    for route_method, pattern, name in _ROUTES:
        found = pattern.match(path)
        if found and method == route_method:
            return name, found.groups()
    return None


class LoopbackServed:
    """Start, stop and address of a fake served on loopback in a daemon thread.

    The class using it sets ``_host``, ``_server`` and ``_thread`` and answers
    requests with ``handle``.
    """

    _host: str
    _server: _Server | None
    _thread: threading.Thread | None

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer one request (each fake defines it)."""
        raise NotImplementedError

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = _Server((host, port), _Handler)
        self._host = host
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"{type(self).__name__}-{server.server_address[1]}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started: call start() first")
        return f"http://{self._host}:{self._server.server_port}"


class FakeGitHub(LoopbackServed):
    """GitHub's REST and GraphQL APIs over an in-memory :class:`Organization`.

    See the package docstring for the whole contract. Start with :meth:`start`
    (or ``with FakeGitHub(...) as fake:``); ``fake.url`` is the REST base and
    ``fake.url + "/graphql"`` the GraphQL endpoint.
    """

    def __init__(
        self,
        org: Organization,
        *,
        client_id: str = "Iv1.testapp",
        app_id: int = 4242,
        installed: bool = True,
        faults: Faults | None = None,
        clock: Clock | None = None,
        token_ttl: float = 3600.0,
        private_key_pem: str | None = None,
        permissions: dict[str, str] | None = None,
        sparse: str | None = None,
        service_model: ServiceModel | None = None,
        secondary_limits: SecondaryLimits | None = None,
        model_clock: ModelTime | None = None,
        frozen_org: bool = False,
    ) -> None:
        self.org = org
        # GitHub-like service times and secondary limits: both opt-in (service_model.py).
        self.service_model = service_model
        self.secondary_limits = secondary_limits
        self.model_clock: ModelTime = model_clock if model_clock is not None else ModelClock()
        limits = secondary_limits or SecondaryLimits()
        self._rest_points = PointsWindow(
            self.model_clock, limits.rest_points_per_minute, limits.window_seconds
        )
        self._graphql_points = PointsWindow(
            self.model_clock, limits.graphql_points_per_minute, limits.window_seconds
        )
        self.client_id = client_id
        self.app_id = app_id
        self.installed = installed
        self._faults = faults if faults is not None else Faults()
        self.clock: Clock = clock if clock is not None else _SystemTime()
        self.token_ttl = token_ttl
        self.private_key_pem = private_key_pem or app_private_key_pem()
        self.permissions = dict(permissions or DEFAULT_PERMISSIONS)
        self.installation_id = 40_000_000 + org.id
        self.stats = FakeStats()
        # REST requests and answers checked against GitHub's description (openapi.py);
        # ``sparse`` thins answers to what it guarantees (sparse.py).
        self.contract = RestContract(sparse)
        self.rest = RestApi(org, frozen=frozen_org)
        self.frozen_org = frozen_org
        self._memo: dict[tuple[str, str], FakeResponse] = {}
        self._memo_cost: dict[tuple[str, str], int] = {}
        self._memo_lock = threading.Lock()
        self._last_cost = threading.local()  # the cost of this thread's last query
        self.rest.leaks_secret = lambda: (
            self.faults.hostile.get("secret_scanning_alerts") == fault_modes.HOSTILE_LEAK_SECRET
        )
        self.graphql = GraphQLEngine(org, self.rest)
        self.tokens = TokenStore(self.clock.time)
        self._credentials_lock = threading.Lock()
        self._credentials_seen: set[str] = set()
        self._jwt = AppJwtVerifier(
            public_key_pem(self.private_key_pem), {client_id, str(app_id)}, self.clock.time
        )
        self._random = random.Random(self._faults.seed)
        self._fault_lock = threading.Lock()
        self.core = Bucket(
            "core",
            self.clock.time,
            lambda: self.faults.rest_budget,
            lambda: self.faults.rate_limit_window,
            lambda: self.faults.rate_limit_reset_skew,
        )
        self.graphql_bucket = Bucket(
            "graphql",
            self.clock.time,
            lambda: self.faults.graphql_budget,
            lambda: self.faults.rate_limit_window,
            lambda: self.faults.rate_limit_reset_skew,
        )
        self._host = "127.0.0.1"
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def faults(self) -> Faults:
        """The live fault switches (mutable; or assign a new ``Faults``, which reseeds)."""
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        with self._fault_lock:
            self._faults = faults
            self._random = random.Random(faults.seed)

    def expire_tokens(self) -> None:
        """Revoke every live installation token now (the next call answers 401)."""
        self.tokens.expire_all()

    def reset_stats(self) -> None:
        self.stats.reset()

    # -- the pipeline --------------------------------------------------

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer one request (thread-safe); also what the HTTP handler calls."""
        if request.path.startswith("/_fake/"):
            return self._handle_control(request)
        arrived = self.model_clock.monotonic()
        in_flight = self.stats.enter()
        matched = match_route(request.method, request.path)
        route = matched[0] if matched is not None else "unknown"
        response: FakeResponse | None = None
        try:
            tripped = self._secondary_trip(request, route, in_flight)
            if tripped is not None:
                self.stats.add_secondary_trip(tripped)
                response = self._secondary_limit()
            else:
                if self.faults.latency > 0:
                    time.sleep(self.faults.latency)
                response = self._answer_safely(request, matched)
            self._take_service_time(route, response, arrived, request)
            response = self._with_rate_headers(route, response)
            return response
        finally:
            self.stats.leave()
            self.stats.record(
                request.method, route, request.target, response.status if response else 500
            )

    def _secondary_trip(self, request: FakeRequest, route: str, in_flight: int) -> str | None:
        """Which secondary limit this request trips, if any (the points are spent otherwise)."""
        cap = self.faults.max_concurrency
        if cap is not None and in_flight > cap:
            return "concurrency"
        limits = self.secondary_limits
        if limits is None or route == "unknown":
            return None
        if in_flight > limits.max_concurrent:
            return "concurrency"
        graphql = route == "graphql"
        window = self._graphql_points if graphql else self._rest_points
        if not window.try_spend(request_points(request.method, graphql=graphql)):
            return "graphql_points" if graphql else "rest_points"
        self.stats.note_points(self._rest_points.peak, self._graphql_points.peak)
        return None

    def _take_service_time(
        self, route: str, response: FakeResponse, arrived: float, request: FakeRequest
    ) -> None:
        """Sleep what is left of the modelled service time (the fake's CPU counts inside it)."""
        model = self.service_model
        if model is None:
            return
        seconds = response.service_seconds
        if seconds is None:
            payload = response.payload if response.raw is None else None
            items = len(payload) if isinstance(payload, list) else (response.items or 0)
            seconds = model.rest_seconds(route, items if response.status < 300 else 0)
        left = arrived + seconds - self.model_clock.monotonic()
        self.stats.add_service(route, seconds, late_by=-left)
        if left < 0:
            what = request.body[:40].decode("utf-8", "replace") if route == "graphql" else ""
            logger.debug(
                "late answer",
                extra={"route": route, "late_by": -left, "what": what or request.target},
            )
        if left > 0:
            self.model_clock.sleep(left)

    def _answer_safely(
        self, request: FakeRequest, matched: tuple[str, tuple[str, ...]] | None
    ) -> FakeResponse:
        try:
            return self._answer(request, matched)
        except Exception:
            logger.exception("fake GitHub failed to answer", extra={"target": request.target})
            return error_response(500, "Fake GitHub internal error (see the test log)")

    def _answer(
        self, request: FakeRequest, matched: tuple[str, tuple[str, ...]] | None
    ) -> FakeResponse:
        if not request.header("user-agent"):
            return FakeResponse(403, raw=MSG_USER_AGENT.encode(), content_type="text/plain")
        self._record_credential(request.header("authorization"))
        if matched is None:
            self.contract.unknown_operation(request)
            return not_found()
        route, args = matched
        injected = self._injected_fault(route)
        if injected is not None:
            return injected
        try:
            if route in APP_ROUTES:
                self._jwt.verify(request.header("authorization"))
            else:
                self._check_token(request)
        except AuthFailure as failure:
            return error_response(failure.status, failure.message)
        if route not in APP_ROUTES and route != "graphql":
            spent, _ = self.core.try_spend(1)
            if not spent:
                return self._primary_limit()
            permission = ROUTE_PERMISSIONS.get(route)
            if permission is not None and permission[0] not in self.permissions:
                return error_response(403, MSG_NO_PERMISSION)
        if route != "graphql":
            rejected = self.contract.check_request(request)
            if rejected is not None:
                return rejected

        def answer() -> FakeResponse:
            response = self._dispatch(route, request, args)
            if route in SPARSE_ROUTES and response.status == 200:
                response.payload = self._sparse(route, response.payload)
            if route != "graphql":
                response = self.contract.check_response(request, response)
            return response

        if self.frozen_org and route in MEMO_ROUTES:
            response = self._memoised(("rest", request.target), answer)
        else:
            response = answer()
        return self._hostile(route, response)

    def _memoised(self, key: tuple[str, str], answer: Callable[[], FakeResponse]) -> FakeResponse:
        """A frozen organisation's answer, computed once per request and kept as bytes.

        Only the benchmark freezes its organisation: its second run is then
        served from memory, so that the fake's Python CPU (graphql-core above
        all) stays well inside the modelled service times.
        """
        with self._memo_lock:
            kept = self._memo.get(key)
        if kept is None:
            fresh = answer()
            if fresh.status != 200 or fresh.cut:
                return fresh
            payload = fresh.payload
            items = len(payload) if isinstance(payload, list) else fresh.items
            kept = FakeResponse(
                200,
                raw=fresh.body(),
                headers=dict(fresh.headers),
                content_type=fresh.content_type,
                service_seconds=fresh.service_seconds,
                items=items,
            )
            with self._memo_lock:
                self._memo[key] = kept
        return dataclasses.replace(kept, headers=dict(kept.headers))

    def _sparse(self, route: str, payload: Any) -> Any:
        """Without Administration, no ``security_and_analysis``; then ``sparse_fields``."""
        items = payload if isinstance(payload, list) else [payload]
        for item in items:
            if not isinstance(item, dict):
                continue
            if route != "git_blobs" and SECURITY_AND_ANALYSIS[0] not in self.permissions:
                item.pop("security_and_analysis", None)
            if route == "repository":
                continue  # sparse_fields thin the listing and blobs, not the lookup
            for dotted, mode in self.faults.sparse_fields.items():
                if (dotted == "size") == (route == "git_blobs"):  # a blob's size, not a repo's
                    fault_modes.make_sparse(item, dotted, mode)
        return payload

    def _record_credential(self, authorization: str | None) -> None:
        credential = bearer_credential(authorization)
        if credential is not None:
            with self._credentials_lock:
                self._credentials_seen.add(credential)

    @property
    def credentials_seen(self) -> frozenset[str]:
        """Every credential (App JWT or installation token) a client presented.

        Leak tests look for each of them in outputs, logs and exception texts.
        """
        with self._credentials_lock:
            return frozenset(self._credentials_seen)

    def _check_token(self, request: FakeRequest) -> None:
        authorization = request.header("authorization")
        credential = bearer_credential(authorization)
        if credential is not None and looks_like_jwt(credential):
            raise AuthFailure("Bad credentials")
        self.tokens.check(authorization)

    def _dispatch(self, route: str, request: FakeRequest, args: tuple[str, ...]) -> FakeResponse:
        handlers: dict[str, Callable[..., FakeResponse]] = {
            "installation": self._installation,
            "access_tokens": self._access_tokens,
            "org_repos": self._org_scoped(self.rest.org_repos),
            "org_members": self._org_scoped(self.rest.org_members),
            "repository": self.rest.repository_route,
            "branches": self._branches,
            "git_blobs": self.rest.git_blob,
            "contents": self._contents,
            "dependabot_alerts": self.rest.dependabot_alerts,
            "secret_scanning_alerts": self.rest.secret_scanning_alerts,
            "graphql": self._graphql,
        }
        return handlers[route](request, *args)

    def _org_scoped(
        self, handler: Callable[[FakeRequest, str], FakeResponse]
    ) -> Callable[..., FakeResponse]:
        """Accept ``/orgs/{login}/...`` and GitHub's ``/organizations/{id}/...`` (Link URLs)."""

        def answer(request: FakeRequest, org: str) -> FakeResponse:
            if request.path.startswith("/organizations/"):
                if org != str(self.org.id):
                    return not_found()
                org = self.org.login
            return handler(request, org)

        return answer

    def _contents(self, request: FakeRequest, owner: str, name: str, path: str) -> FakeResponse:
        return self.rest.contents(request, owner, name, path)

    def _branches(self, request: FakeRequest, *args: str) -> FakeResponse:
        if len(args) == 2:
            return self.rest.branches(request, args[0], args[1])
        repo = self.rest.repository_by_id(args[0])
        if repo is None:
            return not_found()
        return self.rest.branches(request, self.org.login, repo.name)

    # -- App routes ----------------------------------------------------

    def _installation(self, request: FakeRequest, org: str) -> FakeResponse:
        if not self.installed or not self.rest.is_org(org):
            return error_response(
                404,
                "Not Found",
                "https://docs.github.com/rest/apps/apps"
                "#get-an-organization-installation-for-the-authenticated-app",
            )
        return FakeResponse(200, self._installation_json(request))

    def _installation_json(self, request: FakeRequest) -> dict[str, Any]:
        return {
            "id": self.installation_id,
            "account": self.rest.owner_json(),
            "app_id": self.app_id,
            "app_slug": "policy-data-logger",
            "client_id": self.client_id,
            "target_id": self.org.id,
            "target_type": "Organization",
            "repository_selection": "all",
            "permissions": dict(self.permissions),
            "events": [],
            "access_tokens_url": (
                f"{request.base_url}/app/installations/{self.installation_id}/access_tokens"
            ),
            "html_url": f"https://github.com/organizations/{self.org.login}/settings/installations/{self.installation_id}",
            "repositories_url": f"{request.base_url}/installation/repositories",
            "single_file_name": None,
            "created_at": "2024-01-15T09:00:00Z",
            "updated_at": "2024-01-15T09:00:00Z",
            "suspended_by": None,
            "suspended_at": None,
        }

    def _access_tokens(self, request: FakeRequest, installation_id: str) -> FakeResponse:
        if not self.installed or installation_id != str(self.installation_id):
            return error_response(
                404,
                "Not Found",
                "https://docs.github.com/rest/apps/apps"
                "#create-an-installation-access-token-for-an-app",
            )
        ttl = self.faults.token_ttl if self.faults.token_ttl is not None else self.token_ttl
        token, expires = self.tokens.issue(ttl)
        self.stats.add_token()
        body = {
            "token": token,
            "expires_at": iso_z(expires),
            "permissions": dict(self.permissions),
            "repository_selection": "all",
        }
        return FakeResponse(201, body)

    # -- GraphQL -------------------------------------------------------

    def _graphql(self, request: FakeRequest) -> FakeResponse:
        if not self.frozen_org:
            return self._graphql_answer(request)
        # A frozen organisation answers a query it already answered from memory,
        # its cost charged again (rateLimit's remaining/used stay the first answer's).
        key = ("graphql", request.body.decode("utf-8", "replace"))
        with self._memo_lock:
            kept, cost = self._memo.get(key), self._memo_cost.get(key, 0)
        if kept is None:
            fresh = self._graphql_answer(request)
            self._memoised(key, lambda: fresh)
            with self._memo_lock:
                self._memo_cost[key] = self._last_cost.value
            return fresh
        spent, _ = self.graphql_bucket.try_spend(cost)
        if not spent:
            return self._graphql_exhausted()
        self.stats.add_graphql_points(cost)
        return dataclasses.replace(kept, headers=dict(kept.headers))

    def _graphql_answer(self, request: FakeRequest) -> FakeResponse:
        self._last_cost.value = 0
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return error_response(400, "Problems parsing JSON")
        if not isinstance(body, dict):
            return error_response(400, "Problems parsing JSON")
        query, variables = body.get("query"), body.get("variables") or {}
        if not isinstance(query, str) or not isinstance(variables, dict):
            message = "A query attribute must be specified and must be a string."
            return FakeResponse(200, {"errors": [{"message": message}]})
        analysis = self.graphql.analyse(query, variables, body.get("operationName"))
        if analysis.errors:
            return FakeResponse(200, {"errors": analysis.errors})
        if self.faults.graphql_unanswerable & {str(v) for v in variables.values()}:
            rid = self._request_id()
            message = MSG_GRAPHQL_TIMEOUT.format(rid=rid)
            return FakeResponse(502, {"data": None, "errors": [{"message": message}]})
        threshold = self.faults.graphql_node_threshold
        model = self.service_model
        modelled_timeout = model is not None and model.times_out(analysis.nodes)
        if modelled_timeout or (threshold is not None and analysis.nodes > threshold):
            rid = self._request_id()
            message = MSG_GRAPHQL_TIMEOUT.format(rid=rid)
            timed_out = FakeResponse(502, {"data": None, "errors": [{"message": message}]})
            if model is not None:
                self.stats.add_graphql_timeout()
                timed_out.service_seconds = model.graphql_timeout
            return timed_out
        spent, state = self.graphql_bucket.try_spend(analysis.cost)
        if not spent:
            return self._graphql_exhausted()
        self.stats.add_graphql_points(analysis.cost)
        self._last_cost.value = analysis.cost
        info = RateLimitInfo(
            cost=analysis.cost,
            limit=state.limit,
            remaining=state.remaining,
            used=state.used,
            reset_at=iso_z(state.reset),
            node_count=analysis.nodes,
        )

        payload = self.graphql.execute(
            analysis,
            variables,
            body.get("operationName"),
            info,
            permissions=frozenset(self.permissions),
            hidden=frozenset(name.lower() for name in self.faults.graphql_not_found),
        )
        answer = FakeResponse(200, payload)
        if model is not None:
            answer.service_seconds = model.graphql_seconds(analysis.nodes)
        return answer

    def _graphql_exhausted(self) -> FakeResponse:
        if self.faults.graphql_exhausted_style == "rate_limited":
            return self._graphql_rate_limited()
        return self._primary_limit()

    def _graphql_rate_limited(self) -> FakeResponse:
        message = MSG_PRIMARY.format(installation=self.installation_id)
        return FakeResponse(200, {"errors": [{"type": "RATE_LIMITED", "message": message}]})

    # -- faults --------------------------------------------------------

    def _injected_fault(self, route: str) -> FakeResponse | None:
        """A permanently failing route, or a counted/random fault due now."""
        faults = self.faults
        unknown = faults.unknown_routes()
        if unknown:  # a misspelt route would never fail: make the test fail instead
            raise ValueError(
                f"Faults name no route {sorted(unknown)}; use {fault_modes.ROUTE_NAMES}"
            )
        failing = faults.failing_routes.get(route)
        if failing is not None:
            return self._failure(failing)
        if not faults.applies_to(route):
            return None
        with self._fault_lock:
            if faults.server_errors > 0:
                faults.server_errors -= 1
                return self._failure(faults.server_error_status)
            if faults.server_error_rate > 0 and self._random.random() < faults.server_error_rate:
                return self._failure(faults.server_error_status)
            if faults.secondary_limits > 0:
                faults.secondary_limits -= 1
                return self._secondary_limit()
            if route == "graphql" and faults.graphql_rate_limited > 0:
                faults.graphql_rate_limited -= 1
                return self._graphql_rate_limited()
        return None

    def _failure(self, status: int) -> FakeResponse:
        if status >= 500:
            messages = {502: "Server Error", 503: "Service Unavailable", 504: "Gateway Timeout"}
            return error_response(status, messages.get(status, "Server Error"))
        if status == 404:
            return not_found()
        return error_response(status, f"Injected failure ({status})")

    def _secondary_limit(self) -> FakeResponse:
        response = error_response(
            self.faults.secondary_limit_status,
            MSG_SECONDARY.format(rid=self._request_id()),
            DOCS_SECONDARY,
        )
        if self.faults.retry_after is not None:
            response.headers["retry-after"] = self.faults.retry_after
        return response

    def _primary_limit(self) -> FakeResponse:
        return error_response(
            self.faults.primary_limit_status,
            MSG_PRIMARY.format(installation=self.installation_id),
            DOCS_PRIMARY,
        )

    def _hostile(self, route: str, response: FakeResponse) -> FakeResponse:
        mode = self.faults.hostile.get(route)
        if mode is None:
            return response
        if mode == fault_modes.HOSTILE_HTML:
            return FakeResponse(200, raw=HTML_ERROR_PAGE, content_type="text/html; charset=utf-8")
        if mode == fault_modes.HOSTILE_TRUNCATED:
            body = response.body()
            response.raw = body[: max(len(body) // 2, 1)]
            return response
        if mode == fault_modes.HOSTILE_BAD_LINK:
            url = f"{self.url}{route}?page=2"
            response.headers["link"] = f'<{url}; rel=next, {url}>; rel="last'
            return response
        if mode == fault_modes.HOSTILE_CUT:
            response.cut = True
            return response
        if mode == fault_modes.HOSTILE_LEAK_SECRET:
            return response  # the route itself ignored hide_secret
        if mode == fault_modes.HOSTILE_WRONG_SHAPE:
            payload = response.payload
            response.payload = [payload] if isinstance(payload, dict) else {"items": payload}
            return response
        raise ValueError(f"unknown hostile mode {mode!r}; use one of {fault_modes.HOSTILE_MODES}")

    @staticmethod
    def _request_id() -> str:
        return uuid.uuid4().hex[:16].upper()

    # -- headers -------------------------------------------------------

    def _with_rate_headers(self, route: str, response: FakeResponse) -> FakeResponse:
        bucket = self.graphql_bucket if route == "graphql" else self.core
        state = bucket.peek()
        headers = state.headers()
        headers["x-github-request-id"] = self._request_id()
        headers["x-github-media-type"] = "github.v3; format=json"
        headers.update(response.headers)
        response.headers = headers
        return response

    # -- control routes (not counted) ----------------------------------

    def _handle_control(self, request: FakeRequest) -> FakeResponse:
        if request.method == "GET" and request.path == "/_fake/stats":
            return FakeResponse(200, self.stats.snapshot())
        if request.method == "GET" and request.path == "/_fake/contract":
            violations = [violation._asdict() for violation in self.contract.violations]
            return FakeResponse(200, {"violations": violations})
        if request.method == "POST" and request.path == "/_fake/reset_stats":
            self.reset_stats()
            return FakeResponse(200, {"ok": True})
        if request.method == "POST" and request.path == "/_fake/expire_tokens":
            self.expire_tokens()
            return FakeResponse(200, {"ok": True})
        if request.method == "POST" and request.path == "/_fake/faults":
            return self._set_faults(request.body)
        return not_found()

    def _set_faults(self, body: bytes) -> FakeResponse:
        """``POST /_fake/faults {"field": value, ...}``: change faults out of process."""
        try:
            changes = json.loads(body or b"{}")
        except ValueError:
            return error_response(400, "Problems parsing JSON")
        if not isinstance(changes, dict):
            return error_response(400, "Expected a JSON object of Faults fields")
        known = {f.name for f in dataclasses.fields(Faults)}
        unknown = sorted(set(changes) - known)
        if unknown:
            return error_response(400, f"Unknown Faults fields: {', '.join(unknown)}")
        set_fields = {"fault_routes", "graphql_unanswerable", "graphql_not_found"}
        with self._fault_lock:
            for name, value in changes.items():
                is_set = name in set_fields and value is not None
                setattr(self.faults, name, set(value) if is_set else value)
        current = dataclasses.asdict(self.faults)
        for name in set_fields:
            if current[name] is not None:
                current[name] = sorted(current[name])
        return FakeResponse(200, current)


class _Answers(Protocol):
    def handle(self, request: FakeRequest) -> FakeResponse: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True
    fake: _Answers  # a FakeGitHub, or the several-installation front (app.py)

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Drop idle keep-alive connections so their threads end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("connection already closed")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 120
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = FakeRequest(self.command, self.path, headers, body)
        response = self.server.fake.handle(request)
        data = response.body()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if response.cut:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib's per-request stderr lines."""
