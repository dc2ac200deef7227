"""The GitHub App client: one connection pool, App authentication, retries, paging.

The request loop (:meth:`GitHubClient._execute`) sends one attempt, asks the
pure policy in :mod:`github_client.retry` whether and how long to wait, and
counts attempts with an immutable :class:`RetryState`. Nothing here knows
about policy checks or datasets.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from types import MappingProxyType, TracebackType
from typing import Any

import urllib3
from urllib3.util import Retry, Timeout

from .auth import AppJwt, InstallationToken, TokenCache, parse_expires_at
from .clock import SYSTEM_CLOCK, Clock
from .errors import (
    AppAuthError,
    AppNotInstalledError,
    DeadlineExceeded,
    ForbiddenError,
    GitHubError,
    GraphQLError,
    HTTPStatusError,
    NotFoundError,
    RateLimitExceeded,
    ResponseFormatError,
    ServerError,
    TransportError,
    shorten,
)
from .keys import normalise_pem, parse_private_key
from .links import LinkHeaderError, numbered_page_urls, parse_link_header
from .pacing import PaceLimits, Pacer, request_points
from .responses import ApiStats, GraphQLResponse, Page, Response
from .retry import (
    RetryState,
    Verdict,
    backoff,
    classify,
    github_message,
    header,
    parse_reset,
    wait_for,
)
from .urls import ApiBase, ForeignURLError, Params, display_path, graphql_url_for

logger = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 45.0
#: A single rate-limit wait longer than this is not attempted (GitHub's windows are 1 h).
MAX_LIMIT_WAIT = 3600.0 + 120.0
#: urllib3 retries nothing itself (redirects aside): connection failures, read
#: errors and timeouts come back to our loop, which logs, counts and backs off on
#: the injected clock (a host that cannot be reached at all: 3 attempts, <= 3 s).
_TRANSPORT_RETRY = Retry(
    total=None,
    connect=0,
    read=0,
    redirect=3,
    status=0,
    other=0,
    backoff_factor=0,
    raise_on_redirect=False,
    raise_on_status=False,
    respect_retry_after_header=False,
)
_LIMIT_VERDICTS = (Verdict.PRIMARY_LIMIT, Verdict.SECONDARY_LIMIT, Verdict.GRAPHQL_RATE_LIMITED)


@dataclass(frozen=True)
class _Call:
    """One logical request, repeated as the retry policy says."""

    method: str
    url: str
    body: bytes | None = None
    graphql: bool = False
    app_auth: bool = False  # the App JWT instead of the installation token
    expect_list: bool = False  # a page of a REST listing

    @property
    def path(self) -> str:
        return display_path(self.url)

    @property
    def bucket(self) -> str:
        return "graphql" if self.graphql else "rest"


@dataclass(frozen=True)
class _Outcome:
    """What one attempt produced: an answer (or none), and its verdict."""

    verdict: Verdict
    response: Response | None
    problem: str = ""
    cause: BaseException | None = None  # the urllib3 error of a transport failure

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status

    def answer(self) -> Response:
        """The HTTP answer; only transport failures have none."""
        if self.response is None:
            raise RuntimeError(f"no HTTP answer for a {self.verdict.value} outcome")
        return self.response


class GitHubClient:
    """Authenticated, rate-limit-aware access to one organisation's GitHub API.

    Thread-safe: one instance is shared by every worker thread of a run.
    """

    def __init__(  # noqa: PLR0917 (signature fixed by docs/architecture.md)
        self,
        org: str,
        app_id: str | int,
        private_key_pem: str,
        api_url: str = "https://api.github.com",
        pool_size: int = 20,
        clock: Clock = SYSTEM_CLOCK,
        remaining_time: Callable[[], float | None] = lambda: None,
        user_agent: str = "github-policy-data-logger/1.0",
        max_retries: int = 5,
        graphql_server_retries: int = 1,
        rng: random.Random | None = None,
        pace: PaceLimits | None = None,
    ) -> None:
        key = parse_private_key(normalise_pem(private_key_pem), "the private_key_pem argument")
        self.org = org
        self._app_id = app_id
        self._api = ApiBase(api_url)
        self._graphql_url = graphql_url_for(api_url)
        self._clock = clock
        self._remaining_time = remaining_time
        self._max_retries = max_retries
        self._graphql_server_retries = graphql_server_retries
        self._rng = rng if rng is not None else random.SystemRandom()
        self._headers = {
            "User-Agent": user_agent,
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }
        self._pool = urllib3.PoolManager(
            num_pools=4, maxsize=pool_size, block=True, retries=_TRANSPORT_RETRY
        )
        self._jwt = AppJwt(app_id, key, clock)
        self._tokens = TokenCache(self._fetch_installation_token, clock)
        self._installation_id: int | None = None
        self._lock = threading.Lock()
        self._counts = {"rest": 0, "graphql": 0, "retries": 0, "points": 0}
        self._core_remaining: int | None = None
        self._core_reset: float | None = None
        self._pause_until = {"rest": 0.0, "graphql": 0.0}
        # GitHub's secondary limits, kept rather than tripped (see pacing.py).
        self._pacer = Pacer(clock, pace if pace is not None else PaceLimits())

    def __repr__(self) -> str:
        return f"GitHubClient(org={self.org!r}, api_url={self._api.url!r})"

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- public interface -------------------------------------------------------------

    def authenticate(self) -> None:
        """Look up the App's installation on the org and obtain the first token.

        Raises :class:`AppAuthError` (JWT rejected) or :class:`AppNotInstalledError`.
        Other calls authenticate lazily; calling this first surfaces setup errors early.
        """
        self._tokens.current()

    def get(self, path: str, params: Params | None = None) -> Response:
        """GET ``path`` (or an absolute URL on the API host) with query ``params``."""
        return self._execute(_Call("GET", self._api.target(path, params)))

    def paginate(
        self, path: str, params: Params | None = None, *, fan_out: int = 1
    ) -> Iterator[Any]:
        """Every item of a REST listing, in the listing's order.

        Follows ``Link: rel="next"`` as given, the same for page-numbered and
        cursor-paged endpoints. With ``fan_out`` > 1, a page-numbered listing
        whose first page names its ``rel="last"`` page has pages 2..last fetched
        ``fan_out`` at a time (at most ``2 * fan_out`` pages held ahead of the
        reader); a cursor listing is still read one page after another. A page
        that is not a JSON list, or a ``Link`` header that cannot be read, is
        retried a little and then raises :class:`ResponseFormatError`.
        """
        return self._paginate(self._api.target(path, params), app_auth=False, fan_out=fan_out)

    def paginate_as_app(self, path: str, params: Params | None = None) -> Iterator[Any]:
        """Every item of a listing GitHub serves to the App itself (App JWT), e.g.
        ``GET /app/installations``. A rejected JWT raises :class:`AppAuthError`."""
        try:
            yield from self._paginate(self._api.target(path, params), app_auth=True)
        except HTTPStatusError as exc:
            if exc.status == 401:
                raise self._app_error(exc) from None
            raise

    def _paginate(self, start: str, *, app_auth: bool, fan_out: int = 1) -> Iterator[Any]:
        url: str | None = start
        seen: set[str] = set()
        first = True
        while url is not None:
            if url in seen:
                raise ResponseFormatError(
                    "GET",
                    display_path(url),
                    200,
                    'Link rel="next" points back to a page already read',
                )
            seen.add(url)
            response = self._execute(_Call("GET", url, app_auth=app_auth, expect_list=True))
            yield from list_items(response.data) or []
            url = next_link(response)
            pages = numbered_page_urls(page_links(response)) if first and fan_out > 1 else None
            first = False
            if pages:
                seen.update(pages)
                last = yield from self._pages_in_parallel(pages, fan_out, app_auth)
                url = next_link(last)  # the listing grew while it was read: go on from there

    def pages(self, path: str, params: Params | None = None) -> Iterator[Page]:
        """A REST listing page by page, following ``rel="next"`` one page after another."""
        url: str | None = self._api.target(path, params)
        seen: set[str] = set()
        while url is not None:
            if url in seen:
                raise ResponseFormatError(
                    "GET",
                    display_path(url),
                    200,
                    'Link rel="next" points back to a page already read',
                )
            seen.add(url)
            response = self._execute(_Call("GET", url, expect_list=True))
            url = next_link(response)
            yield Page(list_items(response.data) or [], url is not None)

    def _pages_in_parallel(
        self, urls: list[str], fan_out: int, app_auth: bool = False
    ) -> Generator[Any, None, Response]:
        """Items of ``urls`` in order, ``fan_out`` requests at a time; returns the last page."""
        workers = min(fan_out, len(urls))
        window = 2 * workers
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="github-pages")
        pending: deque[Future[Response]] = deque()
        last: Response | None = None
        try:
            queued = iter(urls)
            for url in islice(queued, window):
                call = _Call("GET", url, app_auth=app_auth, expect_list=True)
                pending.append(executor.submit(self._execute, call))
            while pending:
                last = pending.popleft().result()
                for url in islice(queued, 1):
                    call = _Call("GET", url, app_auth=app_auth, expect_list=True)
                    pending.append(executor.submit(self._execute, call))
                yield from list_items(last.data) or []
        finally:
            for future in pending:
                future.cancel()
            executor.shutdown(wait=True, cancel_futures=True)
        if last is None:
            raise RuntimeError("no page URLs to read")
        return last

    def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, allow_partial: bool = False
    ) -> GraphQLResponse:
        """Run a GraphQL query.

        ``errors`` in the answer raise :class:`GraphQLError` (with ``.data``)
        unless ``allow_partial``; ``RATE_LIMITED`` is always waited out or raised
        as :class:`RateLimitExceeded`. A 5xx or timeout is retried
        ``graphql_server_retries`` times, then raised as :class:`ServerError`.
        """
        body = json.dumps({"query": query, "variables": variables or {}}).encode("utf-8")
        response = self._execute(_Call("POST", self._graphql_url, body=body, graphql=True))
        payload: dict[str, Any] = response.data
        data = payload.get("data")
        errors: list[dict[str, Any]] = payload.get("errors") or []
        self._count_points(data)
        if errors and not allow_partial:
            raise GraphQLError(display_path(self._graphql_url), errors, data)
        return GraphQLResponse(data, errors)

    def permissions(self) -> Mapping[str, str] | None:
        """The installation's granted permissions, from the installation token answer
        (``{"metadata": "read", ...}``); None before :meth:`authenticate` or when
        GitHub's answer listed none."""
        return self._tokens.permissions

    def stats(self) -> ApiStats:
        """A snapshot of the request counters."""
        with self._lock:
            return ApiStats(
                rest_requests=self._counts["rest"],
                graphql_requests=self._counts["graphql"],
                retries=self._counts["retries"],
                rate_limit_remaining=self._core_remaining,
                graphql_points=self._counts["points"],
                token_refreshes=max(self._tokens.fetches - 1, 0),
            )

    def close(self) -> None:
        """Close the pooled connections."""
        self._pool.clear()

    # -- App authentication -----------------------------------------------------------

    def _fetch_installation_token(self) -> InstallationToken:
        """A new installation token (runs under the token cache's lock)."""
        if self._installation_id is None:
            self._installation_id = self._lookup_installation()
        path = f"/app/installations/{self._installation_id}/access_tokens"
        response = self._app_request("POST", path)
        token = _token_from(response, path)
        logger.info(
            "installation token obtained",
            extra={"org": self.org, "expires_at": response.data.get("expires_at")},
        )
        return token

    def _lookup_installation(self) -> int:
        path = f"/orgs/{self.org}/installation"
        response = self._app_request("GET", path)
        installation_id = response.data.get("id") if isinstance(response.data, dict) else None
        if not isinstance(installation_id, int) or isinstance(installation_id, bool):
            raise ResponseFormatError("GET", path, response.status, "no integer 'id' in the answer")
        return installation_id

    def _app_request(self, method: str, path: str) -> Response:
        """A call authenticated as the App (JWT), with setup errors made explicit."""
        try:
            return self._execute(_Call(method, self._api.target(path), app_auth=True))
        except HTTPStatusError as exc:
            raise self._app_error(exc) from None

    def _app_error(self, exc: HTTPStatusError) -> GitHubError:
        said = f"GitHub answered {exc.status} on {exc.method} {exc.path}"
        if exc.github_message:
            said += f": {shorten(exc.github_message)!r}"
        if exc.status == 401:
            return AppAuthError(
                f"GitHub rejected the App's JSON web token ({said}). Check that the "
                f"configured App client ID ({self._app_id}) is this App's client ID or App ID, "
                "that the private key was generated for the same App, and that the system clock is "
                "correct.",
                status=exc.status,
            )
        if exc.status == 404:
            return AppNotInstalledError(
                f"The GitHub App is not installed on organisation {self.org} ({said}). Install "
                "it on the organisation (organisation settings > GitHub Apps) with the "
                "documented permissions, or check the configured organisation login.",
                status=exc.status,
            )
        return exc

    # -- the request loop -------------------------------------------------------------

    def _execute(self, call: _Call) -> Response:
        """Send ``call`` until it succeeds, fails for good, or time runs out."""
        server_budget = self._graphql_server_retries if call.graphql else self._max_retries
        state = RetryState(total=self._max_retries, server=server_budget)
        while True:
            self._wait_for_pause(call)
            credential = self._jwt.current() if call.app_auth else self._tokens.current()
            outcome = self._attempt(call, credential)
            if outcome.verdict is Verdict.NONE:
                return self._final(call, outcome, state)
            if outcome.verdict is Verdict.UNAUTHORIZED:
                if call.app_auth or state.unauthorized <= 0:
                    raise self._status_error(call, outcome, state)
                self._tokens.invalidate(credential)
            state = self._prepare_retry(call, outcome, state)

    def _attempt(self, call: _Call, credential: str) -> _Outcome:
        """One HTTP exchange, judged."""
        headers = dict(self._headers)
        headers["Authorization"] = f"Bearer {credential}"
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        self._count(call.bucket)
        self._pacer.acquire(call.bucket, request_points(call.method, call.graphql))
        try:
            raw = self._pool.request(
                call.method,
                call.url,
                body=call.body,
                headers=headers,
                timeout=self._timeout(),
                preload_content=True,
            )
        except urllib3.exceptions.HTTPError as exc:
            verdict = Verdict.UNREACHABLE if is_unreachable(exc) else Verdict.TRANSPORT
            return _Outcome(verdict, None, describe_transport_error(exc), exc)
        finally:
            self._pacer.release()
        data, problem = decode_json(raw.data)
        response = Response(raw.status, raw.headers, data, call.url)
        self._note_rate_limit(call, response)
        if 200 <= raw.status < 300 and problem:
            return _Outcome(Verdict.MALFORMED, response, problem)
        verdict = classify(response)
        if verdict is Verdict.NONE and 200 <= raw.status < 300:
            problem = self._shape_problem(call, response)
            if problem:
                return _Outcome(Verdict.MALFORMED, response, problem)
        return _Outcome(verdict, response)

    def _shape_problem(self, call: _Call, response: Response) -> str:
        if call.graphql:
            return graphql_shape_problem(response.data)
        if call.expect_list:
            return self._page_problem(response)
        return ""

    def _page_problem(self, response: Response) -> str:
        if list_items(response.data) is None:
            return f"expected a JSON list, got {type(response.data).__name__}"
        try:
            next_url = next_link(response)
            if next_url is not None:
                self._api.check_same_origin(next_url)
        except LinkHeaderError as exc:
            return f"unreadable Link header ({exc})"
        except ForeignURLError:
            return 'Link rel="next" leaves the API host'
        return ""

    def _final(self, call: _Call, outcome: _Outcome, state: RetryState) -> Response:
        response = outcome.answer()
        if response.status >= 400:
            raise self._status_error(call, outcome, state)
        return response

    def _prepare_retry(self, call: _Call, outcome: _Outcome, state: RetryState) -> RetryState:
        """The next retry state, after logging and waiting; raises when out of retries."""
        verdict = outcome.verdict
        count = state.count(verdict) + 1
        if verdict in _LIMIT_VERDICTS:
            wait = wait_for(verdict, outcome.answer().headers, self._clock.time(), count)
        elif verdict is Verdict.UNAUTHORIZED:
            wait = 0.0
        else:
            wait = backoff(count, self._rng)
        new_state = state.increment(verdict, outcome.status, wait)
        if new_state.is_exhausted():
            raise self._exhausted_error(call, outcome, new_state, wait) from outcome.cause
        self._check_wait_fits(call, outcome, wait)
        self._count("retries")
        level = logging.INFO if verdict is Verdict.UNAUTHORIZED else logging.WARNING
        logger.log(
            level,
            "retrying GitHub request",
            extra={
                "method": call.method,
                "path": call.path,
                "status": outcome.status,
                "reason": verdict.value,
                "attempt": new_state.attempts,
                "wait_seconds": round(wait, 3),
            },
        )
        if verdict in _LIMIT_VERDICTS:
            self._pause_bucket(call, wait)
        self._clock.sleep(wait)
        return new_state

    def _check_wait_fits(self, call: _Call, outcome: _Outcome, wait: float) -> None:
        """Raise rather than wait longer than GitHub's window or the run time left."""
        limited = outcome.verdict in _LIMIT_VERDICTS
        if limited and wait > MAX_LIMIT_WAIT:
            raise self._limit_error(call, outcome, wait, f"GitHub asks for {wait:.0f} s")
        remaining = self._remaining_time()
        if remaining is None or wait <= 0 or wait < remaining:
            return
        if limited:
            raise self._limit_error(
                call, outcome, wait, f"only {max(remaining, 0.0):.0f} s of run time remain"
            )
        raise DeadlineExceeded(
            f"No time left to retry {call.method} {call.path} after "
            f"{_what_happened(outcome)}: {max(remaining, 0.0):.0f} s remain."
        ) from outcome.cause

    def _pause_bucket(self, call: _Call, wait: float) -> None:
        """Hold the bucket's other threads until this rate limit's wait is over."""
        with self._lock:
            until = self._clock.time() + wait
            self._pause_until[call.bucket] = max(self._pause_until[call.bucket], until)

    def _wait_for_pause(self, call: _Call) -> None:
        """Check the deadline and honour a pause another thread's rate limit set."""
        remaining = self._remaining_time()
        if remaining is not None and remaining <= 0:
            raise DeadlineExceeded(
                f"No time left to send {call.method} {call.path}: the run's deadline has "
                "passed. Give the function a longer timeout or fewer repositories per run."
            )
        with self._lock:
            pause = self._pause_until[call.bucket] - self._clock.time()
        if pause <= 0:
            return
        if remaining is not None and pause > remaining:
            raise RateLimitExceeded(
                call.method,
                call.path,
                kind="GraphQL rate limit" if call.graphql else "REST rate limit",
                status=None,
                wait_seconds=pause,
                reset_at=self._clock.time() + pause,
                reason="an earlier answer paused requests longer than the run time left",
            )
        logger.info(
            "waiting for a rate limit to pass",
            extra={"method": call.method, "path": call.path, "wait_seconds": round(pause, 3)},
        )
        self._clock.sleep(pause)

    # -- errors -----------------------------------------------------------------------

    def _status_error(self, call: _Call, outcome: _Outcome, state: RetryState) -> HTTPStatusError:
        response = outcome.answer()
        status = response.status
        message = github_message(response.data)
        error_type: type[HTTPStatusError] = HTTPStatusError
        hint = ""
        if status == 404:
            error_type, hint = NotFoundError, "It does not exist or the App cannot see it"
        elif status == 403:
            error_type = ForbiddenError
            hint = "The App may lack a permission for this call, or the feature is disabled"
        elif status >= 500:
            error_type = ServerError
        elif status == 401:
            hint = "A fresh installation token was rejected too; check the App's installation"
        return error_type(
            call.method, call.path, status, message, hint=hint, attempts=state.attempts
        )

    def _exhausted_error(
        self, call: _Call, outcome: _Outcome, state: RetryState, wait: float
    ) -> GitHubError:
        attempts = state.attempts - 1
        verdict = outcome.verdict
        if verdict in _LIMIT_VERDICTS:
            return self._limit_error(
                call, outcome, wait, f"still limited after {attempts} attempts"
            )
        if verdict is Verdict.MALFORMED:
            return ResponseFormatError(
                call.method, call.path, outcome.status, outcome.problem, attempts=attempts
            )
        if verdict is Verdict.TRANSPORT and call.graphql and is_read_timeout(outcome.cause):
            # A query that ran too long: a smaller batch may succeed.
            hint = "Retry with a smaller query"
            return ServerError(
                call.method, call.path, None, outcome.problem, hint=hint, attempts=attempts
            )
        if verdict in (Verdict.TRANSPORT, Verdict.UNREACHABLE):
            # No connection at all (refused, DNS, reset): a smaller query would not help.
            return TransportError(call.method, call.path, outcome.problem, attempts=attempts)
        response = outcome.response
        message = "" if response is None else github_message(response.data)
        hint = "Retry with a smaller query" if call.graphql else "GitHub may be having an outage"
        return ServerError(
            call.method, call.path, outcome.status, message, hint=hint, attempts=attempts
        )

    def _limit_error(
        self, call: _Call, outcome: _Outcome, wait: float, reason: str
    ) -> RateLimitExceeded:
        response = outcome.response
        reset = (
            None if response is None else parse_reset(header(response.headers, "x-ratelimit-reset"))
        )
        return RateLimitExceeded(
            call.method,
            call.path,
            kind=outcome.verdict.value,
            status=outcome.status,
            wait_seconds=wait,
            reset_at=reset,
            reason=reason,
        )

    # -- counters ---------------------------------------------------------------------

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _count_points(self, data: object) -> None:
        """Add a query's cost: its ``rateLimit.cost``, else 1; 0 when nothing ran."""
        if data is None:
            return
        cost = 1
        if isinstance(data, dict):
            rate_limit = data.get("rateLimit")
            if isinstance(rate_limit, dict) and isinstance(rate_limit.get("cost"), int):
                cost = rate_limit["cost"]
        with self._lock:
            self._counts["points"] += cost

    def _note_rate_limit(self, call: _Call, response: Response) -> None:
        if call.graphql:
            return
        resource = header(response.headers, "x-ratelimit-resource")
        remaining = header(response.headers, "x-ratelimit-remaining")
        if resource not in (None, "core") or remaining is None or not remaining.isdigit():
            return
        value = int(remaining)
        reset = parse_reset(header(response.headers, "x-ratelimit-reset"))
        with self._lock:
            # Answers of concurrent requests arrive in any order: within one window the
            # lowest remaining is the latest; a later reset starts a new window, and an
            # answer from an earlier window says nothing about this one.
            known = self._core_reset
            if reset is not None and (known is None or reset > known):
                self._core_reset, self._core_remaining = reset, value
            elif reset is not None and known is not None and reset < known:
                return
            elif self._core_remaining is None or value < self._core_remaining:
                self._core_remaining = value

    def _timeout(self) -> Timeout:
        remaining = self._remaining_time()
        if remaining is None:
            return Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
        cap = max(remaining, 0.1)
        return Timeout(connect=min(CONNECT_TIMEOUT, cap), read=min(READ_TIMEOUT, cap))


