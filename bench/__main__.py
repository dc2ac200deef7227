"""``python -m bench``: requests, wall time and memory of one run at organisation scale.

For each ``--repos`` value: start the fake GitHub over ``bench.generate:build``
in a subprocess, warm it up, run ``python -m handler`` against it in a child
(local output, ``--threads`` threads) ``--repeat`` times, read the fake's
counters, check the datasets against the generator's expectations, and print
one table plus the requests by route. Exit status 1 when a run failed, a
dataset differs from the expected one, or (``--smoke``) the request budget is
exceeded; 2 when the benchmark itself could not run.

    make bench                                          # N=2000, 50 ms latency
    make bench BENCH_ARGS="--repos 200,2000,10000 --json bench/results/all.json"
    make bench BENCH_ARGS="--repos 200 --latency-ms 0 --smoke"   # CI
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.generate import AlertCounts, GeneratedOrg, Settings, expected, generate
from bench.lower_bound import lower_bound
from bench.proxy import CountingProxy
from bench.runner import (
    COLLECTIONS,
    GITHUB_GRAPHQL_BUDGET,
    GITHUB_REST_BUDGET,
    BenchError,
    HandlerRun,
    bench_env,
    fake_stats,
    phase_seconds,
    process_cpu_seconds,
    process_peak_rss_mb,
    read_outputs,
    run_handler,
    start_fake,
    warm_up,
)
from bench.verify import Comparison, compare
from tests.fake_github.process import FakeProcess

BUDGET_PER_ACTIVE_REPO = 0.15
MAX_MISMATCHES_SHOWN = 40
# bench.generate keeps every time-dependent case this far from its boundary.
ANCHOR_MARGIN = timedelta(minutes=30)


@dataclass
class RunResult:
    """One handler run's figures (the table's row)."""

    repos: int
    run: int
    latency_ms: float
    threads: int
    exit_code: int
    wall_s: float
    handler_cpu_s: float
    fake_cpu_s: float | None
    rest: int
    graphql: int
    requests: int
    per_active_repo: float
    graphql_points: int
    retries: int | None
    peak_rss_mb: float | None
    fake_peak_rss_mb: float | None
    summary_status: str | None
    exact: bool
    load_average: float
    by_route: dict[str, int]
    model: ModelFigures | None = None
    summary_api: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    mismatch_kinds: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@dataclass
class ModelFigures:
    """A run under the service-time model, in modelled seconds."""

    time_scale: float
    wall_s: float  # the run's real wall time (run started to finished) / time_scale
    lower_bound_s: float
    critical: str  # the term of the lower bound that sets it
    chains: dict[str, float]
    rates: dict[str, float]
    width_s: float
    service_s: float  # modelled service time of every answer, summed
    late: int  # answers the fake computed only after their modelled time
    late_s: float
    late_by_route: dict[str, float]
    secondary_trips: dict[str, int]
    graphql_timeouts: int
    peak_rest_points: int
    peak_graphql_points: int
    peak_concurrency: int
    process_wall_s: float = 0.0  # the handler process from spawn to exit / time_scale

    @property
    def ratio(self) -> float:
        return self.wall_s / self.lower_bound_s if self.lower_bound_s else float("inf")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--repos",
        default="2000",
        help="active repositories; a comma-separated list runs each size (default 2000)",
    )
    parser.add_argument("--latency-ms", type=float, default=50.0, help="fake's latency per request")
    parser.add_argument(
        "--threads", type=int, default=40, help="handler thread_count (default 40, as config.json)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="handler runs per size against the same fake (default 2: the first also pays "
        "the fake's one-time GraphQL validation of each query text)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"fail unless requests per active repository <= {BUDGET_PER_ACTIVE_REPO} "
        "and every dataset is exact",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per handler run")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--profile", action="store_true", help="run the handler under cProfile and print the top"
    )
    parser.add_argument(
        "--classify",
        action="store_true",
        help="route the handler through a counting proxy to split GraphQL requests by "
        "operation (adds one local hop per request: use for the breakdown, not for timing)",
    )
    parser.add_argument(
        "--collections",
        default=",".join(COLLECTIONS),
        help="collections to enable, comma-separated (default all three); to time one alone",
    )
    parser.add_argument(
        "--github-sized-alerts",
        action="store_true",
        help="pad every alert the fake sends to GitHub's real size (~7 kB of JSON) through the "
        "proxy, to measure memory against realistic pages (implies the proxy's extra hop)",
    )
    parser.add_argument(
        "--model",
        action="store_true",
        help="serve under the fake's GitHub-like service-time model and enforce GitHub's "
        "secondary limits; report modelled wall time beside the computed lower bound",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.25,
        help="with --model: real seconds per modelled second (default 0.25: four times faster "
        "than GitHub)",
    )
    parser.add_argument(
        "--dependabot-alerts",
        type=int,
        help="open Dependabot alerts in the organisation (default: about 1.2 per repository)",
    )
    parser.add_argument(
        "--secret-alerts",
        type=int,
        help="open secret scanning alerts (default: about 0.4 per repository)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(part) for part in str(args.repos).split(",") if part.strip()]
    except ValueError:
        parser.error(f"--repos must be integers separated by commas, got {args.repos!r}")
    args.enabled = [part.strip() for part in str(args.collections).split(",") if part.strip()]
    if not args.enabled or set(args.enabled) - set(COLLECTIONS):
        parser.error(f"--collections must name some of {', '.join(COLLECTIONS)}")
    if not args.sizes or min(args.sizes) < 1 or args.repeat < 1 or args.threads < 1:
        parser.error("--repos, --repeat and --threads must be at least 1")
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    if args.model and (args.classify or args.github_sized_alerts):
        parser.error("--model times the handler: it cannot go through the counting proxy")
    args.alerts = AlertCounts(args.dependabot_alerts, args.secret_alerts)
    return args


def _delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    routes = Counter(after.get("by_route", {}))
    routes.subtract(before.get("by_route", {}))
    trips = Counter(after.get("secondary_trips", {}))
    trips.subtract(before.get("secondary_trips", {}))
    counts = (
        "total",
        "rest",
        "graphql",
        "graphql_points",
        "tokens_issued",
        "late",
        "graphql_timeouts",
    )
    return (
        {key: int(after.get(key, 0)) - int(before.get(key, 0)) for key in counts}
        | {
            key: float(after.get(key, 0.0)) - float(before.get(key, 0.0))
            for key in ("service_seconds", "late_seconds")
        }
        | {
            # Peaks since the fake started (the warm-up adds nothing near them).
            key: int(after.get(key, 0))
            for key in ("peak_rest_points", "peak_graphql_points", "peak_concurrency")
        }
        | {"by_route": {route: count for route, count in sorted(routes.items()) if count}}
        | {"secondary_trips": {kind: count for kind, count in trips.items() if count}}
        | {"late_by_route": _float_delta(after, before, "late_by_route")}
    )


def _float_delta(after: dict[str, Any], before: dict[str, Any], key: str) -> dict[str, float]:
    old = before.get(key, {})
    return {
        name: round(value - old.get(name, 0.0), 3)
        for name, value in after.get(key, {}).items()
        if value - old.get(name, 0.0) > 0
    }


def _started_at(summary: dict[str, Any] | None, fallback: datetime) -> datetime:
    if summary and isinstance(summary.get("started_at"), str):
        return datetime.fromisoformat(summary["started_at"].replace("Z", "+00:00"))
    return fallback


def measure(
    n: int, args: argparse.Namespace, workdir: Path
) -> tuple[list[RunResult], list[Comparison]]:
    """Every run of one size: start the fake, run the handler, verify, stop the fake."""
    anchor = int(time.time())
    env = bench_env(anchor)
    generated = generate(n, datetime.fromtimestamp(anchor, tz=UTC), args.alerts)
    results: list[RunResult] = []
    comparisons: list[Comparison] = []
    scale = args.time_scale if args.model else None
    spec = args.alerts.spec(n)
    with start_fake(spec, args.latency_ms, workdir, env, time_scale=scale) as fake:
        warm_up(fake)
        for run in range(1, args.repeat + 1):
            run_dir = workdir / f"run-{run}"
            profile_to = run_dir.with_suffix(".prof") if args.profile else None
            result, comparison = _one_run(
                fake, generated, run_dir, run=run, args=args, env=env, profile_to=profile_to
            )
            results.append(result)
            comparisons.append(comparison)
            if profile_to is not None:
                _print_profile(profile_to)
        violations = fake.contract_violations()
    if violations and results:  # the fake checks every REST call against GitHub's description
        results[-1].failures += [
            f"N={n}: REST contract: {v['method']} {v['target']}: {v['message']}"
            for v in violations[:20]
        ]
    return results, comparisons


def _one_run(
    fake: FakeProcess,
    generated: GeneratedOrg,
    run_dir: Path,
    *,
    run: int,
    args: argparse.Namespace,
    env: dict[str, str],
    profile_to: Path | None,
) -> tuple[RunResult, Comparison]:
    n = sum(1 for plan in generated.plans.values() if not plan.archived)
    proxied = args.classify or args.github_sized_alerts
    proxy = CountingProxy(fake.url, args.github_sized_alerts).start() if proxied else None
    target = replace(fake, url=proxy.url) if proxy else fake
    before, cpu_before = fake_stats(fake), process_cpu_seconds(fake.process.pid)
    load_average = os.getloadavg()[0]
    try:
        handler = run_handler(
            target,
            run_dir,
            threads=args.threads,
            env=env,
            timeout=args.timeout,
            profile_to=profile_to,
            collections=args.enabled,
            time_scale=args.time_scale if args.model else None,
        )
    finally:
        if proxy:
            proxy.stop()
    after, cpu_after = fake_stats(fake), process_cpu_seconds(fake.process.pid)
    delta = _delta(after, before)
    if proxy:
        delta["by_route"] |= proxy.snapshot()
    summary, datasets = read_outputs(handler.output_dir)
    now = _started_at(summary, generated.anchor)
    if now - generated.anchor > ANCHOR_MARGIN:
        print(
            f"note: N={n} run {run} started {now - generated.anchor} after the organisation's "
            f"anchor; boundary cases are only {ANCHOR_MARGIN} wide (use fewer --repeat)"
        )
    wanted = expected(generated.org, now, Settings())
    comparison = compare(wanted, datasets, generated.plans, args.enabled)
    fake_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    api = (summary or {}).get("api") or {}
    result = RunResult(
        repos=n,
        run=run,
        latency_ms=args.latency_ms,
        threads=args.threads,
        exit_code=handler.exit_code,
        wall_s=handler.wall_seconds,
        handler_cpu_s=handler.cpu_seconds,
        fake_cpu_s=fake_cpu,
        rest=delta["rest"],
        graphql=delta["graphql"],
        requests=delta["total"],
        per_active_repo=delta["total"] / n,
        graphql_points=delta["graphql_points"],
        retries=api.get("retries"),
        peak_rss_mb=handler.peak_rss_mb,
        fake_peak_rss_mb=process_peak_rss_mb(fake.process.pid),
        summary_status=(summary or {}).get("status"),
        exact=comparison.exact,
        load_average=load_average,
        by_route=delta["by_route"],
        summary_api={key: value for key, value in api.items() if isinstance(value, int)},
        phases=phase_seconds(handler.log_file),
        mismatch_kinds=dict(comparison.kinds),
    )
    if args.model:
        # The invocation's own time ("run started" to "run finished"), as Lambda
        # bills it; the interpreter's start and imports come before it.
        run_seconds = result.phases.get("run", handler.wall_seconds)
        result.model = _model_figures(generated, run_seconds, delta, args.time_scale)
        result.model.process_wall_s = handler.wall_seconds / args.time_scale
        result.phases = _modelled_phases(result.phases, args.time_scale)
    result.failures = _failures(result, handler, args)
    if result.failures:
        _print_log_tail(handler)
    return result, comparison


def _model_figures(
    generated: GeneratedOrg, wall_seconds: float, delta: dict[str, Any], scale: float
) -> ModelFigures:
    bound = lower_bound(generated.org)
    return ModelFigures(
        time_scale=scale,
        wall_s=wall_seconds / scale,
        lower_bound_s=bound.seconds,
        critical=bound.critical,
        chains=bound.chains,
        rates=bound.rates,
        width_s=bound.width,
        service_s=float(delta["service_seconds"]),
        late=int(delta["late"]),
        late_s=float(delta["late_seconds"]),
        late_by_route=dict(delta["late_by_route"]),
        secondary_trips=dict(delta["secondary_trips"]),
        graphql_timeouts=int(delta["graphql_timeouts"]),
        peak_rest_points=int(delta["peak_rest_points"]),
        peak_graphql_points=int(delta["peak_graphql_points"]),
        peak_concurrency=int(delta["peak_concurrency"]),
    )


def _modelled_phases(phases: dict[str, float], scale: float) -> dict[str, float]:
    """Log-timestamp phases (real seconds) to modelled ones; collection durations already
    are (the handler measures them on its scaled clock)."""
    return {
        name: seconds / scale if name in ("inventory", "run") else seconds
        for name, seconds in phases.items()
    }


def _failures(result: RunResult, handler: HandlerRun, args: argparse.Namespace) -> list[str]:
    where = f"N={result.repos} run {result.run}"
    failures = []
    if handler.timed_out:
        failures.append(f"{where}: the handler did not finish within {args.timeout:.0f} s")
    elif result.exit_code != 0:
        failures.append(f"{where}: the handler exited with status {result.exit_code}")
    if not result.exact:
        failures.append(f"{where}: datasets differ from the expected ones")
    failures += [f"{where}: {problem}" for problem in _summary_disagreements(result)]
    if result.model is not None and result.model.secondary_trips:
        failures.append(
            f"{where}: tripped GitHub's secondary limits {result.model.secondary_trips}"
        )
    if args.smoke and result.per_active_repo > BUDGET_PER_ACTIVE_REPO:
        failures.append(
            f"{where}: {result.per_active_repo:.3f} requests per active repository "
            f"> budget {BUDGET_PER_ACTIVE_REPO}"
        )
    return failures


def _summary_disagreements(result: RunResult) -> list[str]:
    """run_summary.json's api counts against what the fake answered (no faults: equal)."""
    if not result.summary_api or result.retries:
        return []
    answered = {
        "rest_requests": result.rest,
        "graphql_requests": result.graphql,
        "graphql_points": result.graphql_points,
    }
    return [
        f"run_summary.json api.{key} is {result.summary_api[key]}, the fake answered {count}"
        for key, count in answered.items()
        if key in result.summary_api and result.summary_api[key] != count
    ]


