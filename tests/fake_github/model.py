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


# Secret types GitHub lists only when ``secret_type`` names them: the generic
# (non-provider) patterns and the AI-detected ``password`` of GitHub's "Supported
# secret scanning patterns" page. Written out here independently of the logger's
# own default, so that a test comparing the two can fail.
GENERIC_DISPLAY_NAMES = {
    "ec_private_key": "EC Private Key",
    "generic_private_key": "Generic Private Key",
    "http_basic_authentication_header": "HTTP Basic Authentication Header",
    "http_bearer_authentication_header": "HTTP Bearer Authentication Header",
    "mongodb_connection_string": "MongoDB Connection String",
    "mysql_connection_url": "MySQL Connection URL",
    "openssh_private_key": "OpenSSH Private Key",
    "pgp_private_key": "PGP Private Key",
    "postgres_connection_string": "PostgreSQL Connection String",
    "rsa_private_key": "RSA Private Key",
    "password": "Password",
}
GENERIC_SECRET_TYPES = frozenset(GENERIC_DISPLAY_NAMES)

# secret_type -> (display name, provider) for the provider patterns the samples use.
SECRET_PROVIDERS: dict[str, tuple[str, str]] = {
    "github_personal_access_token": ("GitHub Personal Access Token", "GitHub"),
    "github_app_installation_access_token": ("GitHub App Installation Access Token", "GitHub"),
    "aws_access_key_id": ("Amazon AWS Access Key ID", "Amazon AWS"),
    "aws_secret_access_key": ("Amazon AWS Secret Access Key", "Amazon AWS"),
    "slack_incoming_webhook_url": ("Slack Incoming Webhook URL", "Slack"),
    "slack_api_token": ("Slack API Token", "Slack"),
    "google_api_key": ("Google API Key", "Google"),
    "stripe_api_key": ("Stripe API Key", "Stripe"),
    "azure_storage_account_key": ("Azure Storage Account Key", "Azure"),
    "npm_access_token": ("npm Access Token", "npm"),
    "openai_api_key": ("OpenAI API Key", "OpenAI"),
}

# Left out of the answer entirely: dotted paths into the alert JSON, where the
# REST description allows it (the fake checks every answer against it), e.g.
# "dependency.scope", "security_advisory.epss", "validity".
Omitted = tuple[str, ...]


@dataclass
class DependabotAlert:
    number: int
    repository: str
    severity: str  # "critical", "high", "medium", "low"
    created_at: str
    state: str = "open"  # "open", "dismissed", "fixed", "auto_dismissed"
    ecosystem: str = "npm"  # dependency.package.ecosystem: npm, pip, maven, nuget, go, ...
    package: str = ""  # "": package-{number}
    manifest_path: str = "package-lock.json"
    scope: str | None = "runtime"  # "runtime", "development" or null
    cve_id: str | None = None
    ghsa_id: str = ""  # "": derived from the repository and number
    summary: str = ""  # "": "Vulnerability in {package}"
    cvss_v3: float | None = None  # security_advisory.cvss_severities.cvss_v3.score
    cvss_v4: float | None = None  # ... .cvss_v4.score
    cvss: float = 0.0  # the legacy security_advisory.cvss.score (0.0: none)
    epss: float | None = None  # security_advisory.epss.percentage (a fraction, 0-1); None: null
    patched_version: str | None = "1.0.1"  # None: no fix (first_patched_version null)
    omit: Omitted = ()

    def __post_init__(self) -> None:
        if not self.package:
            self.package = f"package-{self.number}"
        if not self.summary:
            self.summary = f"Vulnerability in {self.package}"


@dataclass
class SecretScanningAlert:
    number: int
    repository: str
    created_at: str
    secret: str = "ghp_canary"  # GitHub only omits it when hide_secret=true
    secret_type: str = "github_personal_access_token"
    state: str = "open"  # "open", "resolved"
    # "": GitHub's name for a known type (SECRET_PROVIDERS or GENERIC_DISPLAY_NAMES,
    # else the type itself); None: absent (the description allows no null here).
    display_name: str | None = ""
    # "": SECRET_PROVIDERS' provider (None for generic types); None: null.
    provider: str | None = ""
    validity: str | None = "unknown"  # "active", "inactive", "unknown"; None: absent
    publicly_leaked: bool | None = False
    multi_repo: bool | None = False
    push_protection_bypassed: bool | None = False
    omit: Omitted = ()

    def __post_init__(self) -> None:
        known = SECRET_PROVIDERS.get(self.secret_type)
        if self.display_name == "":
            generic = GENERIC_DISPLAY_NAMES.get(self.secret_type, self.secret_type)
            self.display_name = known[0] if known else generic
        if self.provider == "":
            self.provider = known[1] if known else None

    @property
    def generic(self) -> bool:
        """Listed only when ``secret_type`` names it."""
        return self.secret_type in GENERIC_SECRET_TYPES


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
    # How GitHub reads ``secret_type``: False (the description's wording) lists
    # only the named types; True lists the default patterns plus the named ones.
    secret_type_adds_to_defaults: bool = False
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
