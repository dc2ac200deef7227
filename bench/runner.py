"""Processes of one benchmark run: the fake GitHub, then the handler.

The fake runs in its own subprocess (``python -m tests.fake_github``) so that
the handler's child process is measured alone: its wall time from spawn to
exit, its CPU from ``os.wait4`` (that child's own ``rusage``, not the sum of
every child) and its peak RSS as the child itself reads it on exit
(:mod:`bench.child`: ``ru_maxrss`` would carry the benchmark's own peak over).
The fake's CPU time is read from ``/proc`` before and after, to tell whose CPU
a slow run spent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import urllib3

from bench.child import PEAK_FILE_ENV
from bench.generate import ANCHOR_ENV, Settings
from bench.scaled_handler import TIME_SCALE_ENV
from datalogger import registry
from github_client import GitHubClient, GitHubError
from tests.contract import INTERFACE_ENV_VARS
from tests.fake_github.process import FakeProcess, FakeStartError, start_fake_process

ROOT = Path(__file__).resolve().parent.parent
FAKE_START_TIMEOUT = 120.0
FAKE_BUDGET = 10_000_000
# An installation's hourly budgets on github.com (shared/spec/github-api.md).
GITHUB_REST_BUDGET = 5_000
GITHUB_GRAPHQL_BUDGET = 5_000
USER_AGENT = "policy-data-logger-bench"


class BenchError(Exception):
    """The benchmark could not run (not: the run it measured was wrong)."""


def fake_stats(fake: FakeProcess) -> dict[str, Any]:
    """The fake's counters (``GET /_fake/stats``)."""
    http = urllib3.PoolManager(retries=False, timeout=30.0)
    response = http.request("GET", fake.url + "/_fake/stats", headers={"User-Agent": USER_AGENT})
    if response.status != 200:
        raise BenchError(f"GET {fake.url}/_fake/stats answered {response.status}")
    data: dict[str, Any] = json.loads(response.data)
    return data


def bench_env(anchor: int) -> dict[str, str]:
    """This process's environment with the anchor set and the handler's variables removed."""
    # Without the interface's variables: none of the caller's may send the handler
    # to another key, organisation or output.
    env = {key: value for key, value in os.environ.items() if key not in INTERFACE_ENV_VARS}
    env[ANCHOR_ENV] = str(anchor)
    # The same set order in every run: the handler then sends the same batches,
    # which a frozen fake answers from memory the second time.
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def start_fake(
    org_spec: str,
    latency_ms: float,
    workdir: Path,
    env: dict[str, str],
    time_scale: float | None = None,
) -> FakeProcess:
    """Start the fake over ``bench.generate:build(org_spec)``; its stderr goes to ``fake.log``.

    ``time_scale``: serve under the service-time model and GitHub's secondary
    limits, a modelled second lasting ``time_scale`` real seconds.
    """
    log_path = workdir / "fake.log"
    model = (
        []
        if time_scale is None
        else ["--service-model", "--secondary-limits", "--time-scale", str(time_scale)]
    )
    options = [
        *model,
        "--frozen-org",
        "--org-arg",
        org_spec,
        "--latency-ms",
        str(latency_ms),
        # Measure, do not throttle: the points spent are reported against
        # GitHub's real budget (GITHUB_GRAPHQL_BUDGET) instead.
        "--rest-budget",
        str(FAKE_BUDGET),
        "--graphql-budget",
        str(FAKE_BUDGET),
    ]
    try:
        with log_path.open("wb") as log:
            return start_fake_process(
                "bench.generate:build",
                workdir / "app-key.pem",
                options,
                env=env,
                stderr=log,
                timeout=FAKE_START_TIMEOUT,
            )
    except FakeStartError as error:
        tail = log_path.read_text(errors="replace")[-2000:]
        raise BenchError(f"{error}\n{tail}") from error


def warm_up(fake: FakeProcess) -> None:
    """Authenticate and send one small GraphQL query, so that the fake's lazy
    start-up work (schema build) is not charged to the handler's first run."""
    client = GitHubClient(
        org=fake.org,
        app_id=fake.client_id,
        private_key_pem=fake.key_file.read_text(),
        api_url=fake.url,
        pool_size=1,
        user_agent=USER_AGENT,
    )
    try:
        client.authenticate()
        client.graphql("query { rateLimit { cost remaining } }")
    except GitHubError as error:
        raise BenchError(f"the warm-up against the fake GitHub failed: {error}") from error
    finally:
        client.close()


COLLECTIONS = registry.COLLECTIONS


