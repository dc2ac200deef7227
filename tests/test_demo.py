"""scripts/demo.py: the summary it prints, and `make demo` end to end."""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fake_github import sample_org
from tests.fake_github.model import Organization

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_PATH = REPO_ROOT / "scripts" / "demo.py"


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("policy_demo", DEMO_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = load_demo()

CHECKS = ("inactive", "readme_missing", "external_pr")


def repo(name: str, *failing: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "PRIVATE",
        "url": f"https://github.com/acme/{name}",
        "created_at": "2024-01-01T00:00:00Z",
        "checklist": {check: check in failing for check in CHECKS},
        "unknown": {},
        "exceptions": {},
        "failing": sorted(failing),
    }


def alert(
    repository: str,
    severity: str | None = None,
    archived: bool = False,
    validity: str | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "repository": repository,
        "repository_url": f"https://github.com/acme/{repository}",
        "alert_url": f"https://github.com/acme/{repository}/security/x/1",
        "repository_visibility": "PRIVATE",
        "repository_archived": archived,
    }
    if severity:
        record["severity"] = severity
    if validity:
        record["validity"] = validity
    return record


def outcome(status: str, records: int | None, error: str | None = None) -> dict[str, Any]:
    return {"status": status, "records": records, "seconds": 1.5, "error": error}


def write_run(
    directory: Path, collections: dict[str, dict[str, Any]], **datasets: list[dict[str, Any]]
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, records in datasets.items():
        (directory / f"{name}.json").write_text(json.dumps(records))
    failed = [c for c in collections.values() if c["status"] == "failed"]
    summary = {
        "schema_version": 1,
        "org": "acme",
        "started_at": "2026-11-29T03:00:00Z",
        "finished_at": "2026-11-29T03:04:10Z",
        "status": "partial" if failed else "succeeded",
        "collections": collections,
        "api": {
            "rest_requests": 42,
            "graphql_requests": 7,
            "retries": 1,
            "rate_limit_remaining": 4950,
            "graphql_points": 19,
        },
    }
    (directory / "run_summary.json").write_text(json.dumps(summary))
    return directory


def test_summary_counts_failures_per_check_worst_repositories_and_alerts(tmp_path: Path) -> None:
    output = write_run(
        tmp_path / "out",
        {
            "repositories": outcome("succeeded", 4),
            "dependabot": outcome("succeeded", 3),
            "secret_scanning": outcome("succeeded", 2),
        },
        repositories=[
            repo("api", "inactive"),
            repo("web", "inactive", "readme_missing", "external_pr"),
            repo("docs"),
            repo("tool", "readme_missing", "inactive"),
        ],
        dependabot=[
            alert("api", "critical"),
            alert("api", "critical"),
            alert("web", "low"),
            alert("old", "critical", archived=True),
        ],
        secret_scanning=[alert("web"), alert("old", archived=True, validity="active")],
    )

    text = demo.summarise(output, repositories_in_org=6)

    assert "GitHub policy audit of acme: SUCCEEDED" in text
    assert (
        "Repositories audited: 4 of the 6 in the organisation (the 2 archived ones are not "
        "audited); 1 of 4 have no failing check (exceptions applied).\nHow many fail each check:\n"
        in text
    )
    assert re.search(r"^  inactive\s+3\s", text, re.MULTILINE)
    assert re.search(r"^  readme_missing\s+2\s", text, re.MULTILINE)
    assert re.search(r"^  external_pr\s+1\s", text, re.MULTILINE)
    worst = text.split("Worst repositories:\n")[1].splitlines()
    assert worst[0].split()[:2] == ["web", "3"]
    assert worst[1].split()[:2] == ["tool", "2"]
    assert worst[2].split()[:2] == ["api", "1"]
    assert not any(line.split()[0] == "docs" for line in worst[:3])
    assert (
        "Dependabot alerts past threshold: 4 in 3 repositories, 1 of the 4 in archived ones "
        "(critical 3, high 0, medium 0, low 1)\n"
        "  Repositories with critical alerts:\n"
        "    api  2 critical\n"
        "    old  1 critical (archived)\n" in text
    )
    assert (
        "Secret scanning alerts past threshold: 2 in 2 repositories, 1 of the 2 in archived ones "
        "(old, web); 1 still live (validity active)\n" in text
    )
    assert "42 REST, 7 GraphQL (19 points), 1 retries" in text
    assert "  repositories.json" in text
    assert text.endswith(
        "What every field means: docs/datasets/ (one page per file, e.g. repositories.md)\n"
        'Audit your own organisation: README.md, "Running it on your organisation"'
    )
    assert "Running it on your organisation" in (REPO_ROOT / "README.md").read_text()
    assert (REPO_ROOT / "docs" / "datasets" / "repositories.md").is_file()


def test_bars_are_proportional_one_hash_per_repository_up_to_the_width() -> None:
    assert [demo._bar(n, 35) for n in (0, 1, 2, 35)] == ["", "#", "##", "#" * 35]
    assert [len(demo._bar(n, 400)) for n in (1, 5, 10, 200, 400)] == [1, 1, 1, 20, 40]
    assert len(demo._bar(20, 400)) == 2 and len(demo._bar(30, 400)) == 3


def test_the_audited_line_without_the_organisation_size() -> None:
    repositories = [repo("a"), repo("b", "inactive")]
    assert demo._audited_line(repositories, None) == (
        "Repositories audited: 2 (archived ones are not audited); "
        "1 of 2 have no failing check (exceptions applied)."
    )


def test_summary_names_a_failed_collection_and_its_reason(tmp_path: Path) -> None:
    output = write_run(
        tmp_path / "out",
        {
            "repositories": outcome("succeeded", 1),
            "dependabot": outcome("failed", None, "GET /orgs/acme/dependabot/alerts: 403"),
            "secret_scanning": outcome("skipped", None),
        },
        repositories=[repo("api")],
        dependabot=[alert("api", "high")],  # last week's copy, kept
    )

    text = demo.summarise(output)

    assert "PARTIAL" in text
    assert (
        "Dependabot alerts past threshold: FAILED: GET /orgs/acme/dependabot/alerts: 403"
        " (previous copy kept)" in text
    )
    assert "Secret scanning alerts past threshold: skipped" in text
    assert "Worst repositories" not in text  # nothing fails


def test_summary_without_a_run_summary_says_so(tmp_path: Path) -> None:
    assert "No run summary" in demo.summarise(tmp_path)


def _port_is_closed(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((parts.hostname or "", parts.port or 0)) != 0


def test_the_fake_serves_from_its_own_process_until_the_block_ends(tmp_path: Path) -> None:
    with demo.start_fake(tmp_path, demo.SAMPLE_ORG_FACTORY) as fake:
        assert fake.org == "acme-demo"
        assert fake.key_file.stat().st_mode & 0o777 == 0o600
        assert not _port_is_closed(fake.url)
    assert _port_is_closed(fake.url)
    assert fake.process.returncode == 0


def test_a_fake_that_cannot_start_says_how_to_see_why(tmp_path: Path) -> None:
    factory = "tests.fake_github.sample_org:no_such_factory"
    hint = f"exited with status 1; run `python -m tests.fake_github --org {factory} "
    with pytest.raises(demo.DemoError, match=re.escape(hint)):
        demo.start_fake(tmp_path, factory)


def run_demo_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter running the demo script
        [sys.executable, str(DEMO_PATH), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def fake_url_in(stdout: str) -> str:
    match = re.search(r"at (http://127\.0\.0\.1:\d+)", stdout)
    assert match is not None, stdout
    return match.group(1)


@pytest.mark.serverless
def test_demo_runs_the_sample_organisation_end_to_end(tmp_path: Path) -> None:
    output = tmp_path / "demo"
    result = run_demo_script("--output-dir", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "GitHub policy audit of acme-demo: SUCCEEDED" in result.stdout
    assert "Repositories audited: 36 of the 38 in the organisation" in result.stdout
    assert "Repositories with critical alerts:" in result.stdout
    for name in ("repositories", "dependabot", "secret_scanning", "run_summary", "changes"):
        assert (output / f"{name}.json").is_file()
    # Two runs the same day: one trend point, replaced by the second run.
    assert len(json.loads((output / "trend.json").read_text())) == 1
    # The digest of the second run, printed, names exactly the injected changes.
    digest = (output / "digest.md").read_text()
    assert digest in result.stdout
    changes = sample_org.SECOND_RUN_CHANGES
    (failing,) = changes["newly_failing"]
    (passing,) = changes["newly_passing"]
    (new,) = changes["dependabot_new"]
    (gone,) = changes["dependabot_gone"]
    assert "## Newly failing repositories (1)\n\n- `billing-api`: gitignore_missing\n" in digest
    fixed = "## Fixed since the previous run (1)\n\n- `checkout-web`: unprotected_branches\n"
    assert fixed in digest
    assert f"### Dependabot, critical and high (1)\n\n- critical: `inventory-api` {new}\n" in digest
    assert f"### No longer overdue (1)\n\n- Dependabot: {gone}\n" in digest
    assert "### Secret scanning (0)\n\nNone.\n" in digest
    assert (failing["repository"], passing["repository"]) == ("billing-api", "checkout-web")
    assert "Exceptions from .github-private:policy/exceptions.toml: 5 active" in result.stdout
    assert "- `open-sdk`: license_missing, until " in digest
    assert _port_is_closed(fake_url_in(result.stdout)), "the demo left the fake GitHub running"


@pytest.mark.serverless
def test_demo_exits_non_zero_when_the_run_fails_and_still_stops_the_fake(tmp_path: Path) -> None:
    output = tmp_path / "demo"
    output.mkdir()
    (output / "dependabot.json").write_text("[]\n")  # a previous demo's: cleared first
    result = run_demo_script(
        "--output-dir",
        str(output),
        "--org-factory",
        "tests.fake_github.sample_org:build_with_dependabot_off",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "GitHub policy audit of acme-demo: PARTIAL" in result.stdout
    assert "Dependabot alerts past threshold: FAILED: " in result.stdout
    assert "403" in result.stdout
    assert "The run failed (exit status 1)" in result.stdout
    assert not (output / "dependabot.json").exists()
    assert (output / "repositories.json").exists()
    assert _port_is_closed(fake_url_in(result.stdout)), "the demo left the fake GitHub running"


def test_sample_organisation_is_dated_from_midnight_of_the_given_day() -> None:
    morning = sample_org.build_for(datetime(2030, 1, 15, 0, 0, 1, tzinfo=UTC))
    evening = sample_org.build_for(datetime(2030, 1, 15, 23, 59, 59, tzinfo=UTC))

    def dates(org: Organization) -> list[tuple[str, str | None, str]]:
        repos = [(repo.name, repo.pushed_at, repo.created_at) for repo in org.repositories]
        alerts = [
            (alert.repository, alert.state, alert.created_at)
            for alert in [*org.dependabot_alerts, *org.secret_scanning_alerts]
        ]
        return repos + alerts

    assert dates(morning) == dates(evening)
    billing = [a for a in morning.dependabot_alerts if a.repository == "billing-api"]
    assert [a.created_at for a in billing] == ["2030-01-13T00:00:00Z", "2030-01-03T00:00:00Z"]
    assert {repo.name for repo in morning.repositories} >= set(sample_org.EXPECTED_FAILED_CHECKS)
    assert all(alert.secret.endswith("-not-real") for alert in morning.secret_scanning_alerts)


def test_summary_counts_failing_so_an_excepted_check_is_not_counted(tmp_path: Path) -> None:
    excepted = repo("legacy", "readme_missing")
    excepted["exceptions"] = {
        "readme_missing": {"reason": "mirror", "approved_by": "sec", "expires": "2027-01-31"}
    }
    excepted["failing"] = []
    output = write_run(
        tmp_path / "out",
        {
            name: outcome("succeeded", 2)
            for name in ("repositories", "dependabot", "secret_scanning")
        },
        repositories=[excepted, repo("api", "readme_missing")],
        dependabot=[],
        secret_scanning=[],
    )

    text = demo.summarise(output)

    assert "1 of 2 have no failing check (exceptions applied)." in text
    assert re.search(r"^  readme_missing\s+1\s", text, re.MULTILINE)
    assert "legacy" not in text  # not among the worst: nothing of it fails
