"""``python -m bench.scaled_handler``: ``python -m handler`` on a clock scaled like the fake's.

Under the fake's service-time model with ``--time-scale S`` a modelled second
lasts ``S`` real seconds. The handler must count time the same way, or its
pacing under GitHub's per-minute limits would be ``1/S`` times too slow: this
entry point runs the same :func:`handler.run` as ``python -m handler`` with a
clock whose ``monotonic`` and ``sleep`` are scaled by ``S`` (from
``BENCH_TIME_SCALE``). Epoch time (``time()``) is left real, because the App's
JWT and tokens are checked against the fake's real clock. The handler's own CPU
time is *not* scaled: it is spent in real time, so a modelled wall time
computed as ``real wall / S`` charges it ``1/S`` times over (a pessimistic
figure whenever the handler is CPU-bound).
"""

from __future__ import annotations

import os
import sys
import time

from datalogger.errors import ConfigError
from handler import Services, run

TIME_SCALE_ENV = "BENCH_TIME_SCALE"


class ScaledClock:
    """Monotonic time and sleeps in modelled seconds (real seconds / ``scale``)."""

    def __init__(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError(f"{TIME_SCALE_ENV} must be positive, got {scale}")
        self.scale = scale

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic() / self.scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds * self.scale)


def main() -> int:
    """One local run, exit status as ``python -m handler``'s."""
    clock = ScaledClock(float(os.environ.get(TIME_SCALE_ENV, "1")))
    try:
        run({}, None, Services(env=os.environ, clock=clock))
    except ConfigError:
        return 2
    except Exception:  # noqa: BLE001 - the process boundary: the exit status is the report
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
