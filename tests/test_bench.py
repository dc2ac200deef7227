"""The benchmark's generator: counts, determinism, and expectations that match the data.

``expected()`` is built from the generator's *decisions*; these tests check
the decisions were carried out, by recomputing every check straight from the
generated model with a small independent reading of checks.md.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import RunResult, _delta, _failures
from bench.child import PEAK_FILE_ENV
from bench.generate import (
    ANCHOR_ENV,
    CHECKS,
    ORG_LOGIN,
    REPOSITORY_FIELDS,
    GeneratedOrg,
    Settings,
    build,
    expected,
    generate,
    parse_time,
    whole_days,
    years_before,
)
from bench.github_sized import alert_kind, pad_page
from bench.proxy import graphql_kind
from bench.runner import ROOT, HandlerRun, phase_seconds, reported_peak_rss_mb
from bench.verify import compare
from tests.fake_github.model import Organization, Repository
from tests.fake_github.rest import RestApi

ANCHOR = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def small() -> GeneratedOrg:
    return generate(400, ANCHOR)


def _without_ids(value: Any) -> Any:
    """Model contents with the process-global ``id`` counters left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _without_ids(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "id"
        }
    if isinstance(value, dict):
        return {key: _without_ids(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_ids(item) for item in value]
    if isinstance(value, set):
        return sorted(value)
    return value


def test_counts_follow_the_requested_size(small: GeneratedOrg) -> None:
    org = small.org
    active = [repo for repo in org.repositories if not repo.archived]
    archived = [repo for repo in org.repositories if repo.archived]
    assert len(active) == 400
    assert len(archived) == 100
    assert len(org.members) == 100
    assert len(org.teams) == 20
    assert 400 <= len(org.dependabot_alerts) <= 1000  # ~1.5 per repository
    assert 150 <= len(org.secret_scanning_alerts) <= 400  # ~0.5 per repository
    assert {alert.repository for alert in org.dependabot_alerts} & {r.name for r in archived}
    names = [repo.name.lower() for repo in org.repositories]
    assert len(set(names)) == len(names)


def test_realistic_mix(small: GeneratedOrg) -> None:
    active = [repo for repo in small.org.repositories if not repo.archived]
    assert {repo.visibility for repo in active} == {"public", "private", "internal"}
    assert any(repo.is_empty for repo in active)
    assert any(repo.fork for repo in active)
    assert any(len(repo.branches) > 100 for repo in active)
    assert any(sum(pr.state == "OPEN" for pr in repo.pull_requests) > 100 for repo in active)
    assert any(b.ruleset and not b.protection_rule for r in active for b in r.branches)
    assert any(r.secret_scanning is None for r in active if r.visibility == "public")
    authors = Counter(
        pr.author_type if pr.author else "ghost" for r in active for pr in r.pull_requests
    )
    assert authors["Bot"] and authors["ghost"] and authors["User"]
    located = Counter(path for r in active for path in r.files if path.endswith("CODEOWNERS"))
    assert located[".github/CODEOWNERS"] and located["CODEOWNERS"] and located["docs/CODEOWNERS"]


def test_every_check_both_passes_and_fails(small: GeneratedOrg) -> None:
    records = expected(small.org, ANCHOR)["repositories"]
    for check in CHECKS:
        values = {record["checklist"][check] for record in records}
        assert values == {True, False}, check


def test_same_size_and_anchor_give_the_same_organisation() -> None:
    first = generate(120, ANCHOR)
    second = generate(120, ANCHOR)
    assert _without_ids(first.org) == _without_ids(second.org)
    assert expected(first.org, ANCHOR) == expected(second.org, ANCHOR)
    assert _without_ids(generate(120, ANCHOR + timedelta(days=1)).org) != _without_ids(first.org)


def test_build_reads_the_anchor_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ANCHOR_ENV, str(int(ANCHOR.timestamp())))
    assert _without_ids(build(30)) == _without_ids(generate(30, ANCHOR).org)
    assert _without_ids(build("30")) == _without_ids(generate(30, ANCHOR).org)
    monkeypatch.setenv(ANCHOR_ENV, "yesterday")
    with pytest.raises(ValueError, match=ANCHOR_ENV):
        build(30)


