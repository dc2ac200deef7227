"""The in-memory organisation the fake GitHub serves.

Plain dataclasses, no behaviour beyond small derived properties. Tests, the
benchmark generator and the demo's sample organisation all build one of these
and hand it to ``FakeGitHub``; the fake derives every REST and GraphQL answer
from it, the way GitHub derives them from its own state.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

_ids = itertools.count(1000)


def _next_id() -> int:
    return next(_ids)


@dataclass
class Branch:
    name: str
    protection_rule: bool = False  # a classic branch protection rule matches it
    ruleset: bool = False  # an active repository or organisation ruleset applies

    @property
    def protected(self) -> bool:
        """What REST reports as ``protected`` for the branch."""
        return self.protection_rule or self.ruleset


@dataclass
class Commit:
    oid: str
    signature: str | None = None  # None: unsigned; "valid"; "invalid"


@dataclass
class PullRequest:
    number: int
    author: str | None  # login; None is a deleted account ("ghost")
    author_type: str = "User"  # "User", "Bot", "Mannequin"
    state: str = "OPEN"  # "OPEN", "CLOSED", "MERGED"


@dataclass
class Repository:
    name: str
    visibility: str = "private"  # "public", "private", "internal"
    archived: bool = False
    fork: bool = False
    is_template: bool = False
    created_at: str = "2020-01-01T00:00:00Z"
    pushed_at: str | None = "2026-11-01T00:00:00Z"  # None: never pushed
    default_branch: str | None = "main"  # None: empty repository (no commits)
    branches: list[Branch] = field(default_factory=lambda: [Branch("main", protection_rule=True)])
    # History of the default branch, newest first.
    commits: list[Commit] = field(default_factory=list)
    # Files at the default branch's HEAD: path -> text, e.g. "README.md",
    # ".github/CODEOWNERS", "docs/index.md". Directories are implied by paths.
    files: dict[str, str] = field(default_factory=dict)
    pull_requests: list[PullRequest] = field(default_factory=list)
    vulnerability_alerts: bool = True  # hasVulnerabilityAlertsEnabled
    # security_and_analysis statuses; None: GitHub does not reveal them
    # (the block is absent from the REST answer).
    secret_scanning: str | None = "enabled"  # "enabled" | "disabled" | None
    push_protection: str | None = "enabled"  # "enabled" | "disabled" | None
    id: int = field(default_factory=_next_id)
    # Rulesets (repository and organisation level) that GraphQL
    # ``Repository.rulesets(includeParents: true)`` counts, active or not. None:
    # derived, 1 when some branch has ``ruleset=True`` else 0. An explicit count
    # says "rulesets exist" without protecting anything: ones that target no
    # branch, or ones in evaluate/disabled mode.
    rulesets: int | None = None

    @property
    def is_empty(self) -> bool:
        return self.default_branch is None

    @property
    def active_rulesets(self) -> int:
        """How many of the counted rulesets protect a branch (0 or 1 in this model)."""
        return 1 if any(branch.ruleset for branch in self.branches) else 0

    @property
    def ruleset_count(self) -> int:
        """What ``rulesets { totalCount }`` answers (never below the active ones)."""
        if self.rulesets is None:
            return self.active_rulesets
        return max(self.rulesets, self.active_rulesets)


@dataclass
class Team:
    slug: str
    maintainers: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # non-maintainer members


@dataclass
class User:
    login: str
    # organizationVerifiedDomainEmails(login: <this org>)
    verified_emails: list[str] = field(default_factory=list)
    type: str = "User"  # "User" or "Bot"
    id: int = field(default_factory=_next_id)


@dataclass
class DependabotAlert:
    number: int
    repository: str
    severity: str  # "critical", "high", "medium", "low"
    created_at: str
    state: str = "open"  # "open", "dismissed", "fixed", "auto_dismissed"


@dataclass
class SecretScanningAlert:
    number: int
    repository: str
    created_at: str
    secret: str = "ghp_canary"  # GitHub only omits it when hide_secret=true
    secret_type: str = "github_personal_access_token"
    state: str = "open"  # "open", "resolved"


@dataclass
class Organization:
    login: str
    repositories: list[Repository] = field(default_factory=list)
    members: set[str] = field(default_factory=set)
    teams: list[Team] = field(default_factory=list)
    # Every user account GitHub knows of (members, outside contributors,
    # CODEOWNERS owners). A login absent here does not exist.
    users: dict[str, User] = field(default_factory=dict)
    dependabot_alerts: list[DependabotAlert] = field(default_factory=list)
    secret_scanning_alerts: list[SecretScanningAlert] = field(default_factory=list)
    # Off for the organisation (or no permission): the org alert endpoint
    # answers 403 instead of a list.
    dependabot_enabled: bool = True
    secret_scanning_enabled: bool = True
    id: int = field(default_factory=_next_id)

    def repository(self, name: str) -> Repository | None:
        for repo in self.repositories:
            if repo.name.lower() == name.lower():
                return repo
        return None

    def team(self, slug: str) -> Team | None:
        for team in self.teams:
            if team.slug == slug:
                return team
        return None
