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
        self._model_fields()

    def _model_fields(self) -> None:
        # The service-time model (all zero when it is off), in modelled seconds.
        self.service_seconds = 0.0
        self.service_by_route: dict[str, float] = {}
        self.late = 0  # answers the fake computed only after their modelled time
        self.late_seconds = 0.0
        self.late_by_route: dict[str, float] = {}
        self.graphql_timeouts = 0
        # Secondary limits tripped, by kind: concurrency, rest_points, graphql_points.
        self.secondary_trips: Counter[str] = Counter()
        self.peak_rest_points = 0
        self.peak_graphql_points = 0

    def reset(self) -> None:
        with self._lock:
            self.total = self.rest = self.graphql = 0
            self.by_route = Counter()
            self.tokens_issued = self.graphql_points = 0
            self.peak_concurrency = self.in_flight
            self.log = []
            self._model_fields()

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

    def add_service(self, route: str, seconds: float, late_by: float) -> None:
        """One answer's modelled service time; ``late_by`` > 0 when the fake was slower."""
        with self._lock:
            self.service_seconds += seconds
            self.service_by_route[route] = self.service_by_route.get(route, 0.0) + seconds
            if late_by > 0:
                self.late += 1
                self.late_seconds += late_by
                self.late_by_route[route] = self.late_by_route.get(route, 0.0) + late_by

    def add_secondary_trip(self, kind: str) -> None:
        with self._lock:
            self.secondary_trips[kind] += 1

    def add_graphql_timeout(self) -> None:
        with self._lock:
            self.graphql_timeouts += 1

    def note_points(self, rest_peak: int, graphql_peak: int) -> None:
        with self._lock:
            self.peak_rest_points = max(self.peak_rest_points, rest_peak)
            self.peak_graphql_points = max(self.peak_graphql_points, graphql_peak)

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
                "service_seconds": round(self.service_seconds, 6),
                "service_by_route": {k: round(v, 6) for k, v in self.service_by_route.items()},
                "late": self.late,
                "late_seconds": round(self.late_seconds, 6),
                "late_by_route": {k: round(v, 6) for k, v in self.late_by_route.items()},
                "graphql_timeouts": self.graphql_timeouts,
                "secondary_trips": dict(self.secondary_trips),
                "peak_rest_points": self.peak_rest_points,
                "peak_graphql_points": self.peak_graphql_points,
            }