def test_expected_needs_an_organisation_built_here() -> None:
    with pytest.raises(KeyError, match=r"not built by bench\.generate"):
        expected(Organization(login="elsewhere"), ANCHOR)


def test_expected_is_stable_for_a_run_starting_minutes_after_the_anchor(
    small: GeneratedOrg,
) -> None:
    assert expected(small.org, ANCHOR) == expected(small.org, ANCHOR + timedelta(minutes=20))


def test_alert_ages_straddle_the_thresholds(small: GeneratedOrg) -> None:
    thresholds = Settings().dependabot_thresholds
    ages = Counter(
        whole_days(ANCHOR, parse_time(alert.created_at)) - thresholds[alert.severity]
        for alert in small.org.dependabot_alerts
        if alert.state == "open"
    )
    assert ages[0] and ages[1] and ages[-1]
    secret_ages = Counter(
        whole_days(ANCHOR, parse_time(alert.created_at)) - Settings().secret_scanning_threshold
        for alert in small.org.secret_scanning_alerts
        if alert.state == "open"
    )
    assert secret_ages[0] and secret_ages[1]


def test_expected_alerts_are_open_old_enough_and_sorted(small: GeneratedOrg) -> None:
    datasets = expected(small.org, ANCHOR)
    open_old = [
        alert
        for alert in small.org.dependabot_alerts
        if alert.state == "open"
        and whole_days(ANCHOR, parse_time(alert.created_at))
        > Settings().dependabot_thresholds[alert.severity]
    ]
    assert len(datasets["dependabot"]) == len(open_old)
    keys = [(r["repository"], r["created_at"], r["alert_url"]) for r in datasets["dependabot"]]
    assert keys == sorted(keys)
    secrets = {alert.secret for alert in small.org.secret_scanning_alerts}
    text = repr(datasets["secret_scanning"])
    assert not any(secret in text for secret in secrets)
    assert all("secret" not in record for record in datasets["secret_scanning"])


def test_stricter_settings_change_the_setting_dependent_checks(small: GeneratedOrg) -> None:
    default = expected(small.org, ANCHOR)
    strict = expected(
        small.org,
        ANCHOR,
        Settings(
            signed_commit_number=100,
            dependabot_thresholds=dict.fromkeys(("critical", "high", "medium", "low"), 0),
        ),
    )

    def count(datasets: dict[str, list[dict[str, Any]]], check: str) -> int:
        return sum(record["checklist"][check] for record in datasets["repositories"])

    assert count(strict, "unsigned_commits") > count(default, "unsigned_commits")
    assert len(strict["dependabot"]) > len(default["dependabot"])


# --------------------------------------------------------------------------- independent oracle

_README = re.compile(r"readme(\..*)?", re.IGNORECASE)
_LICENSE = re.compile(r"(license|licence|copying)(\..*)?", re.IGNORECASE)
_NAME = re.compile(r"[a-z0-9_-]+")


def _names_in(repo: Repository, directory: str) -> set[str]:
    """File names directly in ``directory`` ("" for the root)."""
    prefix = f"{directory}/" if directory else ""
    return {
        path[len(prefix) :]
        for path in repo.files
        if path.startswith(prefix) and "/" not in path[len(prefix) :]
    }


def _owners(text: str) -> list[str]:
    owners = []
    for line in text.splitlines():
        content = re.split(r"(?<!\\)#", line, maxsplit=1)[0].split()
        owners += [token for token in content[1:] if token.startswith("@")]
    return owners


