"""Staying inside GitHub's secondary limits instead of tripping them.

GitHub documents three secondary limits a client can count for itself ("About
secondary rate limits"): no more than 100 concurrent requests (REST and
GraphQL together), no more than 900 points a minute for REST (a GET costs 1
point, a POST/PATCH/PUT/DELETE 5) and 2,000 a minute for GraphQL (1 point a
query without a mutation). Tripping one costs a minute's wait at least, so the
client paces itself below them:

- a semaphore holds the requests in flight at ``max_in_flight``;
- one sliding window per API gives every request a send time such that no
  60 s hold more than ``per_minute`` points: 850 REST and 1,900 GraphQL by
  default, 50 and 100 below GitHub's limits, room for requests that reach
  GitHub a little later or earlier than they were sent. A short run sends its
  pages at once; a long one settles at the limit's pace.

A request reserves its send time when it is about to be sent and waits (on the
injected clock) until then; send times are handed out in the order requests
asked, so a long listing cannot starve a short one.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from .clock import Clock


@dataclass(frozen=True)
class PaceLimits:
    """How fast and how wide the client may go (GitHub's limits minus a margin)."""

    max_in_flight: int = 100
    rest_per_minute: int = 850
    graphql_per_minute: int = 1900
    window_seconds: float = 60.0

    def __post_init__(self) -> None:
        for name in ("max_in_flight", "rest_per_minute", "graphql_per_minute"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {self.window_seconds}")


def request_points(method: str, graphql: bool) -> int:
    """GitHub's secondary-limit points of one request (the client sends no mutations)."""
    if graphql:
        return 1
    return 1 if method.upper() in ("GET", "HEAD", "OPTIONS") else 5


class SlidingWindow:
    """Send times such that no ``window`` seconds hold more than ``limit`` points.

    The k-th point may go at ``max(now, time of point k - limit + window)``:
    any ``limit + 1`` consecutive points then span at least ``window`` seconds.
    """

    def __init__(self, clock: Clock, limit: int, window: float) -> None:
        self._clock = clock
        self._limit = limit
        self._window = window
        self._sent: deque[float] = deque(maxlen=limit)  # the last ``limit`` points' times
        self._lock = threading.Lock()
        self.waited = 0.0  # total seconds callers waited, for the run's figures

    def reserve(self, points: int) -> float:
        """Reserve ``points`` at the earliest allowed time; the seconds to wait for it."""
        with self._lock:
            now = self._clock.monotonic()
            at = now
            for _ in range(points):
                if len(self._sent) == self._limit:
                    at = max(at, self._sent[0] + self._window)
                self._sent.append(at)
            wait = at - now
            self.waited += wait
            return wait


class Pacer:
    """The client's governor: a slot in flight, then the window's turn."""

    def __init__(self, clock: Clock, limits: PaceLimits) -> None:
        self.limits = limits
        self._clock = clock
        self._in_flight = threading.BoundedSemaphore(limits.max_in_flight)
        window = limits.window_seconds
        self._windows = {
            "rest": SlidingWindow(clock, limits.rest_per_minute, window),
            "graphql": SlidingWindow(clock, limits.graphql_per_minute, window),
        }

    def acquire(self, bucket: str, points: int) -> None:
        """Block until a request of ``points`` may be sent; pair with :meth:`release`."""
        self._in_flight.acquire()
        wait = self._windows[bucket].reserve(points)
        if wait > 0:
            self._clock.sleep(wait)

    def release(self) -> None:
        self._in_flight.release()

    def waited(self) -> float:
        """Seconds requests waited for their turn, both APIs together."""
        return sum(window.waited for window in self._windows.values())