def _print_log_tail(handler: HandlerRun) -> None:
    lines = handler.log_file.read_text(errors="replace").splitlines()
    print(f"--- last lines of {handler.log_file}")
    for line in lines[-15:]:
        print(line[:400])


def _print_profile(path: Path) -> None:
    if not path.exists():
        print(f"no profile written to {path}")
        return
    print(f"--- handler profile ({path}), top 25 by cumulative time")
    stats = pstats.Stats(str(path), stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(25)
    print("--- top 20 by own time")
    stats.sort_stats("tottime").print_stats(20)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(results: list[RunResult]) -> None:
    header = (
        "N",
        "run",
        "wall s",
        "REST",
        "GraphQL",
        "req/active repo",
        "GraphQL points",
        "retries",
        "peak RSS MB",
        "handler CPU s",
        "fake CPU s",
        "load",
        "datasets",
    )
    rows = [
        (
            str(r.repos),
            str(r.run),
            _fmt(r.wall_s, 2),
            str(r.rest),
            str(r.graphql),
            _fmt(r.per_active_repo, 3),
            str(r.graphql_points),
            "-" if r.retries is None else str(r.retries),
            _fmt(r.peak_rss_mb),
            _fmt(r.handler_cpu_s, 2),
            _fmt(r.fake_cpu_s, 2),
            _fmt(r.load_average, 1),
            "exact" if r.exact else "DIFFER",
        )
        for r in results
    ]
    _print_rows(header, rows)
    print()
    print("Seconds per phase (handler log; inventory includes authentication;")
    print("the three collections run side by side after it)")
    phases = ("inventory", "repositories", "dependabot", "secret_scanning", "run")
    _print_rows(
        ("phase", *(f"N={r.repos}#{r.run}" for r in results)),
        [(phase, *(_fmt(r.phases.get(phase), 2) for r in results)) for phase in phases],
    )
    routes = sorted({route for r in results for route in r.by_route})
    print()
    print("Requests by route")
    _print_rows(
        ("route", *(f"N={r.repos}#{r.run}" for r in results)),
        [(route, *(str(r.by_route.get(route, 0)) for r in results)) for route in routes],
    )


def _print_rows(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print("  ".join(cell.rjust(width) for cell, width in zip(header, widths, strict=True)))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def print_model(results: list[RunResult]) -> None:
    """Modelled wall time beside the lower bound, and what the fake saw of the limits."""
    modelled = [r for r in results if r.model is not None]
    if not modelled:
        return
    print()
    print("Under the service-time model (modelled seconds = real seconds / time scale)")
    header = (
        "N",
        "run",
        "scale",
        "wall s",
        "process s",
        "lower bound s",
        "ratio",
        "bound set by",
        "late answers",
        "2ndary trips",
        "peak REST pts/min",
        "peak GraphQL pts/min",
        "peak concurrent",
        "GraphQL 502",
    )
    rows = []
    for r in modelled:
        m = r.model
        assert m is not None
        rows.append(
            (
                str(r.repos),
                str(r.run),
                _fmt(m.time_scale, 2),
                _fmt(m.wall_s, 1),
                _fmt(m.process_wall_s, 1),
                _fmt(m.lower_bound_s, 1),
                _fmt(m.ratio, 2),
                m.critical,
                f"{m.late} ({m.late_s:.1f} s)",
                str(sum(m.secondary_trips.values())),
                str(m.peak_rest_points),
                str(m.peak_graphql_points),
                str(m.peak_concurrency),
                str(m.graphql_timeouts),
            )
        )
    _print_rows(header, rows)
    for r in modelled:
        if r.model is not None and r.model.late_by_route:
            print(f"  N={r.repos}#{r.run} late seconds by route: {r.model.late_by_route}")
    print()
    print("Lower bound terms (modelled seconds)")
    models = [r.model for r in modelled if r.model is not None]
    terms: dict[str, list[float]] = {}
    for m in models:
        for term, seconds in [*m.chains.items(), *m.rates.items(), ("concurrency", m.width_s)]:
            terms.setdefault(term, []).append(seconds)
    _print_rows(
        ("term", *(f"N={r.repos}#{r.run}" for r in modelled)),
        [(term, *(_fmt(v, 1) for v in values)) for term, values in terms.items()],
    )


def print_targets(results: list[RunResult]) -> None:
    """Issues 5 and 13's targets, for the runs they apply to, and GitHub's hourly budgets."""
    lines = []
    for r in results:
        lines.append(
            f"  N={r.repos} run {r.run}: {r.rest} REST requests of {GITHUB_REST_BUDGET:,}/h, "
            f"{r.graphql_points:,} GraphQL points of {GITHUB_GRAPHQL_BUDGET:,}/h "
            f"({100 * r.graphql_points / GITHUB_GRAPHQL_BUDGET:.0f} %)"
            + (
                ": EXCEEDS one hour's GraphQL budget"
                if r.graphql_points > GITHUB_GRAPHQL_BUDGET
                else ""
            )
        )
        if r.repos == 2000 and r.latency_ms == 50:
            budget = BUDGET_PER_ACTIVE_REPO
            lines.append(_target(r, "requests per active repository", r.per_active_repo, budget))
            lines.append(_target(r, "wall seconds", r.wall_s, 10.0))
            lines.append(_target(r, "peak RSS MB", r.peak_rss_mb, 150.0))
        if r.repos in {10000, 20000}:  # issue 5 at 10,000; issue 13 at 20,000
            lines.append(_target(r, "peak RSS MB", r.peak_rss_mb, 300.0))
    if lines:
        print()
        print("Targets (issue 5) and GitHub's installation budgets")
        for line in lines:
            print(line)


def _target(r: RunResult, what: str, value: float | None, limit: float) -> str:
    if value is None:
        return f"  N={r.repos} run {r.run}: {what} not measured (target <= {limit:g}): MISSED"
    verdict = "met" if value <= limit else "MISSED"
    return f"  N={r.repos} run {r.run}: {what} {value:.3f} (target <= {limit:g}): {verdict}"


def print_mismatches(comparisons: list[Comparison]) -> None:
    for comparison in comparisons:
        if comparison.exact:
            continue
        print()
        print(f"{len(comparison.mismatches)} dataset mismatches; by kind:")
        for kind, count in comparison.kinds.most_common():
            print(f"  {count:6d}  {kind}")
        for message in comparison.mismatches[:MAX_MISMATCHES_SHOWN]:
            print(f"  {message}")
        if len(comparison.mismatches) > MAX_MISMATCHES_SHOWN:
            print(f"  ... {len(comparison.mismatches) - MAX_MISMATCHES_SHOWN} more")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    results: list[RunResult] = []
    comparisons: list[Comparison] = []
    workroot = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        for n in args.sizes:
            workdir = workroot / f"n{n}"
            workdir.mkdir()
            sized, compared = measure(n, args, workdir)
            results += sized
            comparisons += compared
    except BenchError as error:
        print(f"benchmark could not run: {error}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"work directory kept: {workroot}")
        else:
            shutil.rmtree(workroot, ignore_errors=True)
    print(
        f"Benchmark: fake GitHub latency {args.latency_ms:g} ms, handler threads {args.threads}, "
        f"{'smoke' if args.smoke else 'full'} mode, collections {','.join(args.enabled)}"
        + (
            " (through the counting proxy: timings include one extra local hop)"
            if args.classify or args.github_sized_alerts
            else ""
        )
        + (", alerts padded to GitHub's size" if args.github_sized_alerts else "")
    )
    print_table(results)
    print_model(results)
    print_targets(results)
    print_mismatches(comparisons)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    failures = [failure for r in results for failure in r.failures]
    for failure in failures:
        print(f"FAILED: {failure}")
    if not failures:
        print("OK: every run succeeded and every dataset is exact")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