# -- pure helpers ---------------------------------------------------------------------


def decode_json(body: bytes) -> tuple[Any, str]:
    """``(data, problem)``: the decoded body (``None`` if empty), or why it is not JSON."""
    if not body.strip():
        return None, ""
    try:
        return json.loads(body), ""
    except UnicodeDecodeError:
        return None, f"the body is not UTF-8 ({len(body)} bytes)"
    except json.JSONDecodeError as exc:
        start = body[:15].decode("utf-8", "replace").strip()
        kind = "an HTML page" if start.lower().startswith("<") else "not valid JSON"
        return None, f"the body is {kind} ({len(body)} bytes; {exc.msg} at offset {exc.pos})"


def list_items(data: object) -> list[Any] | None:
    """The items of a REST list page: the list itself, or the one list beside
    ``total_count`` (as in ``{"total_count": 2, "repositories": [...]}``)."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "total_count" in data:
        lists = [value for value in data.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
    return None


def page_links(response: Response) -> dict[str, str]:
    """A list page's ``Link`` header as ``{rel: url}``; raises :class:`LinkHeaderError`."""
    return parse_link_header(header(response.headers, "link") or "")


def next_link(response: Response) -> str | None:
    """A list page's ``Link: rel="next"`` URL, or ``None``; raises :class:`LinkHeaderError`."""
    return page_links(response).get("next")


