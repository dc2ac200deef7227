"""Primary rate-limit buckets ("core" for REST, "graphql" for points)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BucketState:
    """What the ``x-ratelimit-*`` headers and ``rateLimit`` report."""

    resource: str
    limit: int
    remaining: int
    used: int
    reset: int  # epoch seconds, as reported (skew included)

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-resource": self.resource,
        }


class Bucket:
    """A budget that refills when its window ends.

    ``limit`` and the window length are read from callables on every use, so
    tests can change ``fake.faults`` between phases.
    """

    def __init__(
        self,
        resource: str,
        now: Callable[[], float],
        limit: Callable[[], int],
        window: Callable[[], float],
        skew: Callable[[], float],
    ) -> None:
        self.resource = resource
        self._now = now
        self._limit = limit
        self._window = window
        self._skew = skew
        self._lock = threading.Lock()
        self._used = 0
        self._reset_at: float | None = None

    def _roll_window(self) -> None:
        now = self._now()
        if self._reset_at is None or now >= self._reset_at:
            self._used = 0
            self._reset_at = now + self._window()

    def _state(self) -> BucketState:
        limit = self._limit()
        assert self._reset_at is not None
        return BucketState(
            resource=self.resource,
            limit=limit,
            remaining=max(limit - self._used, 0),
            used=self._used,
            reset=int(self._reset_at + self._skew()),
        )

    def peek(self) -> BucketState:
        """The current state, without spending anything."""
        with self._lock:
            self._roll_window()
            return self._state()

    def try_spend(self, points: int) -> tuple[bool, BucketState]:
        """Atomically spend ``points`` if that many remain; (spent?, state after)."""
        with self._lock:
            self._roll_window()
            if self._limit() - self._used < points:
                return False, self._state()
            self._used += points
            return True, self._state()
