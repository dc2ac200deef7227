"""What GitHub says about a repository and the people behind it, before any judgement.

The collectors fill these dataclasses; :mod:`policy.checks` judges the
repository facts and :mod:`policy.alerts` the alert facts.
Nothing here is derived from a check: a field holds what GitHub answered.
Where GitHub would not say, the field is ``None`` **and** ``missing`` maps
the fact's name to one sentence saying why (naming the App permission when
that is the cause). ``None`` alone keeps its plain meaning (``pushed_at``:
never pushed; ``codeowners_owners``: no CODEOWNERS file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

BLOB = "blob"
TREE = "tree"

# Names of the facts that may be missing (keys of ``RepoFacts.missing``).
BRANCHES: Final = "branches"  # branches_protected
COMMITS: Final = "commits"  # commit_signatures
FILES: Final = "files"  # root/github/docs entries and codeowners_owners
PULL_REQUESTS: Final = "pull_requests"  # pull_request_authors
VULNERABILITY_ALERTS: Final = "vulnerability_alerts"  # vulnerability_alerts_enabled
SECRET_SCANNING: Final = "secret_scanning"  # noqa: S105 - a fact name: secret scanning status
PUSH_PROTECTION: Final = "push_protection"  # push_protection status
ACTIVITY: Final = "activity"  # created_at / pushed_at (GraphQL)
VISIBILITY: Final = "visibility"
# Every fact read through GraphQL (one unreadable repository loses them all).
GRAPHQL_FACTS: Final = (
    ACTIVITY,
    BRANCHES,
    COMMITS,
    FILES,
    PULL_REQUESTS,
    VULNERABILITY_ALERTS,
)
# People facts (keys of ``PeopleFacts.missing``).
MEMBERS: Final = "members"
CONTACTS: Final = "contacts"  # team maintainers and verified-domain e-mails


def _nothing_missing() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a directory at the default branch's HEAD."""

    name: str
    type: str  # "blob" (file or symlink), "tree" (directory), "commit" (submodule)


@dataclass(frozen=True)
class PullRequestAuthor:
    """The author of an open pull request (a deleted account has none: ``None``)."""

    typename: str  # GraphQL __typename: "User", "Bot", "Mannequin", "Organization", ...
    login: str


@dataclass(frozen=True)
class RepoFacts:
    """Everything the 14 checks need about one repository."""

    name: str
    visibility: str  # "PUBLIC" | "PRIVATE" | "INTERNAL"
    url: str
    created_at: str | None  # as GitHub returns it, e.g. "2020-01-01T00:00:00Z"
    pushed_at: str | None  # None: never pushed
    is_empty: bool  # no default branch, so no commits and no files
    # One flag per branch (every page): a branch protection rule or a ruleset applies.
    branches_protected: tuple[bool, ...] | None
    # The latest commits of the default branch, newest first: the signature's
    # ``isValid``, or None when the commit has no signature.
    commit_signatures: tuple[bool | None, ...] | None
    root_entries: tuple[TreeEntry, ...] | None
    github_entries: tuple[TreeEntry, ...] | None  # .github/ (empty when absent)
    docs_entries: tuple[TreeEntry, ...] | None  # docs/ (empty when absent)
    # Owners of the CODEOWNERS file GitHub uses (.github/, then root, then
    # docs/); None when there is no such file (or FILES is missing).
    codeowners_owners: tuple[str, ...] | None
    # Authors of every open pull request; None for a deleted account.
    pull_request_authors: tuple[PullRequestAuthor | None, ...] | None
    vulnerability_alerts_enabled: bool | None
    # security_and_analysis statuses from the REST listing; None: not revealed.
    secret_scanning: str | None
    push_protection: str | None
    # fact name -> why GitHub did not say (see the constants above).
    missing: Mapping[str, str] = field(default_factory=_nothing_missing)
    # Whether ``visibility`` is GitHub's word (False: derived from REST ``private``).
    visibility_known: bool = True


@dataclass(frozen=True)
class PeopleFacts:
    """What the organisation says about people, looked up once per run.

    Logins, slugs and owners are lower case. ``members`` is None when it was
    not needed (no open pull request had a human author) or is missing.
    """

    org: str
    members: frozenset[str] | None
    # Maintainer logins of each ``@org/team`` slug named in a CODEOWNERS file
    # (() for a team that does not exist).
    team_maintainers: Mapping[str, tuple[str, ...]]
    # Logins (of CODEOWNERS users and team maintainers) with a verified-domain
    # e-mail for the organisation.
    verified_users: frozenset[str]
    missing: Mapping[str, str] = field(default_factory=_nothing_missing)


# --- alerts -------------------------------------------------------------------
#
# What one organisation alert says, read field by field from GitHub's answer.
# The identifying fields (number, URLs, creation time, state, repository) are
# required: without them there is no record to write, and their absence is an
# UnexpectedAnswerError. Every other field is ``None`` when GitHub omits it or
# sends null, as the OpenAPI description allows. The secret itself is never
# read.


@dataclass(frozen=True)
class AlertFacts:
    """What identifies an alert of either kind (collectors.alerts.AlertIdentity)."""

    number: int
    html_url: str
    # Dependabot: "open", "dismissed", "fixed", "auto_dismissed";
    # secret scanning: "open", "resolved".
    state: str
    created_at: str
    repository: str  # repository.name
    repository_url: str  # repository.html_url


@dataclass(frozen=True)
class DependabotAlertFacts(AlertFacts):
    """One Dependabot alert of ``GET /orgs/{org}/dependabot/alerts``."""

    severity: str  # security_advisory.severity
    ghsa_id: str | None
    cve_id: str | None
    summary: str | None
    package_ecosystem: str | None  # dependency.package.ecosystem
    package_name: str | None  # dependency.package.name
    manifest_path: str | None
    scope: str | None  # "runtime", "development"
    patched_version: str | None  # security_vulnerability.first_patched_version.identifier
    cvss_v4: float | None  # security_advisory.cvss_severities.cvss_v4.score
    cvss_v3: float | None  # security_advisory.cvss_severities.cvss_v3.score
    cvss: float | None  # security_advisory.cvss.score (the older single score)
    epss_percentage: float | None  # security_advisory.epss.percentage


@dataclass(frozen=True)
class SecretScanningAlertFacts(AlertFacts):
    """One secret scanning alert of ``GET /orgs/{org}/secret-scanning/alerts``."""

    secret_type: str
    secret_type_display_name: str | None
    provider: str | None  # None for generic (non-provider) patterns
    validity: str | None  # "active", "inactive", "unknown"
    publicly_leaked: bool | None
    multi_repo: bool | None
    push_protection_bypassed: bool | None
