"""A first run on a built-in sample organisation: no GitHub App, no AWS account.

    make demo            # or: python scripts/demo.py [--output-dir DIR]

1. starts the fake GitHub (tests/fake_github) serving the sample organisation
   ``acme-demo`` (tests/fake_github/sample_org.py), with a throw-away App key;
2. runs the Lambda handler exactly as `serverless invoke local -f dataLogger`
   runs it, with WRITE_TO_S3=false so the datasets land in output/demo/, and
   a config.json that reads the organisation's exceptions file;
3. serves the organisation a run later (a check fixed, a new failure, an
   alert fixed, a new overdue alert) and runs the handler again, so that
   changes.json, trend.json and digest.md have something to say;
4. prints a short summary read back from those files, then the digest.

Exit status 0 when both runs succeeded, 1 when one failed or could not start
(a failed first run stops the demo).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as `python scripts/demo.py`
    sys.path.insert(0, str(REPO_ROOT))

from tests.fake_github.process import FakeProcess, FakeStartError, start_fake_process  # noqa: E402

SERVERLESS = REPO_ROOT / "node_modules" / ".bin" / "serverless"
SAMPLE_ORG_FACTORY = "tests.fake_github.sample_org:build"
SECOND_RUN_FACTORY = "tests.fake_github.sample_org:build_second_run"
SHIPPED_CONFIG = REPO_ROOT / "config.json"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "output" / "demo"
OUTPUT_FILES = (
    "repositories.json",
    "dependabot.json",
    "secret_scanning.json",
    "changes.json",
    "trend.json",
    "digest.md",
    "run_summary.json",
    "data_logger.log",
    "invoke_local.log",
)
SEVERITIES = ("critical", "high", "medium", "low")
DATASETS_DOCS = "docs/datasets/ (one page per file, e.g. repositories.md)"
OWN_ORG_SECTION = "Running it on your organisation"
INVOKE_SECONDS = 900.0
LOG_TAIL_LINES = 25


class DemoError(Exception):
    """The demo could not run; the message says what to do."""


# --- the summary -------------------------------------------------------------


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _repositories(count: int) -> str:
    return "1 repository" if count == 1 else f"{count} repositories"


BAR_WIDTH = 40


def _bar(count: int, total: int) -> str:
    """A bar proportional to ``count``: one ``#`` per repository up to BAR_WIDTH of them."""
    if count <= 0 or total <= 0:
        return ""
    if total <= BAR_WIDTH:
        return "#" * count
    return "#" * max(1, round(BAR_WIDTH * count / total))