def _gives_contact(org: Organization, owner: str) -> bool:
    name = owner[1:]
    if "/" in name:
        team_org, slug = name.split("/", 1)
        team = org.team(slug) if team_org == ORG_LOGIN else None
        return team is not None and any(org.users[m].verified_emails for m in team.maintainers)
    user = org.users.get(name)
    return user is not None and bool(user.verified_emails)


def _recomputed(org: Organization, repo: Repository, settings: Settings) -> dict[str, bool]:
    public = repo.visibility == "public"
    root = _names_in(repo, "")
    codeowners = next(
        (
            repo.files[p]
            for p in (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
            if p in repo.files
        ),
        None,
    )
    last = repo.pushed_at or repo.created_at
    return {
        "inactive": parse_time(last) < years_before(ANCHOR, settings.inactivity_years),
        "unprotected_branches": any(not branch.protected for branch in repo.branches),
        "unsigned_commits": any(
            c.signature != "valid" for c in repo.commits[: settings.signed_commit_number]
        ),
        "readme_missing": not any(
            _README.fullmatch(name) for d in ("", ".github", "docs") for name in _names_in(repo, d)
        ),
        "license_missing": public and not any(_LICENSE.fullmatch(name) for name in root),
        "pirr_missing": not public and "pirr.md" not in {name.lower() for name in root},
        "gitignore_missing": ".gitignore" not in root,
        "external_pr": any(
            pr.state == "OPEN"
            and pr.author is not None
            and pr.author_type != "Bot"
            and not pr.author.endswith("[bot]")
            and pr.author not in org.members
            for pr in repo.pull_requests
        ),
        "breaks_naming_convention": _NAME.fullmatch(repo.name) is None,
        "secret_scanning_disabled": public and repo.secret_scanning != "enabled",
        "push_protection_disabled": public and repo.push_protection != "enabled",
        "dependabot_disabled": not repo.vulnerability_alerts,
        "codeowners_missing": codeowners is None,
        "point_of_contact_missing": codeowners is not None
        and not any(_gives_contact(org, owner) for owner in _owners(codeowners)),
    }


@pytest.mark.parametrize("size", [1, 7, 60, 400])
def test_decisions_match_the_generated_data(size: int) -> None:
    generated = generate(size, ANCHOR)
    by_name = {repo.name: repo for repo in generated.org.repositories}
    records = expected(generated.org, ANCHOR)["repositories"]
    assert [record["name"] for record in records] == sorted(
        repo.name for repo in generated.org.repositories if not repo.archived
    )
    for record in records:
        repo = by_name[record["name"]]
        assert record["checklist"] == _recomputed(generated.org, repo, Settings()), (
            record["name"],
            generated.plans[record["name"]].variants,
        )
        assert record["checklist"]["inactive"] == generated.plans[repo.name].meant_inactive
        assert record["type"] == repo.visibility.upper()
        assert record["url"] == f"https://github.com/{ORG_LOGIN}/{repo.name}"
        assert list(record) == list(REPOSITORY_FIELDS)
        assert record["failing"] == sorted(c for c, v in record["checklist"].items() if v)
        assert tuple(record["checklist"]) == CHECKS


# --------------------------------------------------------------------------- comparison


def test_compare_accepts_identical_datasets_and_names_each_difference(
    small: GeneratedOrg,
) -> None:
    wanted = expected(small.org, ANCHOR)
    assert compare(wanted, copy.deepcopy(wanted), small.plans).exact

    actual = copy.deepcopy(wanted)
    flipped = actual["repositories"][3]
    flipped["checklist"]["external_pr"] = not flipped["checklist"]["external_pr"]
    dropped = actual["dependabot"].pop(0)
    actual["secret_scanning"][0]["secret"] = "ghp_leak"
    actual["repositories"].reverse()
    result = compare(wanted, actual, small.plans)
    assert not result.exact
    assert result.kinds["repositories.json external_pr"] == 1
    assert result.kinds["dependabot.json missing alert"] == 1
    assert result.kinds["secret_scanning.json secret"] == 1
    assert result.kinds["secret_scanning.json field order"] == 1
    assert result.kinds["repositories.json sort order"] == 1
    assert any(flipped["name"] in m and "external_pr" in m for m in result.mismatches)
    assert any(dropped["alert_url"] in m for m in result.mismatches)


def test_compare_reports_a_dataset_that_was_not_written(small: GeneratedOrg) -> None:
    wanted = expected(small.org, ANCHOR)
    result = compare(wanted, {**wanted, "dependabot": None}, small.plans)
    assert result.mismatches == ["dependabot.json: not written"]


# --------------------------------------------------------------------------- runner verdicts


def _run_result(**changes: Any) -> RunResult:
    fields = {
        "repos": 200,
        "run": 1,
        "latency_ms": 0.0,
        "threads": 20,
        "exit_code": 0,
        "wall_s": 1.0,
        "handler_cpu_s": 0.5,
        "fake_cpu_s": 0.5,
        "rest": 12,
        "graphql": 8,
        "requests": 20,
        "per_active_repo": 0.1,
        "graphql_points": 200,
        "retries": 0,
        "peak_rss_mb": 50.0,
        "fake_peak_rss_mb": 60.0,
        "summary_status": "succeeded",
        "exact": True,
        "load_average": 1.0,
        "by_route": {"graphql": 8},
    }
    return RunResult(**(fields | changes))


@pytest.mark.parametrize(
    ("changes", "smoke", "reason"),
    [
        ({}, True, None),
        ({"per_active_repo": 0.16}, False, None),
        ({"per_active_repo": 0.16}, True, "requests per active repository"),
        ({"exact": False}, False, "datasets differ"),
        ({"exit_code": 1}, False, "exited with status 1"),
        ({"summary_api": {"rest_requests": 12, "graphql_points": 200}}, True, None),
        ({"summary_api": {"graphql_points": 8}}, False, "api.graphql_points is 8"),
        ({"summary_api": {"graphql_points": 8}, "retries": 1}, False, None),
    ],
)
def test_smoke_verdicts(changes: dict[str, Any], smoke: bool, reason: str | None) -> None:
    result = _run_result(**changes)
    handler = HandlerRun(result.exit_code, 1.0, 50.0, 0.5, Path("out"), Path("log"), False)
    failures = _failures(result, handler, argparse.Namespace(smoke=smoke, timeout=60.0))
    if reason is None:
        assert failures == []
    else:
        assert len(failures) == 1
        assert reason in failures[0]


def test_stats_delta_counts_only_the_measured_run() -> None:
    before = {"total": 3, "rest": 2, "graphql": 1, "graphql_points": 1, "by_route": {"graphql": 1}}
    after = {
        "total": 10,
        "rest": 6,
        "graphql": 4,
        "graphql_points": 105,
        "by_route": {"graphql": 4, "org_repos": 4},
    }
    delta = _delta(after, before)
    assert delta["total"] == 7
    assert delta["graphql_points"] == 104
    assert delta["by_route"] == {"graphql": 3, "org_repos": 4}


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'{"query": "query RepositoryFacts($org: String!) { a }"}', "graphql:RepositoryFacts"),
        (b'{"query": "  query NextPages { a }"}', "graphql:NextPages"),
        (b'{"query": "{ rateLimit { cost } }"}', "graphql:anonymous"),
        (b"not json", "graphql:unreadable"),
    ],
)
def test_proxy_names_graphql_requests_by_operation(body: bytes, kind: str) -> None:
    assert graphql_kind(body) == kind


