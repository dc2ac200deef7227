"""findings.md "Unknown" and the permission table as literal tables: no I/O, no clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from collectors.facts import PeopleFacts, PullRequestAuthor, RepoFacts, TreeEntry
from policy import checks, permissions
from policy.permissions import Needs

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)

KNOWN = RepoFacts(
    name="svc",
    visibility="PUBLIC",
    url="https://github.com/acme/svc",
    created_at="2020-01-01T00:00:00Z",
    pushed_at="2026-11-01T00:00:00Z",
    is_empty=False,
    branches_protected=(True,),
    commit_signatures=(True,),
    root_entries=(
        TreeEntry("README.md", "blob"),
        TreeEntry("LICENSE", "blob"),
        TreeEntry(".gitignore", "blob"),
    ),
    github_entries=(TreeEntry("CODEOWNERS", "blob"),),
    docs_entries=(),
    codeowners_owners=("@alice",),
    pull_request_authors=(PullRequestAuthor("User", "eve"),),
    vulnerability_alerts_enabled=True,
    secret_scanning="enabled",
    push_protection="enabled",
)
PEOPLE = PeopleFacts(
    org="acme",
    members=frozenset({"alice", "eve"}),
    team_maintainers={},
    verified_users=frozenset({"alice"}),
)
ADMIN = (
    "GitHub did not reveal security_and_analysis; the App needs Repository → Administration: read"
)


def gone(**fields: Any) -> RepoFacts:
    """KNOWN with some facts missing: ``missing`` maps fact -> reason, the rest are fields."""
    missing = fields.pop("missing")
    return dataclasses.replace(KNOWN, missing=MappingProxyType(missing), **fields)


@pytest.mark.parametrize(
    ("subject", "people", "unknown"),
    [
        (KNOWN, PEOPLE, {}),
        (
            gone(
                secret_scanning=None,
                push_protection=None,
                vulnerability_alerts_enabled=None,
                branches_protected=None,
                missing={
                    "secret_scanning": ADMIN,
                    "push_protection": ADMIN,
                    "vulnerability_alerts": "no admin",
                    "branches": "no admin",
                },
            ),
            PEOPLE,
            {
                "secret_scanning_disabled": ADMIN,
                "push_protection_disabled": ADMIN,
                "dependabot_disabled": "no admin",
                "unprotected_branches": "no admin",
            },
        ),
        # Private: the security statuses' rule does not apply, so they are never unknown.
        (
            gone(
                visibility="PRIVATE",
                secret_scanning=None,
                push_protection=None,
                missing={"secret_scanning": ADMIN, "push_protection": ADMIN},
            ),
            PEOPLE,
            {},
        ),
        # No contents: every file check and the signatures; license only because public.
        (
            gone(
                root_entries=None,
                github_entries=None,
                docs_entries=None,
                codeowners_owners=None,
                commit_signatures=None,
                missing={"files": "no contents", "commits": "no commits"},
            ),
            PEOPLE,
            {
                "readme_missing": "no contents",
                "license_missing": "no contents",
                "gitignore_missing": "no contents",
                "codeowners_missing": "no contents",
                "point_of_contact_missing": "no contents",
                "unsigned_commits": "no commits",
            },
        ),
        # Private without contents: license_missing does not apply; pirr_missing is unknown.
        (
            gone(
                visibility="PRIVATE",
                root_entries=None,
                github_entries=None,
                docs_entries=None,
                codeowners_owners=None,
                missing={"files": "no contents"},
            ),
            PEOPLE,
            {
                "readme_missing": "no contents",
                "pirr_missing": "no contents",
                "gitignore_missing": "no contents",
                "codeowners_missing": "no contents",
                "point_of_contact_missing": "no contents",
            },
        ),
        # An empty repository: no commits, no files, no branches, whatever the App may read.
        (
            gone(
                is_empty=True,
                commit_signatures=None,
                branches_protected=None,
                root_entries=None,
                github_entries=None,
                docs_entries=None,
                codeowners_owners=None,
                missing={"commits": "no commits", "files": "no files", "branches": "no admin"},
            ),
            PEOPLE,
            {},
        ),
        (
            gone(pull_request_authors=None, missing={"pull_requests": "no pulls"}),
            PEOPLE,
            {"external_pr": "no pulls"},
        ),
        (
            KNOWN,
            dataclasses.replace(PEOPLE, members=None, missing={"members": "no members"}),
            {"external_pr": "no members"},
        ),
        # Contacts unknown and no owner known to give one: unknown, not true.
        (
            KNOWN,
            dataclasses.replace(
                PEOPLE, verified_users=frozenset(), missing={"contacts": "no contacts"}
            ),
            {"point_of_contact_missing": "no contacts"},
        ),
        # A CODEOWNERS naming nobody breaks the rule whatever the contacts: known.
        (
            dataclasses.replace(KNOWN, codeowners_owners=()),
            dataclasses.replace(PEOPLE, missing={"contacts": "no contacts"}),
            {},
        ),
        (
            gone(missing={"activity": "unreadable"}),
            PEOPLE,
            {"inactive": "unreadable"},
        ),
    ],
)
def test_unknown_reasons(subject: RepoFacts, people: PeopleFacts, unknown: dict[str, str]) -> None:
    judgement = checks.judge(subject, people, 1, NOW)
    assert judgement.unknown == unknown
    for name in unknown:
        assert judgement.checklist[name] is True  # fail-closed
    assert checks.failing(judgement.checklist) == sorted(
        name for name, value in judgement.checklist.items() if value
    )


def test_unreadable_repository_with_unreported_visibility() -> None:
    """Visibility guessed from REST ``private``: the visibility rules cannot be applied."""
    subject = gone(
        visibility="PRIVATE",
        visibility_known=False,
        root_entries=None,
        github_entries=None,
        docs_entries=None,
        missing={"files": "unreadable", "visibility": "no visibility"},
    )
    unknown = checks.judge(subject, PEOPLE, 1, NOW).unknown
    assert unknown["license_missing"] == "no visibility"
    assert unknown["pirr_missing"] == "no visibility"
    assert "secret_scanning_disabled" not in unknown  # enabled: false whatever it is


@pytest.mark.parametrize(
    ("checklist", "excepted", "expected"),
    [
        ({"a": True, "b": False, "c": True}, (), ["a", "c"]),
        ({"b": True, "a": True}, ("b",), ["a"]),
        ({"a": False}, ("a",), []),
    ],
)
def test_failing(
    checklist: dict[str, bool], excepted: tuple[str, ...], expected: list[str]
) -> None:
    assert checks.failing(checklist, excepted) == expected


REPOSITORIES = Needs(
    required=("metadata:read",),
    optional=("administration:read", "contents:read", "pull_requests:read", "members:read"),
)
DEPENDABOT = Needs(required=("metadata:read", "vulnerability_alerts:read"))


@pytest.mark.parametrize(
    ("permission", "granted", "expected"),
    [
        ("administration:read", {"administration": "read"}, True),
        ("administration:read", {"administration": "write"}, True),
        ("administration:read", {"administration": "admin"}, True),
        ("administration:read", {}, False),
        ("contents:write", {"contents": "read"}, False),
        ("members:read", {"members": "none"}, False),
    ],
)
def test_is_granted(permission: str, granted: dict[str, str], expected: bool) -> None:
    assert permissions.is_granted(permission, granted) is expected


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        (
            ["administration:read"],
            {
                "administration:read": [
                    "dependabot_disabled",
                    "push_protection_disabled",
                    "secret_scanning_disabled",
                    "unprotected_branches",
                ]
            },
        ),
        (["vulnerability_alerts:read"], {"vulnerability_alerts:read": ["dependabot"]}),
        (["pull_requests:read"], {"pull_requests:read": ["external_pr"]}),
        (["members:read"], {"members:read": ["external_pr", "point_of_contact_missing"]}),
        (["metadata:read"], {"metadata:read": ["dependabot", "repositories"]}),
    ],
)
def test_affects(missing: list[str], expected: dict[str, list[str]]) -> None:
    needs = {"repositories": REPOSITORIES, "dependabot": DEPENDABOT}
    assert permissions.affects(missing, needs) == expected


def test_unavailable_facts_name_the_permission() -> None:
    facts = permissions.unavailable_facts(["administration:read"])
    assert sorted(facts) == [
        "branches",
        "push_protection",
        "secret_scanning",
        "vulnerability_alerts",
    ]
    assert facts["secret_scanning"] == ADMIN
    assert permissions.unavailable_facts([]) == {}
