"""Thread-safe counters of what the fake GitHub was asked."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, NamedTuple


class LoggedRequest(NamedTuple):
    """One answered request; compares equal to a plain 4-tuple."""

    method: str
    route: str  # route name (see faults.ROUTE_NAMES), or "unknown"
    path: str  # request target as sent, query string included
    status: int


class FakeStats:
    """Counters a test reads after driving the client.

    ``total``: every request (``/_fake/`` excluded); ``rest`` / ``graphql``: by
    API; ``by_route``: Counter of route names; ``tokens_issued``;
    ``graphql_points`` (cost charged); ``peak_concurrency``; ``log``: list of
    :class:`LoggedRequest` in answer order. Read them directly, or take a
    consistent copy with :meth:`snapshot`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.rest = 0
        self.graphql = 0
        self.by_route: Counter[str] = Counter()
        self.tokens_issued = 0
        self.graphql_points = 0
        self.peak_concurrency = 0
        self.in_flight = 0
        self.log: list[LoggedRequest] = []

    def reset(self) -> None:
        with self._lock:
            self.total = self.rest = self.graphql = 0
            self.by_route = Counter()
            self.tokens_issued = self.graphql_points = 0
            self.peak_concurrency = self.in_flight
            self.log = []

    def enter(self) -> int:
        """Count a request in flight; returns how many are in flight now."""
        with self._lock:
            self.in_flight += 1
            self.peak_concurrency = max(self.peak_concurrency, self.in_flight)
            return self.in_flight

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def record(self, method: str, route: str, path: str, status: int) -> None:
        with self._lock:
            self.total += 1
            if route == "graphql":
                self.graphql += 1
            else:
                self.rest += 1
            self.by_route[route] += 1
            self.log.append(LoggedRequest(method, route, path, status))

    def add_token(self) -> None:
        with self._lock:
            self.tokens_issued += 1

    def add_graphql_points(self, points: int) -> None:
        with self._lock:
            self.graphql_points += points

    def routes(self) -> list[str]:
        """Route names of the logged requests, in order."""
        with self._lock:
            return [entry.route for entry in self.log]

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of every counter (what ``GET /_fake/stats`` answers)."""
        with self._lock:
            return {
                "total": self.total,
                "rest": self.rest,
                "graphql": self.graphql,
                "by_route": dict(self.by_route),
                "tokens_issued": self.tokens_issued,
                "graphql_points": self.graphql_points,
                "peak_concurrency": self.peak_concurrency,
                "in_flight": self.in_flight,
                "log": [list(entry) for entry in self.log],
            }
