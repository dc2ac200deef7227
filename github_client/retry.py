"""Retry policy as pure functions: what kind of answer is this, how long to wait.

Recognising a limit (:func:`classify`) is kept apart from deciding the wait
(:func:`wait_for`, :func:`backoff`) and from counting attempts
(:class:`RetryState`, immutable like urllib3's ``Retry``). None of this does
I/O, so the arithmetic is tested without a network.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

from .responses import Response

#: Wait when GitHub gives no usable ``retry-after`` or reset time (GitHub's advice).
DEFAULT_LIMIT_WAIT = 60.0
#: Wait when the reset time is already in the past (clock skew, bucket just reset).
MIN_LIMIT_WAIT = 1.0
#: First step and ceiling of the jittered backoff after 5xx and transport errors.
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0

_SECONDARY_MARKERS = ("secondary rate limit", "abuse detection")


class Verdict(enum.StrEnum):
    """Why a request is (or is not) worth repeating."""

    NONE = "none"  # a final answer: success or a client error
    SERVER_ERROR = "server_error"  # 500, 502, 503, 504
    SECONDARY_LIMIT = "secondary_limit"
    PRIMARY_LIMIT = "primary_limit"
    GRAPHQL_RATE_LIMITED = "graphql_rate_limited"
    UNAUTHORIZED = "unauthorized"  # 401: a new installation token may help, once
    TRANSPORT = "transport"  # no HTTP answer (set by the caller, not by classify)
    UNREACHABLE = "unreachable"  # no connection at all: refused, DNS, connect timeout (caller)
    MALFORMED = "malformed"  # unusable 2xx body (set by the caller, not by classify)


_RETRYABLE_5XX = frozenset({500, 502, 503, 504})


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Header ``name`` looked up case-insensitively."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def classify(response: Response) -> Verdict:
    """Which retry rule applies to ``response`` (see :class:`Verdict`)."""
    status = response.status
    if status in _RETRYABLE_5XX:
        return Verdict.SERVER_ERROR
    if status == 401:
        return Verdict.UNAUTHORIZED
    if status in (403, 429):
        return _classify_limit(response)
    if status == 200 and _has_graphql_rate_limited(response.data):
        return Verdict.GRAPHQL_RATE_LIMITED
    return Verdict.NONE


def _classify_limit(response: Response) -> Verdict:
    message = github_message(response.data).lower()
    if any(marker in message for marker in _SECONDARY_MARKERS):
        return Verdict.SECONDARY_LIMIT
    if header(response.headers, "x-ratelimit-remaining") == "0":
        return Verdict.PRIMARY_LIMIT
    if header(response.headers, "retry-after") is not None or response.status == 429:
        return Verdict.SECONDARY_LIMIT
    return Verdict.NONE  # a real 403: missing permission, feature disabled


def github_message(data: object) -> str:
    """GitHub's ``message`` from an error answer, or ``""``."""
    if isinstance(data, dict):
        message = data.get("message")
        if isinstance(message, str):
            return message
    return ""


def _has_graphql_rate_limited(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    errors = data.get("errors")
    if not isinstance(errors, list):
        return False
    return any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``retry-after`` value; ``None`` when absent.

    GitHub sends whole seconds. Anything else (an HTTP-date, garbage, a negative
    or non-finite number) falls back to :data:`DEFAULT_LIMIT_WAIT`.
    """
    if value is None:
        return None
    seconds = _finite_number(value)
    return DEFAULT_LIMIT_WAIT if seconds is None or seconds < 0 else seconds


def parse_reset(value: str | None) -> float | None:
    """Epoch seconds from ``x-ratelimit-reset``; ``None`` when absent or unusable."""
    return None if value is None else _finite_number(value)


def _finite_number(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def wait_for(verdict: Verdict, headers: Mapping[str, str], now: float, count: int) -> float:
    """Seconds to wait before repeating a request that hit a rate limit.

    ``count`` is how many limits of this kind the request has met, this one
    included (1 for the first). Order, as GitHub documents it: ``retry-after``;
    else, for a primary limit, ``reset - now + 1`` (at least
    :data:`MIN_LIMIT_WAIT` when the reset is past); else 60 s, doubling on each
    further secondary limit.
    """
    retry_after = parse_retry_after(header(headers, "retry-after"))
    if retry_after is not None:
        return retry_after
    if verdict in (Verdict.PRIMARY_LIMIT, Verdict.GRAPHQL_RATE_LIMITED):
        reset = parse_reset(header(headers, "x-ratelimit-reset"))
        if reset is None:
            return DEFAULT_LIMIT_WAIT
        return max(reset - now + 1.0, MIN_LIMIT_WAIT)
    return DEFAULT_LIMIT_WAIT * 2.0 ** max(count - 1, 0)


def backoff(count: int, rng: random.Random) -> float:
    """Full-jitter exponential backoff for the ``count``-th server/transport failure."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** max(count - 1, 0))
    return rng.uniform(0.0, ceiling)


@dataclass(frozen=True)
class RetryEvent:
    """One repeated attempt: why, the status seen (``None``: no answer), the wait."""

    verdict: Verdict
    status: int | None
    wait_seconds: float


@dataclass(frozen=True)
class RetryState:
    """Retries left for one logical request; :meth:`increment` returns a new state.

    ``total`` bounds every kind of retry; ``server`` bounds 5xx and transport
    failures (GraphQL uses a small value so that callers can split a heavy
    batch); ``malformed`` bounds unusable answers; ``unauthorized`` allows the
    single fresh-token retry after a 401; ``unreachable`` bounds attempts to
    open a connection at all (a wrong API base URL, no network: waiting
    longer rarely helps, and the operator should hear about it in seconds).
    A negative counter means exhausted.
    """

    total: int
    server: int
    malformed: int = 2
    unauthorized: int = 1
    unreachable: int = 2
    history: tuple[RetryEvent, ...] = ()

    def increment(
        self, verdict: Verdict, status: int | None, wait_seconds: float = 0.0
    ) -> RetryState:
        """The state after one more retry for ``verdict``."""
        server = verdict in (Verdict.SERVER_ERROR, Verdict.TRANSPORT, Verdict.UNREACHABLE)
        return RetryState(
            total=self.total - (verdict is not Verdict.UNAUTHORIZED),
            server=self.server - server,
            malformed=self.malformed - (verdict is Verdict.MALFORMED),
            unauthorized=self.unauthorized - (verdict is Verdict.UNAUTHORIZED),
            unreachable=self.unreachable - (verdict is Verdict.UNREACHABLE),
            history=(*self.history, RetryEvent(verdict, status, wait_seconds)),
        )

    def is_exhausted(self) -> bool:
        return min(self.total, self.server, self.malformed, self.unauthorized, self.unreachable) < 0

    def count(self, verdict: Verdict) -> int:
        """Retries already made for ``verdict``."""
        return sum(1 for event in self.history if event.verdict is verdict)

    @property
    def attempts(self) -> int:
        """Attempts made so far, counting the first."""
        return len(self.history) + 1
