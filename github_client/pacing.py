"""Staying inside GitHub's secondary limits instead of tripping them.

GitHub documents three secondary limits a client can count for itself ("About
secondary rate limits"): no more than 100 concurrent requests (REST and
GraphQL together), no more than 900 points a minute for REST (a GET costs 1
point, a POST/PATCH/PUT/DELETE 5) and 2,000 a minute for GraphQL (1 point a
query without a mutation). Tripping one costs a minute's wait at least, so the
client paces itself below them:

- a semaphore holds the requests in flight at ``max_in_flight``;
- one token bucket per API lets ``burst`` points through at once and then
  ``per_minute / 60`` a second. In any window of 60 s such a bucket passes at
  most ``burst + per_minute`` points, so the defaults (60 + 780 REST,
  100 + 1,800 GraphQL) stay 60 and 100 points below GitHub's limits: room for
  requests that reach GitHub a little later or earlier than they were sent.

A request reserves its points when it is about to be sent and waits (on the
injected clock) for its turn; waiting requests are served in the order they
reserved, so a long listing cannot starve a short one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .clock import Clock


@dataclass(frozen=True)
class PaceLimits:
    """How fast and how wide the client may go (GitHub's limits minus a margin)."""

    max_in_flight: int = 100
    rest_per_minute: float = 780.0
    rest_burst: float = 60.0
    graphql_per_minute: float = 1800.0
    graphql_burst: float = 100.0

    def __post_init__(self) -> None:
        if self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {self.max_in_flight}")
        for name in ("rest_per_minute", "rest_burst", "graphql_per_minute", "graphql_burst"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")


def request_points(method: str, graphql: bool) -> int:
    """GitHub's secondary-limit points of one request (the client sends no mutations)."""
    if graphql:
        return 1
    return 1 if method.upper() in ("GET", "HEAD", "OPTIONS") else 5


class TokenBucket:
    """``burst`` points at once, then ``per_minute`` a minute; waits on ``clock``."""

    def __init__(self, clock: Clock, per_minute: float, burst: float) -> None:
        self._clock = clock
        self._rate = per_minute / 60.0
        self._burst = burst
        self._tokens = burst
        self._updated: float | None = None
        self._lock = threading.Lock()
        self.waited = 0.0  # total seconds callers waited, for the run's figures

    def reserve(self, points: int) -> float:
        """Take ``points`` now (possibly into debt); the seconds to wait before sending."""
        with self._lock:
            now = self._clock.monotonic()
            if self._updated is not None:
                self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            self._tokens -= points
            wait = -self._tokens / self._rate if self._tokens < 0 else 0.0
            self.waited += wait
            return wait


class Pacer:
    """The client's governor: a slot in flight, then the bucket's turn."""

    def __init__(self, clock: Clock, limits: PaceLimits) -> None:
        self.limits = limits
        self._clock = clock
        self._in_flight = threading.BoundedSemaphore(limits.max_in_flight)
        self._buckets = {
            "rest": TokenBucket(clock, limits.rest_per_minute, limits.rest_burst),
            "graphql": TokenBucket(clock, limits.graphql_per_minute, limits.graphql_burst),
        }

    def acquire(self, bucket: str, points: int) -> None:
        """Block until a request of ``points`` may be sent; pair with :meth:`release`."""
        self._in_flight.acquire()
        wait = self._buckets[bucket].reserve(points)
        if wait > 0:
            self._clock.sleep(wait)

    def release(self) -> None:
        self._in_flight.release()

    def waited(self) -> float:
        """Seconds requests waited for their turn, both buckets together."""
        return sum(bucket.waited for bucket in self._buckets.values())