def test_phase_seconds_read_from_the_handler_log(tmp_path: Path) -> None:
    lines = [
        {"timestamp": "2026-11-30T12:00:00.000Z", "message": "run started"},
        {"timestamp": "2026-11-30T12:00:01.500Z", "message": "repository inventory listed"},
        {"timestamp": "2026-11-30T12:00:01.600Z", "message": "repository inventory listed"},
        {
            "timestamp": "2026-11-30T12:00:04.000Z",
            "message": "collection succeeded",
            "collection": "dependabot",
            "seconds": 2.25,
        },
        {"timestamp": "2026-11-30T12:00:06.000Z", "message": "run finished"},
    ]
    log = tmp_path / "handler.log"
    log.write_text("\n".join([*map(json.dumps, lines), "Traceback: not JSON"]) + "\n")
    assert phase_seconds(log) == {"inventory": 1.5, "dependabot": 2.25, "run": 6.0}


def test_every_alert_age_is_stable_for_half_an_hour_after_the_anchor(small: GeneratedOrg) -> None:
    alerts = [*small.org.dependabot_alerts, *small.org.secret_scanning_alerts]
    for alert in alerts:
        created = parse_time(alert.created_at)
        ages = {whole_days(ANCHOR + timedelta(minutes=m), created) for m in (0, 10, 20, 29)}
        assert len(ages) == 1, alert


