"""Time as a dependency: the client never calls ``time`` or ``sleep`` directly.

Production uses :data:`SYSTEM_CLOCK`. Tests and the benchmark use
:class:`ManualClock`, whose ``sleep`` advances time instantly, so a test can
wait out an hour-long rate-limit reset in no real time and assert the waits.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """The three time functions the client needs."""

    def time(self) -> float:
        """Wall-clock time, epoch seconds (compared with GitHub's reset times)."""
        ...

    def monotonic(self) -> float:
        """Monotonic seconds, for measuring durations."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds``."""
        ...


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()


class ManualClock:
    """A thread-safe clock that only moves when told to, or when slept on.

    ``sleep`` returns at once after advancing the clock and recording the
    requested duration in :attr:`sleeps`.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._lock = threading.Lock()
        self._now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.time()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