def _check_table(repositories: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per check: how many repositories fail it (``failing``: exceptions
    applied, as a dashboard counts), with a proportional bar."""
    checks: list[str] = list(repositories[0]["checklist"]) if repositories else []
    failing = Counter(check for repo in repositories for check in repo["failing"])
    total = len(repositories)
    return [
        f"  {check:<26} {failing[check]:>5}  {_bar(failing[check], total)}".rstrip()
        for check in checks
    ]


def _audited_line(repositories: Sequence[Mapping[str, Any]], in_org: int | None) -> str:
    """How many were audited against how many exist, and how many have no failing check."""
    audited = len(repositories)
    passing = sum(1 for repo in repositories if not repo["failing"])
    if in_org is not None and in_org > audited:
        scope = (
            f"Repositories audited: {audited} of the {in_org} in the organisation "
            f"(the {in_org - audited} archived ones are not audited)"
        )
    else:
        scope = f"Repositories audited: {audited} (archived ones are not audited)"
    return f"{scope}; {passing} of {audited} have no failing check (exceptions applied)."


def _worst_repositories(repositories: Sequence[Mapping[str, Any]], limit: int = 5) -> list[str]:
    scored = sorted(
        ((-len(repo["failing"]), repo["name"], repo["failing"]) for repo in repositories),
        key=lambda row: (row[0], row[1]),
    )
    width = max((len(name) for _, name, _ in scored[:limit]), default=0)
    return [
        f"  {name:<{width}}  {-negative} failed: " + ", ".join(failing)
        for negative, name, failing in scored[:limit]
        if negative < 0
    ]


def _in_repositories(alerts: Sequence[Mapping[str, Any]]) -> str:
    """'N in M repositories, K of the N in archived ones': the same for every alert kind."""
    repositories = len({alert["repository"] for alert in alerts})
    archived = sum(1 for alert in alerts if alert.get("repository_archived"))
    return (
        f"{len(alerts)} in {_repositories(repositories)}, "
        f"{archived} of the {len(alerts)} in archived ones"
    )


def _dependabot_line(alerts: Sequence[Mapping[str, Any]]) -> str:
    by_severity = Counter(alert["severity"] for alert in alerts)
    counts = ", ".join(f"{severity} {by_severity[severity]}" for severity in SEVERITIES)
    return f"{_in_repositories(alerts)} ({counts})"


def _secret_scanning_line(alerts: Sequence[Mapping[str, Any]]) -> str:
    repositories = sorted({alert["repository"] for alert in alerts})
    live = sum(1 for alert in alerts if alert.get("validity") == "active")
    return (
        f"{_in_repositories(alerts)} ({', '.join(repositories) or 'none'}); "
        f"{live} still live (validity active)"
    )


def _critical_repositories(alerts: Sequence[Mapping[str, Any]]) -> list[str]:
    """'  name  N critical' for every repository with critical Dependabot alerts, most first."""
    critical = Counter(alert["repository"] for alert in alerts if alert["severity"] == "critical")
    archived = {alert["repository"] for alert in alerts if alert.get("repository_archived")}
    width = max((len(name) for name in critical), default=0)
    return [
        f"  {name:<{width}}  {count} critical" + (" (archived)" if name in archived else "")
        for name, count in sorted(critical.items(), key=lambda item: (-item[1], item[0]))
    ]


def _collection_line(
    name: str, outcome: Mapping[str, Any], dataset: Path, describe: str | None
) -> str:
    if outcome.get("status") == "succeeded":
        return f"{name}: {describe}"
    if outcome.get("status") == "skipped":
        return f"{name}: skipped (disabled in the configuration)"
    kept = " (previous copy kept)" if dataset.exists() else ""
    return f"{name}: FAILED: {outcome.get('error') or 'no reason given'}{kept}"


def summarise(output_dir: Path, repositories_in_org: int | None = None) -> str:
    """A short human summary of the datasets and run summary in ``output_dir``.

    ``repositories_in_org``: how many repositories the organisation has, archived
    ones included (the demo knows it from the sample), to explain the audited count.
    """
    summary_path = output_dir / "run_summary.json"
    if not summary_path.exists():
        return f"No run summary in {output_dir}: the run stopped before writing anything."
    summary = _read_json(summary_path)
    collections = summary["collections"]
    api = summary["api"]

    lines = [
        f"GitHub policy audit of {summary['org']}: {summary['status'].upper()}",
        f"  started {summary['started_at']}, finished {summary['finished_at']}",
        "",
    ]

    repo_outcome = collections["repositories"]
    repositories_path = output_dir / "repositories.json"
    if repo_outcome["status"] == "succeeded":
        repositories = _read_json(repositories_path)
        lines += [_audited_line(repositories, repositories_in_org), "How many fail each check:"]
        lines.extend(_check_table(repositories))
        worst = _worst_repositories(repositories)
        if worst:
            lines += ["", "Worst repositories:", *worst]
    else:
        lines.append(_collection_line("Repositories", repo_outcome, repositories_path, None))
    lines.append("")

    for title, key, file_name, describe in (
        ("Dependabot alerts past threshold", "dependabot", "dependabot.json", _dependabot_line),
        (
            "Secret scanning alerts past threshold",
            "secret_scanning",
            "secret_scanning.json",
            _secret_scanning_line,
        ),
    ):
        path = output_dir / file_name
        outcome = collections[key]
        alerts = _read_json(path) if outcome["status"] == "succeeded" else None
        text = None if alerts is None else describe(alerts)
        lines.append(_collection_line(title, outcome, path, text))
        if key == "dependabot" and alerts:
            critical = _critical_repositories(alerts)
            if critical:
                lines += ["  Repositories with critical alerts:", *("  " + c for c in critical)]

    lines += _exceptions_lines(summary.get("exceptions"))
    points = api.get("graphql_points")
    lines += [
        "",
        f"API requests used: {api['rest_requests']} REST, {api['graphql_requests']} GraphQL"
        + (f" ({points} points)" if points is not None else "")
        + f", {api['retries']} retries; rate limit remaining: {api.get('rate_limit_remaining')}",
        "",
        f"Files in {_display_path(output_dir)}/:",
    ]
    lines += [f"  {path.name}" for path in sorted(output_dir.glob("*")) if path.is_file()]
    lines += [
        "",
        f"What every field means: {DATASETS_DOCS}",
        f'Audit your own organisation: README.md, "{OWN_ORG_SECTION}"',
    ]
    return "\n".join(lines)


def _exceptions_lines(block: Mapping[str, Any] | None) -> list[str]:
    """What the run summary says about the exceptions file."""
    if not block or block.get("source") is None:
        return []

    def entries(key: str) -> str:
        named = [f"#{item['index']} {', '.join(item['repositories'])}" for item in block[key]]
        return "; ".join(named) or "none"

    return [
        "",
        f"Exceptions from {block['source']}: {block['active']} active",
        f"  expired: {entries('expired')}",
        f"  invalid: {entries('invalid')}",
        *[f"    #{item['index']}: {item['why']}" for item in block["invalid"]],
        f"  unmatched (remove them): {entries('unmatched')}",
        f"  unused (every check passes): {entries('unused')}",
    ]


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- running it --------------------------------------------------------------


def child_env(extra: Mapping[str, str], scratch: Path) -> dict[str, str]:
    """This interpreter first on PATH, and no AWS account reachable or needed."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if sys.prefix != sys.base_prefix:
        env["VIRTUAL_ENV"] = sys.prefix
    env.update(
        AWS_CONFIG_FILE=str(scratch / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(scratch / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        SLS_TELEMETRY_DISABLED="1",
        SLS_NOTIFICATIONS_MODE="off",
    )
    env.update(extra)
    return env


def start_fake(scratch: Path, org_factory: str) -> FakeProcess:
    """The fake GitHub serving ``org_factory``'s organisation (a context manager)."""
    try:
        return start_fake_process(
            org_factory, scratch / "demo-app-key.pem", env=child_env({}, scratch)
        )
    except FakeStartError as error:
        raise DemoError(
            f"{error}; run `python -m tests.fake_github --org {org_factory} --port 0 "
            "--key-file /tmp/key.pem` to see why"
        ) from error


def demo_config(scratch: Path) -> Path:
    """The shipped config.json, reading the sample organisation's exceptions file."""
    document = json.loads(SHIPPED_CONFIG.read_text(encoding="utf-8"))
    document["settings"]["exceptions"] = {
        "repository": ".github-private",
        "path": "policy/exceptions.toml",
    }
    path = scratch / "demo-config.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def invoke_local(fake: FakeProcess, output_dir: Path, scratch: Path) -> tuple[int, str]:
    """Run the handler through `serverless invoke local`; (exit status, its output)."""
    env = child_env(
        {
            "GITHUB_ORG": fake.org,
            "GITHUB_APP_CLIENT_ID": fake.client_id,
            "GITHUB_APP_PRIVATE_KEY_FILE": str(fake.key_file),
            "GITHUB_API_URL": fake.url,
            "WRITE_TO_S3": "false",
            "OUTPUT_DIR": str(output_dir),
            "CONFIG_PATH": str(demo_config(scratch)),
        },
        scratch,
    )
    result = subprocess.run(
        [str(SERVERLESS), "invoke", "local", "--function", "dataLogger", "--data", "{}"],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=INVOKE_SECONDS,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def repositories_in_org(org_factory: str) -> int | None:
    """How many repositories the sample organisation has, archived ones included."""
    module_name, _, function_name = org_factory.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), function_name)
        return len(factory().repositories)
    except (ImportError, AttributeError, TypeError):
        return None


def check_prerequisites() -> None:
    if shutil.which("node") is None:
        raise DemoError("node is not on PATH: install Node.js 22 LTS or later, then `make demo`")
    if not SERVERLESS.exists():
        raise DemoError(f"{SERVERLESS} is missing: run `make demo` (it runs `npm ci` first)")


def clear_previous_run(output_dir: Path) -> None:
    """Remove the demo's own files so the summary can only show this run."""
    output_dir.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FILES:
        (output_dir / name).unlink(missing_ok=True)


def one_run(output_dir: Path, scratch: Path, org_factory: str, title: str) -> int:
    """Serve ``org_factory``'s organisation and run the handler once; its exit status."""
    with start_fake(scratch, org_factory) as fake:
        print(f"{title}: fake GitHub serving {fake.org} ({org_factory}) at {fake.url}")
        print("  serverless invoke local --function dataLogger (WRITE_TO_S3=false)")
        status, output = invoke_local(fake, output_dir, scratch)
        violations = fake.contract_violations()
    log_path = output_dir / "invoke_local.log"
    log_path.write_text(output, encoding="utf-8")
    if violations:  # the fake checks every REST call against GitHub's REST description
        print()
        print(summarise(output_dir, repositories_in_org(org_factory)))
        print("\nThe fake GitHub saw calls its REST description does not allow:")
        print("\n".join(f"  {v['method']} {v['target']}: {v['message']}" for v in violations))
        return 1
    if status == 0:
        return 0
    print()
    print(summarise(output_dir, repositories_in_org(org_factory)))
    print(f"\nThe run failed (exit status {status}); its log is in {_display_path(log_path)}.")
    if not (output_dir / "run_summary.json").exists():
        print("\n".join(output.splitlines()[-LOG_TAIL_LINES:]))
    return 1


def run_demo(
    output_dir: Path,
    org_factory: str = SAMPLE_ORG_FACTORY,
    second_factory: str = SECOND_RUN_FACTORY,
) -> int:
    check_prerequisites()
    clear_previous_run(output_dir)
    with tempfile.TemporaryDirectory(prefix="policy-demo-") as scratch_name:
        scratch = Path(scratch_name)
        if one_run(output_dir, scratch, org_factory, "First run") != 0:
            return 1
        if one_run(output_dir, scratch, second_factory, "Second run, a week's changes later") != 0:
            return 1
    print()
    print(summarise(output_dir, repositories_in_org(second_factory)))
    digest = output_dir / "digest.md"
    if digest.exists():
        print(
            f"\n{'-' * 72}\n{_display_path(digest)} (also e-mailed when deployed with "
            f"--param=digestEmail=...):\n"
        )
        print(digest.read_text(encoding="utf-8"))
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument(
        "--org-factory",
        default=SAMPLE_ORG_FACTORY,
        help="MODULE:FUNCTION returning the tests.fake_github Organization to audit",
    )
    parser.add_argument(
        "--second-org-factory",
        default=SECOND_RUN_FACTORY,
        help="the same organisation a run later (what the second run audits)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run_demo(args.output_dir.resolve(), args.org_factory, args.second_org_factory)
    except DemoError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired as error:
        print(f"demo: {error.cmd[0]} did not finish in {error.timeout:.0f} s", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
