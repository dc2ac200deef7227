"""``python -m bench.child MODULE [ARGS]``: run ``MODULE`` as ``__main__``, then write this
process's own peak RSS to the file named by ``BENCH_PEAK_RSS_FILE``.

Why not ``ru_maxrss`` from ``os.wait4``: Linux keeps the larger of the parent's and
the child's high-water marks across ``exec`` (``subprocess`` starts children with
``vfork``, so the mark carried over is the benchmark's own, which holds the
generated organisation and the datasets it verifies). A child of a 300 MB parent
reports about 300 MB whatever it does. ``VmHWM`` in ``/proc/self/status`` belongs
to the memory map ``exec`` gave this process: the handler's own peak alone.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

PEAK_FILE_ENV = "BENCH_PEAK_RSS_FILE"


def own_peak_rss_kb(status: Path = Path("/proc/self/status")) -> int | None:
    """``VmHWM`` of this process in kB (Linux), else None."""
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def write_own_peak(path: str | None) -> None:
    """Write this process's peak RSS in kB to ``path`` (nothing when unknown or no path)."""
    peak = own_peak_rss_kb()
    if path and peak is not None:
        Path(path).write_text(f"{peak}\n")


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m bench.child MODULE [ARGS]")
    sys.argv = list(argv)
    try:
        runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
    finally:  # SystemExit included: the module's exit status stays the process's
        write_own_peak(os.environ.get(PEAK_FILE_ENV))


if __name__ == "__main__":
    main(sys.argv[1:])
