"""spec/checks.md as tables: one row per line or edge of each check, literal inputs, no I/O."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.facts import PeopleFacts, PullRequestAuthor, RepoFacts, TreeEntry
from policy import checks as policy
from tests.contract import checklist_names

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
LEAP_NOW = datetime(2028, 2, 29, 12, 0, 0, tzinfo=UTC)

COMPLIANT = RepoFacts(
    name="good-repo_1",
    visibility="PRIVATE",
    url="https://github.com/acme/good-repo_1",
    created_at="2020-01-01T00:00:00Z",
    pushed_at="2026-11-01T00:00:00Z",
    is_empty=False,
    branches_protected=(True,),
    commit_signatures=(True, True),
    root_entries=(
        TreeEntry("README.md", "blob"),
        TreeEntry("PIRR.md", "blob"),
        TreeEntry(".gitignore", "blob"),
        TreeEntry("LICENSE", "blob"),
    ),
    github_entries=(TreeEntry("CODEOWNERS", "blob"),),
    docs_entries=(),
    codeowners_owners=("@alice",),
    pull_request_authors=(),
    vulnerability_alerts_enabled=True,
    secret_scanning="enabled",
    push_protection="enabled",
)
PEOPLE = PeopleFacts(
    org="acme",
    members=frozenset({"alice", "bob"}),
    team_maintainers={"core": ("carol",), "empty": ()},
    verified_users=frozenset({"alice", "carol"}),
)


def facts(**changes: Any) -> RepoFacts:
    return dataclasses.replace(COMPLIANT, **changes)


def entries(*names: str, kind: str = "blob") -> tuple[TreeEntry, ...]:
    return tuple(TreeEntry(name, kind) for name in names)


def test_compliant_repository_breaks_no_rule() -> None:
    assert policy.checklist(COMPLIANT, PEOPLE, 1, NOW) == dict.fromkeys(policy.CHECK_NAMES, False)


def test_checklist_keys_are_the_schema_order() -> None:
    assert tuple(policy.checklist(COMPLIANT, PEOPLE, 1, NOW)) == checklist_names()
    assert checklist_names() == policy.CHECK_NAMES


@pytest.mark.parametrize(
    ("pushed_at", "created_at", "years", "now", "expected"),
    [
        ("2026-11-01T00:00:00Z", "2020-01-01T00:00:00Z", 1, NOW, False),  # recent push
        ("2025-11-30T12:00:00Z", "2020-01-01T00:00:00Z", 1, NOW, False),  # exactly 1 year
        ("2025-11-30T11:59:59Z", "2020-01-01T00:00:00Z", 1, NOW, True),  # 1 year + 1 s
        ("2025-12-01T00:00:00Z", "2020-01-01T00:00:00Z", 1, NOW, False),  # < 1 calendar year
        ("2024-11-30T12:00:01Z", "2020-01-01T00:00:00Z", 2, NOW, False),  # threshold 2
        ("2024-11-30T11:00:00Z", "2020-01-01T00:00:00Z", 2, NOW, True),
        (None, "2020-01-01T00:00:00Z", 1, NOW, True),  # never pushed: created long ago
        (None, "2026-06-01T00:00:00Z", 1, NOW, False),  # never pushed: created recently
        # 29 February: one calendar year before is 28 February 2027.
        ("2027-02-28T12:00:00Z", "2020-01-01T00:00:00Z", 1, LEAP_NOW, False),
        ("2027-02-28T11:59:59Z", "2020-01-01T00:00:00Z", 1, LEAP_NOW, True),
        ("2027-03-01T00:00:00Z", "2020-01-01T00:00:00Z", 1, LEAP_NOW, False),
        ("2024-02-29T12:00:00Z", "2020-01-01T00:00:00Z", 4, LEAP_NOW, False),
        ("2024-02-29T11:59:59Z", "2020-01-01T00:00:00Z", 4, LEAP_NOW, True),
    ],
)
def test_inactive(
    pushed_at: str | None, created_at: str, years: int, now: datetime, expected: bool
) -> None:
    subject = facts(pushed_at=pushed_at, created_at=created_at)
    assert policy.is_inactive(subject, years, now) is expected


@pytest.mark.parametrize(
    ("branches", "expected"),
    [
        ((), False),  # no branches
        ((True,), False),
        ((True, True, True), False),  # all protected (rule or ruleset)
        ((True, False, True), True),  # one unprotected
        ((False,), True),
        ((True,) * 150 + (False,), True),  # the unprotected one is beyond the first page
    ],
)
def test_unprotected_branches(branches: tuple[bool, ...], expected: bool) -> None:
    assert policy.has_unprotected_branches(facts(branches_protected=branches)) is expected


@pytest.mark.parametrize(
    ("signatures", "is_empty", "expected"),
    [
        ((True, True, True), False, False),
        ((True, None, True), False, True),  # signature null
        ((True, False), False, True),  # isValid false
        ((None,), False, True),
        ((), True, False),  # empty repository
    ],
)
def test_unsigned_commits(
    signatures: tuple[bool | None, ...], is_empty: bool, expected: bool
) -> None:
    subject = facts(commit_signatures=signatures, is_empty=is_empty)
    assert policy.has_unsigned_commits(subject) is expected


@pytest.mark.parametrize(
    ("root", "github", "docs", "expected"),
    [
        (entries("README.md"), (), (), False),
        (entries("README"), (), (), False),
        (entries("readme.md"), (), (), False),
        (entries("README.rst"), (), (), False),
        (entries("ReadMe.txt"), (), (), False),
        ((), entries("README.md"), (), False),  # .github/
        ((), (), entries("readme"), False),  # docs/
        (entries("READMEfoo"), (), (), True),
        (entries("README", kind="tree"), (), (), True),  # a directory named README
        (entries("my-README.md", "index.md"), (), (), True),
        ((), (), (), True),
        (entries("src"), entries("workflows", kind="tree"), (), True),
    ],
)
def test_readme_missing(
    root: tuple[TreeEntry, ...],
    github: tuple[TreeEntry, ...],
    docs: tuple[TreeEntry, ...],
    expected: bool,
) -> None:
    subject = facts(root_entries=root, github_entries=github, docs_entries=docs)
    assert policy.is_readme_missing(subject) is expected


@pytest.mark.parametrize(
    ("visibility", "root", "expected"),
    [
        ("PUBLIC", entries("LICENSE"), False),
        ("PUBLIC", entries("LICENCE"), False),
        ("PUBLIC", entries("COPYING"), False),
        ("PUBLIC", entries("license.md"), False),
        ("PUBLIC", entries("Licence.txt"), False),
        ("PUBLIC", entries("copying.LESSER"), False),
        ("PUBLIC", entries("LICENSEfoo"), True),
        ("PUBLIC", entries("LICENSE", kind="tree"), True),
        ("PUBLIC", entries("README.md"), True),
        ("PUBLIC", (), True),
        ("PRIVATE", (), False),  # private: always false
        ("INTERNAL", (), False),
    ],
)
def test_license_missing(visibility: str, root: tuple[TreeEntry, ...], expected: bool) -> None:
    subject = facts(visibility=visibility, root_entries=root)
    assert policy.is_license_missing(subject) is expected


@pytest.mark.parametrize(
    ("visibility", "root", "expected"),
    [
        ("PRIVATE", entries("PIRR.md"), False),
        ("INTERNAL", entries("pirr.MD"), False),
        ("PRIVATE", entries("PIRR.txt"), True),
        ("PRIVATE", entries("PIRR"), True),
        ("INTERNAL", (), True),
        ("PRIVATE", entries("PIRR.md", kind="tree"), True),
        ("PUBLIC", (), False),  # public: always false
    ],
)
def test_pirr_missing(visibility: str, root: tuple[TreeEntry, ...], expected: bool) -> None:
    subject = facts(visibility=visibility, root_entries=root)
    assert policy.is_pirr_missing(subject) is expected


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        (entries(".gitignore"), False),
        (entries("gitignore"), True),
        (entries(".gitignore.bak"), True),
        (entries(".gitignore", kind="tree"), True),
        ((), True),
    ],
)
def test_gitignore_missing(root: tuple[TreeEntry, ...], expected: bool) -> None:
    assert policy.is_gitignore_missing(facts(root_entries=root)) is expected


def author(typename: str, login: str) -> PullRequestAuthor:
    return PullRequestAuthor(typename, login)


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        ((), False),  # no open pull request
        ((author("User", "alice"),), False),  # member
        ((author("User", "Alice"),), False),  # logins are case-insensitive
        ((author("User", "mallory"),), True),  # non-member
        ((author("Bot", "dependabot"),), False),  # GraphQL Bot
        ((author("User", "renovate[bot]"),), False),  # [bot] login
        ((None,), False),  # deleted account (no author)
        ((author("User", "ghost"),), False),  # deleted account as REST shows it
        ((author("Mannequin", "imported-user"),), True),  # not a member, not a bot
        ((author("User", "alice"), None, author("User", "eve")), True),
        ((author("User", "alice"),) * 120 + (author("User", "eve"),), True),  # beyond 100
    ],
)
def test_external_pr(authors: tuple[PullRequestAuthor | None, ...], expected: bool) -> None:
    assert policy.has_external_pr(facts(pull_request_authors=authors), PEOPLE) is expected


def test_external_pr_without_members_is_unknown_never_false() -> None:
    people = dataclasses.replace(PEOPLE, members=None, missing={"members": "no members:read"})
    subject = facts(pull_request_authors=(author("User", "eve"),))
    assert policy.has_external_pr(subject, people) == policy.Unknown("no members:read")
    # Only bots and deleted accounts: membership does not matter, the answer is known.
    bots = facts(pull_request_authors=(author("Bot", "dependabot"), None))
    assert policy.has_external_pr(bots, people) is False


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("good-repo_1", False),
        ("a", False),
        ("0-9_", False),
        ("Upper", True),
        ("has.dot", True),
        ("has space", True),
        ("caf\u00e9", True),
        ("\u0661\u0662", True),  # Arabic-Indic digits are not 0-9
        ("trailing-newline\n", True),
    ],
)
def test_naming_convention(name: str, expected: bool) -> None:
    assert policy.breaks_naming_convention(name) is expected


@pytest.mark.parametrize(
    ("visibility", "status", "expected"),
    [
        ("PUBLIC", "enabled", False),
        ("PUBLIC", "disabled", True),
        # not revealed: unknown (the checklist still says true: fail-closed)
        ("PUBLIC", None, policy.Unknown("GitHub did not reveal security_and_analysis")),
        ("PRIVATE", "disabled", False),
        ("PRIVATE", None, False),
        ("INTERNAL", "disabled", False),
    ],
)
def test_secret_scanning_and_push_protection(
    visibility: str, status: str | None, expected: policy.Verdict
) -> None:
    scanning = facts(visibility=visibility, secret_scanning=status)
    protection = facts(visibility=visibility, push_protection=status)
    assert policy.is_secret_scanning_disabled(scanning) == expected
    assert policy.is_push_protection_disabled(protection) == expected
    assert policy.is_push_protection_disabled(scanning) is False
    assert policy.is_secret_scanning_disabled(protection) is False


@pytest.mark.parametrize(("enabled", "expected"), [(True, False), (False, True)])
def test_dependabot_disabled(enabled: bool, expected: bool) -> None:
    subject = facts(vulnerability_alerts_enabled=enabled)
    assert policy.is_dependabot_disabled(subject) is expected


@pytest.mark.parametrize(
    ("owners", "codeowners_missing", "contact_missing"),
    [
        (None, True, False),  # no CODEOWNERS: only the first check fails
        ((), False, True),  # a file without owners (comments, e-mails only)
        (("@alice",), False, False),  # user with a verified-domain email
        (("@Alice",), False, False),
        (("@bob",), False, True),  # user without one
        (("@acme/core",), False, False),  # team with a maintainer who has one
        (("@acme/empty",), False, True),
        (("@other-org/core",), False, True),  # another organisation's team
        (("@bob", "@acme/core"), False, False),  # any owner suffices
    ],
)
def test_codeowners_and_point_of_contact(
    owners: tuple[str, ...] | None, codeowners_missing: bool, contact_missing: bool
) -> None:
    subject = facts(codeowners_owners=owners)
    assert policy.is_codeowners_missing(subject) is codeowners_missing
    assert policy.is_point_of_contact_missing(subject, PEOPLE) is contact_missing


def test_empty_repository_row() -> None:
    empty = facts(
        is_empty=True,
        pushed_at=None,
        created_at="2026-10-01T00:00:00Z",
        branches_protected=(),
        commit_signatures=(),
        root_entries=(),
        github_entries=(),
        docs_entries=(),
        codeowners_owners=None,
    )
    result = policy.checklist(empty, PEOPLE, 1, NOW)
    assert result["readme_missing"] and result["gitignore_missing"]
    assert result["codeowners_missing"] and not result["point_of_contact_missing"]
    assert result["pirr_missing"] and not result["license_missing"]  # private
    assert not result["unsigned_commits"] and not result["unprotected_branches"]
    public = policy.checklist(dataclasses.replace(empty, visibility="PUBLIC"), PEOPLE, 1, NOW)
    assert public["license_missing"] and not public["pirr_missing"]


_ALLOWED = "abcdefghijklmnopqrstuvwxyz0123456789-_"


@given(st.text(alphabet=_ALLOWED, min_size=1, max_size=60))
def test_names_from_the_allowed_alphabet_pass(name: str) -> None:
    assert policy.breaks_naming_convention(name) is False


@given(
    st.text(alphabet=_ALLOWED, max_size=20),
    st.characters().filter(lambda c: c not in _ALLOWED),
    st.text(alphabet=_ALLOWED, max_size=20),
)
def test_any_other_character_breaks_the_convention(prefix: str, bad: str, suffix: str) -> None:
    assert policy.breaks_naming_convention(prefix + bad + suffix) is True