def graphql_shape_problem(data: object) -> str:
    """Why a GraphQL answer's JSON is not ``{"data": {...}|null, "errors": [...]}``."""
    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    if "data" not in data and "errors" not in data:
        return "neither 'data' nor 'errors' in the answer"
    if data.get("data") is not None and not isinstance(data.get("data"), dict):
        return "'data' is not an object"
    errors = data.get("errors")
    if errors is not None and not (
        isinstance(errors, list) and all(isinstance(e, dict) for e in errors)
    ):
        return "'errors' is not a list of objects"
    return ""


def is_read_timeout(exc: BaseException | None) -> bool:
    """Whether a failure without an answer was GitHub taking too long to answer."""
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    return isinstance(exc, urllib3.exceptions.ReadTimeoutError)


def is_unreachable(exc: BaseException | None) -> bool:
    """Whether no connection could be opened at all (refused, DNS, connect timeout)."""
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    # NewConnectionError and NameResolutionError subclass ConnectTimeoutError.
    return isinstance(exc, urllib3.exceptions.ConnectTimeoutError)


def describe_transport_error(exc: urllib3.exceptions.HTTPError) -> str:
    """A short reason for a failure without an answer (no URL, no headers)."""
    cause: BaseException = exc
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        cause = exc.reason
    # NewConnectionError (refused, DNS) subclasses ConnectTimeoutError but is no timeout.
    timed_out = not isinstance(cause, urllib3.exceptions.NewConnectionError)
    if timed_out and isinstance(cause, urllib3.exceptions.TimeoutError):
        return f"timed out ({type(cause).__name__})"
    inner = cause.__context__ if isinstance(cause, urllib3.exceptions.ProtocolError) else None
    detail = type(inner).__name__ if inner is not None else ""
    return type(cause).__name__ + (f" ({detail})" if detail else "")


def _token_from(response: Response, path: str) -> InstallationToken:
    data = response.data
    if not isinstance(data, dict):
        raise ResponseFormatError("POST", path, response.status, "expected a JSON object")
    token, expires = data.get("token"), data.get("expires_at")
    if not isinstance(token, str) or not token or not isinstance(expires, str):
        raise ResponseFormatError("POST", path, response.status, "no 'token' and 'expires_at'")
    try:
        expires_at = parse_expires_at(expires)
    except ValueError:
        raise ResponseFormatError(
            "POST", path, response.status, "'expires_at' is not an ISO 8601 time"
        ) from None
    granted = data.get("permissions")
    permissions = (
        MappingProxyType({str(k): str(v) for k, v in granted.items()})
        if isinstance(granted, dict)
        else None
    )
    return InstallationToken(token, expires_at, permissions)


def _what_happened(outcome: _Outcome) -> str:
    if outcome.response is None:
        return outcome.problem
    return f"HTTP {outcome.response.status}"