@pytest.mark.parametrize("kind", ["dependabot", "secret_scanning"])
def test_github_sized_alerts_keep_every_field_and_grow(small: GeneratedOrg, kind: str) -> None:
    api = RestApi(small.org)
    if kind == "dependabot":
        alert = api.dependabot_json(small.org.dependabot_alerts[0])
        path = "/orgs/bench-org/dependabot/alerts?state=open&per_page=100"
    else:
        alert = api.secret_scanning_json(small.org.secret_scanning_alerts[0], True)
        path = "/orgs/bench-org/secret-scanning/alerts?state=open&hide_secret=true"
    assert alert_kind(path) == kind
    padded_page = pad_page(json.dumps([alert]).encode(), kind)
    (padded,) = json.loads(padded_page)

    def contains(big: Any, part: Any) -> bool:
        if isinstance(part, dict):
            return isinstance(big, dict) and all(contains(big.get(k), v) for k, v in part.items())
        return bool(big == part)

    assert contains(padded, alert)
    # GitHub-sized (5-8 kB an alert); the fake's own alert already carries every
    # field GitHub's description requires, so padding adds only optional ones.
    assert len(padded_page) >= 5_000 and len(padded_page) >= len(json.dumps([alert]))
    assert "secret" not in padded
    assert alert_kind("/graphql") is None
    assert pad_page(b'{"message": "Not Found"}', kind) == b'{"message": "Not Found"}'


def child_env(peak_file: Path) -> dict[str, str]:
    """This environment, with the peak file named and the project importable."""
    env = {**os.environ, PEAK_FILE_ENV: str(peak_file)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_the_handler_child_reports_its_own_peak_not_its_parents(tmp_path: Path) -> None:
    # Linux carries a parent's high-water mark into its child's ru_maxrss over
    # exec: a small child of a big parent "peaks" at the parent's size.
    ballast = bytearray(160 * 1024 * 1024)
    for index in range(0, len(ballast), 4096):
        ballast[index] = 1
    peak_file = tmp_path / "peak-rss-kb"
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.child", "json.tool", "--help"],
        cwd=ROOT,
        env=child_env(peak_file),
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    del ballast
    assert os.waitstatus_to_exitcode(status) == 0  # the module's own exit status
    assert usage.ru_maxrss / 1024 >= 160  # the parent's mark, not the child's
    own = reported_peak_rss_mb(peak_file)
    assert own is not None
    assert 5 < own < 80


def test_the_child_keeps_a_failing_modules_exit_status_and_still_reports(
    tmp_path: Path,
) -> None:
    peak_file = tmp_path / "peak-rss-kb"
    done = subprocess.run(
        [sys.executable, "-m", "bench.child", "json.tool", "--no-such-option"],
        cwd=ROOT,
        env=child_env(peak_file),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 2  # argparse's usage error, passed through
    assert reported_peak_rss_mb(peak_file) is not None
    assert reported_peak_rss_mb(tmp_path / "absent") is None