def write_config(
    path: Path, threads: int, settings: Settings, collections: Sequence[str] = COLLECTIONS
) -> None:
    """A config.json (interface.md's shape) for a local run of ``collections``."""
    config = {
        "features": {
            "repository_collection": "repositories" in collections,
            "dependabot_collection": "dependabot" in collections,
            "secret_scanning_collection": "secret_scanning" in collections,
            "show_log_locally": False,
            "write_to_s3": False,
        },
        "settings": {
            "thread_count": threads,
            "dependabot_thresholds": dict(settings.dependabot_thresholds),
            "secret_scanning_threshold": settings.secret_scanning_threshold,
            "secret_scanning_generic_types": list(settings.secret_scanning_generic_types),
            "inactivity_threshold": settings.inactivity_years,
            "signed_commit_number": settings.signed_commit_number,
        },
    }
    path.write_text(json.dumps(config, indent=2) + "\n")


@dataclass
class HandlerRun:
    """One ``python -m handler`` child: how it ended and what it cost."""

    exit_code: int
    wall_seconds: float
    peak_rss_mb: float | None  # None: the child did not report it (killed)
    cpu_seconds: float
    output_dir: Path
    log_file: Path
    timed_out: bool


def run_handler(
    fake: FakeProcess,
    run_dir: Path,
    *,
    threads: int,
    env: dict[str, str],
    timeout: float,
    profile_to: Path | None = None,
    collections: Sequence[str] = COLLECTIONS,
    time_scale: float | None = None,
) -> HandlerRun:
    """Run the handler once against ``fake`` in a child process and measure it.

    ``run_dir`` must be new: the handler's outputs land in ``run_dir/output``,
    so a collection that failed cannot hide behind an earlier run's file.
    """
    output_dir = run_dir / "output"
    output_dir.mkdir(parents=True)
    config_path = run_dir / "config.json"
    write_config(config_path, threads, Settings(), collections)
    child_env = {
        **env,
        "GITHUB_ORG": fake.org,
        "GITHUB_APP_CLIENT_ID": fake.client_id,
        "GITHUB_APP_PRIVATE_KEY_FILE": str(fake.key_file),
        "GITHUB_API_URL": fake.url,
        "WRITE_TO_S3": "false",
        "OUTPUT_DIR": str(output_dir),
        "CONFIG_PATH": str(config_path),
        "THREAD_COUNT": str(threads),
        "LOG_LEVEL": "INFO",
        PEAK_FILE_ENV: str(run_dir / "peak-rss-kb"),
    }
    module = "handler"
    if time_scale is not None:  # the handler counts modelled time like the fake
        module = "bench.scaled_handler"
        child_env[TIME_SCALE_ENV] = str(time_scale)
    command = [sys.executable, "-m", "bench.child", module]
    if profile_to is not None:
        command = [
            *(sys.executable, "-m", "cProfile", "-o", str(profile_to)),
            *("-m", "bench.child", module),
        ]
    log_file = run_dir / "handler.log"
    with log_file.open("wb") as log:
        start = time.monotonic()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, cwd=ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.monotonic() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return HandlerRun(
        exit_code=process.returncode,
        wall_seconds=wall,
        peak_rss_mb=reported_peak_rss_mb(Path(child_env[PEAK_FILE_ENV])),
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        output_dir=output_dir,
        log_file=log_file,
        timed_out=timed_out.is_set(),
    )


def reported_peak_rss_mb(path: Path) -> float | None:
    """The peak RSS the handler's child wrote on exit (kB in ``path``), in MB."""
    try:
        return int(path.read_text().strip()) / 1024.0
    except (OSError, ValueError):
        return None


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process (Linux ``/proc``), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def process_peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size of a live process (``VmHWM``), else None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def phase_seconds(log_file: Path) -> dict[str, float]:
    """Seconds per phase from the handler's JSON log lines (missing phases left out).

    ``inventory``: from ``run started`` to ``repository inventory listed``
    (authentication included); one entry per collection from its ``collection
    succeeded`` line; ``run``: from ``run started`` to ``run finished``.
    """
    times: dict[str, datetime] = {}
    phases: dict[str, float] = {}
    for line in log_file.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
            moment = datetime.fromisoformat(str(record["timestamp"]).replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError):
            continue
        message = record.get("message")
        if message in ("run started", "repository inventory listed", "run finished"):
            times.setdefault(str(message), moment)
        elif message == "collection succeeded" and isinstance(record.get("seconds"), int | float):
            phases[str(record.get("collection"))] = float(record["seconds"])
    start = times.get("run started")
    if start is not None:
        for phase, message in (
            ("inventory", "repository inventory listed"),
            ("run", "run finished"),
        ):
            if message in times:
                phases[phase] = (times[message] - start).total_seconds()
    return phases


def read_outputs(output_dir: Path) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(run_summary.json or None, {dataset name: records or None})."""
    summary_path = output_dir / "run_summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
    datasets: dict[str, Any] = {}
    for name in COLLECTIONS:
        path = output_dir / f"{name}.json"
        datasets[name] = json.loads(path.read_text()) if path.exists() else None
    return summary, datasets
