"""The permission preflight and honest unknowns, end to end against the fake GitHub.

An App installed without Administration: read, without Dependabot alerts: read,
and repositories GitHub cannot answer about: the run still says exactly what it
knows, names what it does not, and never replaces good data with a page of
unknowns.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import handler
from datalogger.errors import RunFailed
from github_client import ManualClock
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.auth import DEFAULT_PERMISSIONS
from tests.fake_github.model import Organization
from tests.fake_github.samples import generated_org
from tests.fixtures.org60 import (
    ORG,
    build_org60,
    expected_repositories,
    repo,
    unreadable_unknown,
)
from tests.runtime_support import RUN_START, handler_env, json_log_lines

Factory = Callable[..., FakeGitHub]
ADMIN_CHECKS = [
    "dependabot_disabled",
    "push_protection_disabled",
    "secret_scanning_disabled",
    "unprotected_branches",
]


def without(*keys: str) -> dict[str, str]:
    return {key: value for key, value in DEFAULT_PERMISSIONS.items() if key not in keys}


def run_logger(
    fake: FakeGitHub, tmp_path: Path, key: str, **env: str
) -> tuple[dict[str, Any] | None, BaseException | None, list[dict[str, Any]]]:
    """One handler run in local mode; (summary or None, error or None, log lines)."""
    environment = handler_env(tmp_path, fake.url, key, GITHUB_ORG=fake.org.login, **env)
    stream = io.StringIO()
    clock = ManualClock(start=RUN_START.timestamp())
    services = handler.Services(env=environment, clock=clock, log_stream=stream)
    try:
        return handler.run({}, None, services), None, json_log_lines(stream)
    except Exception as exc:  # noqa: BLE001 - the test inspects whatever the run raised
        return None, exc, json_log_lines(stream)


def output(tmp_path: Path, name: str) -> Any:
    return json.loads((tmp_path / "output" / name).read_bytes())


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory, app_private_key: str) -> Path:
    """acme60 with every permission: the reference outputs."""
    tmp_path = tmp_path_factory.mktemp("full")
    with FakeGitHub(build_org60(), clock=ManualClock(RUN_START.timestamp())) as fake:
        summary, error, _ = run_logger(fake, tmp_path, app_private_key)
    assert error is None and summary is not None
    assert summary["permissions"]["missing"] == []
    return tmp_path


def test_fake_refuses_a_gated_graphql_field_as_github_does(
    fake_github: Factory, app_private_key: str
) -> None:
    """FORBIDDEN + null, spreading to the nearest nullable parent (the aliased repository
    for the non-null ``hasVulnerabilityAlertsEnabled``, only the field for the nullable
    ``branchProtectionRule``); REST drops ``security_and_analysis``."""
    from tests.fixtures.clients import connected_client  # noqa: PLC0415

    clock = ManualClock(RUN_START.timestamp())
    fake = fake_github(build_org60(), clock=clock, permissions=without("administration"))
    client = connected_client(fake, clock)
    query = (
        'query($o: String!) { a: repository(owner: $o, name: "Bad_Name") '
        "{ name hasVulnerabilityAlertsEnabled } "
        'b: repository(owner: $o, name: "Bad_Name") '
        '{ name refs(refPrefix: "refs/heads/", first: 1) '
        "{ nodes { name branchProtectionRule { id } } } } }"
    )
    answer = client.graphql(query, {"o": ORG}, allow_partial=True)
    assert answer.data is not None
    assert answer.data["a"] is None
    assert answer.data["b"]["name"] == "Bad_Name"
    assert answer.data["b"]["refs"]["nodes"][0]["branchProtectionRule"] is None
    kinds = {(error["type"], tuple(error["path"])) for error in answer.errors}
    assert ("FORBIDDEN", ("a", "hasVulnerabilityAlertsEnabled")) in kinds
    assert ("FORBIDDEN", ("b", "refs", "nodes", 0, "branchProtectionRule")) in kinds
    listed = list(client.paginate(f"/orgs/{ORG}/repos", {"per_page": 100}))
    assert listed and not any("security_and_analysis" in item for item in listed)
    assert fake.permissions == without("administration")


def test_without_administration_the_run_succeeds_with_named_unknowns(
    fake_github: Factory, app_private_key: str, tmp_path: Path, full_run: Path
) -> None:
    fake = fake_github(
        build_org60(),
        clock=ManualClock(RUN_START.timestamp()),
        permissions=without("administration"),
    )
    summary, error, _ = run_logger(fake, tmp_path, app_private_key)
    assert error is None and summary is not None
    assert summary["status"] == "succeeded"
    assert summary["permissions"]["missing"] == ["administration:read"]
    assert summary["permissions"]["affects"] == {"administration:read": ADMIN_CHECKS}
    assert "administration" not in summary["permissions"]["granted"]
    repositories = summary["collections"]["repositories"]
    assert any("administration:read" in warning for warning in repositories["warnings"])

    records = output(tmp_path, "repositories.json")
    expected = expected_repositories()
    assert [r["name"] for r in records] == [r["name"] for r in expected]  # every repository
    reason = "the App needs Repository → Administration: read"
    for record, want in zip(records, expected, strict=True):
        for check, value in record["checklist"].items():
            if check in record["unknown"]:
                assert value is True, (record["name"], check)  # fail-closed
                assert reason in record["unknown"][check]
            else:
                assert value == want["checklist"][check], (record["name"], check)
        assert "dependabot_disabled" in record["unknown"]
        # An empty repository has no branch: that rule's answer needs no permission.
        empty = record["name"].startswith("empty-")
        assert ("unprotected_branches" in record["unknown"]) is not empty
        public = record["type"] == "PUBLIC"
        assert ("secret_scanning_disabled" in record["unknown"]) is public
        assert record["failing"] == sorted(c for c, v in record["checklist"].items() if v)
    assert repositories["unknown_repositories"] == len(records)
    # The other datasets are exactly those of a run with every permission.
    for name in ("dependabot.json", "secret_scanning.json"):
        assert (tmp_path / "output" / name).read_bytes() == (
            full_run / "output" / name
        ).read_bytes()
    assert "branchProtectionRule" not in str(fake.stats.log)  # no refused field asked
    assert not any(entry.status == 403 for entry in fake.stats.log)


def test_without_dependabot_alerts_that_collection_fails_at_once(
    fake_github: Factory, app_private_key: str, tmp_path: Path
) -> None:
    fake = fake_github(
        build_org60(),
        clock=ManualClock(RUN_START.timestamp()),
        permissions=without("vulnerability_alerts"),
    )
    previous = tmp_path / "output" / "dependabot.json"
    previous.parent.mkdir(parents=True)
    previous.write_bytes(b"[ ]\n")
    _, error, _ = run_logger(fake, tmp_path, app_private_key)
    assert isinstance(error, RunFailed)
    assert list(error.failed) == ["dependabot"]
    assert "vulnerability_alerts:read" in error.failed["dependabot"]
    assert "Dependabot alerts: read" in error.failed["dependabot"]
    assert fake.stats.by_route["dependabot_alerts"] == 0  # no request GitHub would refuse
    assert previous.read_bytes() == b"[ ]\n"
    written = output(tmp_path, "run_summary.json")
    assert written["permissions"]["missing"] == ["vulnerability_alerts:read"]
    assert written["permissions"]["affects"] == {"vulnerability_alerts:read": ["dependabot"]}
    assert written["collections"]["repositories"]["status"] == "succeeded"
    assert written["collections"]["secret_scanning"]["status"] == "succeeded"


def test_unreadable_repositories_are_written_with_unknowns(
    fake_github: Factory, app_private_key: str, tmp_path: Path, full_run: Path
) -> None:
    """One repository answering 502 at every batch size, one NOT_FOUND forever."""
    faults = Faults(graphql_unanswerable={"readme-rst"}, graphql_not_found={"Bad_Name"})
    fake = fake_github(build_org60(), faults, clock=ManualClock(RUN_START.timestamp()))
    summary, error, _ = run_logger(fake, tmp_path, app_private_key)
    assert error is None and summary is not None
    block = summary["collections"]["repositories"]
    assert block["status"] == "succeeded"
    named = "\n".join(block["warnings"])
    assert "readme-rst" in named and "Bad_Name" in named and "NOT_FOUND twice" in named
    records = {r["name"]: r for r in output(tmp_path, "repositories.json")}
    reference = {r["name"]: r for r in output(full_run, "repositories.json")}
    assert sorted(records) == sorted(reference)
    for name in ("readme-rst", "Bad_Name"):
        unknown = set(records[name]["unknown"])
        assert unknown == unreadable_unknown(records[name]["type"]), name
        assert all(records[name]["checklist"][check] for check in unknown)
    for name, record in records.items():
        if name not in ("readme-rst", "Bad_Name"):
            assert record == reference[name]
    assert block["unknown_repositories"] == 3  # the two, and ss-unrevealed-public


def test_seven_unreadable_of_eighty_fail_the_collection_and_keep_the_old_file(
    fake_github: Factory, app_private_key: str, tmp_path: Path
) -> None:
    org = generated_org(80, login="eighty")
    for repository in org.repositories:
        repository.archived = False
    names = [repository.name for repository in org.repositories]
    assert len(names) == 80
    faults = Faults(graphql_unanswerable=set(names[:4]), graphql_not_found=set(names[4:7]))
    fake = fake_github(org, faults, clock=ManualClock(RUN_START.timestamp()))
    old = tmp_path / "output" / "repositories.json"
    old.parent.mkdir(parents=True)
    old.write_bytes(b'[{"name": "last week"}]\n')
    summary, error, _ = run_logger(fake, tmp_path, app_private_key)
    assert isinstance(error, RunFailed)
    assert list(error.failed) == ["repositories"]
    assert "could not answer about 7 of 80 active" in error.failed["repositories"]
    assert summary is None
    assert old.read_bytes() == b'[{"name": "last week"}]\n'


def sparse_org() -> Organization:
    """acme60 plus one CODEOWNERS file over 512,000 bytes (read whole as a REST blob)."""
    org = build_org60()
    huge = "/src/** @bob\n" * 50_000 + "/last @alice\n"
    org.repositories.append(
        repo("huge-codeowners", drop=(".github/CODEOWNERS",), add={"docs/CODEOWNERS": huge})
    )
    return org


@pytest.fixture(scope="module")
def sparse_reference(tmp_path_factory: pytest.TempPathFactory, app_private_key: str) -> Path:
    tmp_path = tmp_path_factory.mktemp("sparse-reference")
    with FakeGitHub(sparse_org(), clock=ManualClock(RUN_START.timestamp())) as fake:
        summary, error, _ = run_logger(fake, tmp_path, app_private_key)
        assert fake.stats.by_route["git_blobs"] == 1
    assert error is None and summary is not None
    return tmp_path


# Every optional or nullable field the runtime reads, as GitHub's REST description allows
# it to be left out: "absent" where optional, "null" where nullable (a null where the
# description forbids one would be a contract violation of the fake itself).
SPARSE_CASES = [
    ("visibility", "absent"),
    ("archived", "absent"),
    ("created_at", "absent"),
    ("created_at", "null"),
    ("pushed_at", "absent"),
    ("pushed_at", "null"),
    ("default_branch", "absent"),
    ("security_and_analysis", "absent"),
    ("security_and_analysis", "null"),
    ("security_and_analysis.secret_scanning", "absent"),
    ("security_and_analysis.secret_scanning.status", "absent"),
    ("security_and_analysis.secret_scanning_push_protection", "absent"),
    ("security_and_analysis.secret_scanning_push_protection.status", "absent"),
    ("size", "null"),  # git blob: required, nullable
]


@pytest.mark.parametrize(("field", "mode"), SPARSE_CASES)
def test_sparse_rest_answers_never_break_a_run(  # noqa: PLR0917 - fixtures and parameters
    fake_github: Factory,
    app_private_key: str,
    tmp_path: Path,
    sparse_reference: Path,
    field: str,
    mode: str,
) -> None:
    """Every optional or nullable REST field the runtime reads, served absent, then null:
    the run completes; the checks that need it are unknown, or it has its default."""
    fake = fake_github(
        sparse_org(), Faults(sparse_fields={field: mode}), clock=ManualClock(RUN_START.timestamp())
    )
    summary, error, _ = run_logger(fake, tmp_path, app_private_key)
    assert error is None and summary is not None, error
    assert summary["status"] == "succeeded"
    records = output(tmp_path, "repositories.json")
    reference = output(sparse_reference, "repositories.json")
    assert [r["name"] for r in records] == [r["name"] for r in reference]
    assert fake.stats.by_route["git_blobs"] == 1  # the blob answer was thinned too
    if field.startswith("security_and_analysis"):
        if field == "security_and_analysis":
            hidden = {"secret_scanning_disabled", "push_protection_disabled"}
        elif "push_protection" in field:
            hidden = {"push_protection_disabled"}
        else:
            hidden = {"secret_scanning_disabled"}
        for record, want in zip(records, reference, strict=True):
            if record["type"] == "PUBLIC":
                assert hidden <= set(record["unknown"]), record["name"]
                assert all(record["checklist"][check] for check in hidden)
                others = {c: v for c, v in record["checklist"].items() if c not in hidden}
                assert others == {c: want["checklist"][c] for c in others}
            else:
                assert record == want  # the rule does not apply: never unknown
    else:  # documented defaults (GraphQL answers what REST left out): the same dataset
        assert records == reference
    for name in ("dependabot.json", "secret_scanning.json"):
        assert output(tmp_path, name) == output(sparse_reference, name)


@pytest.mark.parametrize(
    ("key", "settings_name"),
    [
        ("contents", "Repository → Contents: read"),
        ("pull_requests", "Repository → Pull requests: read"),
        ("members", "Organization → Members: read"),
    ],
)
def test_every_optional_permission_only_makes_its_checks_unknown(
    fake_github: Factory, app_private_key: str, tmp_path: Path, key: str, settings_name: str
) -> None:
    fake = fake_github(
        build_org60(), clock=ManualClock(RUN_START.timestamp()), permissions=without(key)
    )
    summary, error, _ = run_logger(fake, tmp_path, app_private_key)
    assert error is None and summary is not None
    permission = f"{key}:read"
    assert summary["permissions"]["missing"] == [permission]
    affected = set(summary["permissions"]["affects"][permission])
    records = output(tmp_path, "repositories.json")
    unknown_checks = {check for record in records for check in record["unknown"]}
    assert unknown_checks - {"secret_scanning_disabled", "push_protection_disabled"} <= affected
    assert unknown_checks & affected  # the fixture exercises them
    for record in records:
        for check in set(record["unknown"]) & affected:
            assert settings_name in record["unknown"][check]
            assert record["checklist"][check] is True
    assert not any(entry.status == 403 for entry in fake.stats.log)  # nothing refused
