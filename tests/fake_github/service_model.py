"""An opt-in model of GitHub's service time, and GitHub's secondary limits.

Off by default: the fake then answers as fast as it can (plus ``Faults.latency``).
With a :class:`ServiceModel` the fake answers each request no sooner than its
*modelled* service time after it arrived:

- REST: ``rest_base`` + ``rest_per_item`` per item of a list answer; the alert
  listings (Dependabot, secret scanning) use the slower ``alert_base`` and
  ``alert_per_item``.
- GraphQL: ``graphql_base`` + ``graphql_per_node`` per node of GitHub's own
  estimate (the product of nested ``first`` values, summed over connections:
  what the 500,000-node limit counts). A query whose modelled time exceeds
  ``graphql_timeout`` (GitHub's 10 s) is answered 502 after that timeout.

The fake's own CPU time counts *inside* the modelled time: it sleeps only what
is left of it after computing the answer, so a modelled run is not slowed by
the fake being Python (unless the fake falls behind: an answer that was ready
only after its modelled time counts as *late* in the stats).

Modelled time can run faster than real time: with ``time_scale`` 0.1 a
modelled second lasts 0.1 real seconds (the fake sleeps ``modelled x 0.1``).
Everything that counts time in the model — service times, the one-minute
windows of the secondary limits — uses the same :class:`ModelClock`, and a
client measured against it must use the same scale (the benchmark runs the
handler with a clock scaled alike).

Why these numbers (docs/performance.md has the long form): GitHub answers a
100-item REST page in roughly 0.3 to 1 s; the defaults give 0.55 s
(0.15 + 100 x 4 ms) for a repository or member page and 1.0 s
(0.3 + 100 x 7 ms) for an alert page, the slowest listings. A GraphQL batch
of 50 repositories' facts estimates 10,800 nodes: 0.3 + 10,800 x 0.2 ms =
2.5 s, "a heavy batch takes seconds"; 10 s, GitHub's documented timeout, is
reached at about 48,500 nodes (some 220 repositories in one query).

Secondary limits (GitHub's documentation, "About secondary rate limits"):
no more than 100 concurrent requests (REST and GraphQL together); no more
than 900 points a minute for REST (GET/HEAD/OPTIONS 1 point, other methods
5) and 2,000 a minute for GraphQL (1 point a query, 5 with a mutation). With
:class:`SecondaryLimits` the fake answers the excess with GitHub's secondary
limit (403 + ``retry-after``) and counts every trip in its stats.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

REST_ROUTES_WITH_ALERTS = frozenset({"dependabot_alerts", "secret_scanning_alerts"})


class ModelTime(Protocol):
    """The modelled clock: monotonic seconds and a sleep, both in modelled time."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class ModelClock:
    """Modelled seconds = real seconds / ``time_scale``; sleeping is scaled alike."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {time_scale}")
        self.time_scale = time_scale
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) / self.time_scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds * self.time_scale)


@dataclass(frozen=True)
class ServiceModel:
    """Modelled seconds per request (see the module docstring for the reasoning)."""

    rest_base: float = 0.15
    rest_per_item: float = 0.004
    alert_base: float = 0.3
    alert_per_item: float = 0.007
    graphql_base: float = 0.3
    graphql_per_node: float = 0.0002
    graphql_timeout: float = 10.0

    def rest_seconds(self, route: str, items: int) -> float:
        """A REST answer of ``items`` list items (0 for a single object)."""
        if route in REST_ROUTES_WITH_ALERTS:
            return self.alert_base + self.alert_per_item * items
        return self.rest_base + self.rest_per_item * items

    def graphql_seconds(self, nodes: int) -> float:
        """A GraphQL query whose estimate is ``nodes`` (uncapped: compare with the timeout)."""
        return self.graphql_base + self.graphql_per_node * nodes

    def times_out(self, nodes: int) -> bool:
        return self.graphql_seconds(nodes) > self.graphql_timeout


@dataclass(frozen=True)
class SecondaryLimits:
    """GitHub's documented secondary limits, enforced by the fake when set."""

    max_concurrent: int = 100
    rest_points_per_minute: int = 900
    graphql_points_per_minute: int = 2000
    window_seconds: float = 60.0


def request_points(method: str, *, graphql: bool) -> int:
    """Secondary-limit points of one request (GitHub's table; the fake has no mutations)."""
    if graphql:
        return 1
    return 1 if method in ("GET", "HEAD", "OPTIONS") else 5


class PointsWindow:
    """Points spent in the last ``window`` modelled seconds (a sliding log)."""

    def __init__(self, clock: ModelTime, limit: int, window: float) -> None:
        self._clock = clock
        self._limit = limit
        self._window = window
        self._log: deque[tuple[float, int]] = deque()
        self._spent = 0
        self._lock = threading.Lock()
        self.peak = 0

    def try_spend(self, points: int) -> bool:
        """Spend ``points`` now unless that would exceed the limit in the window."""
        with self._lock:
            now = self._clock.monotonic()
            while self._log and self._log[0][0] <= now - self._window:
                self._spent -= self._log.popleft()[1]
            if self._spent + points > self._limit:
                return False
            self._log.append((now, points))
            self._spent += points
            self.peak = max(self.peak, self._spent)
            return True
