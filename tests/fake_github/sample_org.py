"""The demo's built-in sample organisation, ``acme-demo``.

A few dozen repositories with the mix a real organisation has: compliant
services, forgotten prototypes, public libraries missing a licence, feature
branches nobody protected, pull requests from contractors and bots, a
CODEOWNERS file whose owners nobody can reach, an empty repository, archived
ones, and Dependabot / secret scanning alerts both fresh and overdue.

Deterministic: every timestamp is a whole number of days before midnight UTC
of the given day (today by default), so ages, and therefore every dataset,
stay the same all day and meaningful on any date.

``python -m tests.fake_github --org tests.fake_github.sample_org:build`` serves it.

The organisation keeps its accepted risks in ``.github-private`` at
``policy/exceptions.toml`` (:data:`EXCEPTIONS_SETTING`); the entries cover
every case (active, expiring soon, expired, beyond the horizon, unknown
check, unmatched, unused). :func:`build_second_run` is the same organisation
a run later, with a few things changed (:data:`SECOND_RUN_CHANGES`): what
``make demo``'s second run reports as changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fake_github.model import (
    Branch,
    Commit,
    DependabotAlert,
    Organization,
    PullRequest,
    Repository,
    SecretScanningAlert,
    Team,
    User,
)

ORG = "acme-demo"

# Org members; "alice" and "carol" have a verified-domain email, so a
# CODEOWNERS entry naming them (or a team they maintain) gives a contact.
_MEMBERS = ("alice", "bob", "carol", "dave", "erin", "frank")
_VERIFIED = {"alice": ["alice@acme-demo.example"], "carol": ["carol@acme-demo.example"]}
_OUTSIDERS = ("contractor-joe", "mallory-ext")

# What the logger must find, for the end-to-end tests (config.json defaults:
# inactivity 1 year, 15 signed commits, thresholds critical 5 / high 15 /
# medium 60 / low 90 days, secret scanning 5 days).
EXPECTED_FAILED_CHECKS: dict[str, set[str]] = {
    "billing-api": set(),
    "handbook": set(),
    "checkout-web": {"unprotected_branches"},
    "identity-service": {"unsigned_commits"},
    "batch-jobs": {"unsigned_commits"},
    "hackathon-2023": {"inactive"},
    "new-service": {"readme_missing", "pirr_missing", "gitignore_missing", "codeowners_missing"},
    "open-sdk": {"license_missing"},
    "analytics-dashboard": {"point_of_contact_missing"},
    "docs-site": {"external_pr"},
    "CustomerPortal": {"breaks_naming_convention"},
    "cli-tool": {"secret_scanning_disabled", "push_protection_disabled"},
    "edge-proxy": {"dependabot_disabled"},
    ".github-private": {"breaks_naming_convention"},
}
EXPECTED_DEPENDABOT_PAST_THRESHOLD = {"critical": 4, "high": 2, "medium": 1, "low": 2}
EXPECTED_SECRET_SCANNING_PAST_THRESHOLD = {"scratchpad", "infra-scripts", "flash-site"}

# ago(days) -> the ISO timestamp that many whole days before the sample's day.
_Ago = Callable[[int], str]

# settings.exceptions for the sample organisation (the demo's config.json sets it).
EXCEPTIONS_SETTING = {"repository": ".github-private", "path": "policy/exceptions.toml"}

# What build_second_run changes, as changes.json reports it.
SECOND_RUN_CHANGES = {
    # a check fixed: the forgotten `develop` branch is now protected
    "newly_passing": [{"repository": "checkout-web", "checks": ["unprotected_branches"]}],
    # a new failure: .gitignore deleted
    "newly_failing": [{"repository": "billing-api", "checks": ["gitignore_missing"]}],
    # an alert fixed: checkout-web's overdue high alert (number 3)
    "dependabot_gone": [f"https://github.com/{ORG}/checkout-web/security/dependabot/3"],
    # a new overdue alert: a critical one in inventory-api, 8 days old (threshold 5)
    "dependabot_new": [f"https://github.com/{ORG}/inventory-api/security/dependabot/16"],
}

_COMPLIANT_FILES_BASE = {
    "README.md": "# Service\n",
    ".gitignore": "__pycache__/\n",
    ".github/CODEOWNERS": f"* @{ORG}/platform\n",
}


def build() -> Organization:
    """The sample organisation as of today (midnight UTC)."""
    return build_for(datetime.now(UTC))


def build_with_dependabot_off() -> Organization:
    """The sample organisation with Dependabot alerts off for the whole
    organisation: its alert endpoint answers 403 and that collection fails."""
    org = build()
    org.dependabot_enabled = False
    return org


def build_for(now: datetime) -> Organization:
    """The sample organisation with every date counted back from ``now``'s day."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    def ago(days: int) -> str:
        return (day - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    repos = _everyday_services(ago) + _problem_repositories(ago) + [_policy_repository(ago, day)]
    return Organization(
        login=ORG,
        repositories=sorted(repos, key=lambda repo: repo.name.lower()),
        members=set(_MEMBERS),
        teams=[
            Team("platform", maintainers=["alice"], members=["bob", "dave"]),
            Team("web", maintainers=["carol"], members=["erin"]),
            Team("data", maintainers=["frank"], members=["dave"]),
        ],
        users=_users(),
        dependabot_alerts=_dependabot_alerts(ago),
        secret_scanning_alerts=_secret_scanning_alerts(ago),
    )


def build_second_run() -> Organization:
    """The sample organisation a run later: SECOND_RUN_CHANGES applied."""
    return build_second_run_for(datetime.now(UTC))


def build_second_run_for(now: datetime) -> Organization:
    """build_for(now) with SECOND_RUN_CHANGES applied (every age as in build_for)."""
    org = build_for(now)
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    checkout = org.repository("checkout-web")
    billing = org.repository("billing-api")
    if checkout is None or billing is None:
        raise RuntimeError("the sample organisation lost checkout-web or billing-api")
    checkout.branches = [Branch("main", protection_rule=True), Branch("develop", ruleset=True)]
    del billing.files[".gitignore"]
    for alert in org.dependabot_alerts:
        if (alert.repository, alert.number) == ("checkout-web", 3):
            alert.state = "fixed"
    created = (day - timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    org.dependabot_alerts.append(DependabotAlert(16, "inventory-api", "critical", created))
    return org


def exceptions_toml(day: datetime) -> str:
    """The sample exceptions file, its dates counted from ``day``."""

    def later(days: int) -> str:
        return (day + timedelta(days=days)).date().isoformat()

    return f"""\
# Accepted risks of {ORG}: reviewed and merged through pull requests on
# .github-private like any other change. Every key is required.

# 0: active, and in use (legacy-reports has not been pushed for three years)
[[exception]]
repositories = ["legacy-*"]
checks = ["inactive"]
reason = "Kept read-only until the 2027 audit, then archived"
approved_by = "security-team"
expires = {later(180)}

# 1: active, ends within 30 days: the digest says so
[[exception]]
repositories = ["open-sdk"]
checks = ["license_missing"]
reason = "Licence choice with legal; MIT expected"
approved_by = "legal"
expires = {later(20)}

# 2: GitHub's own special name breaks the naming convention on purpose
[[exception]]
repositories = [".github-private"]
checks = ["breaks_naming_convention"]
reason = "GitHub requires this name for the organisation's private profile"
approved_by = "security-team"
expires = {later(300)}

# 3: expired: hackathon-2023 counts as inactive again
[[exception]]
repositories = ["hackathon-*"]
checks = ["inactive"]
reason = "Conference demo"
approved_by = "cto"
expires = {later(-10)}

# 4: beyond settings.max_exception_days (366): not applied
[[exception]]
repositories = ["CustomerPortal"]
checks = ["breaks_naming_convention"]
reason = "Renaming breaks partner integrations"
approved_by = "platform-team"
expires = {later(400)}

# 5: names a check that does not exist: not applied
[[exception]]
repositories = ["docs-site"]
checks = ["external_prs"]
reason = "Contractors work through pull requests"
approved_by = "web-team"
expires = {later(60)}

# 6: matches no repository: can be removed
[[exception]]
repositories = ["mainframe-*"]
checks = ["unsigned_commits"]
reason = "Signing keys not supported on the mainframe bridge"
approved_by = "platform-team"
expires = {later(90)}

# 7: the check passes everywhere it matches: can be removed
[[exception]]
repositories = ["website"]
checks = ["codeowners_missing"]
reason = "Owned by marketing, who have no GitHub team yet"
approved_by = "web-team"
expires = {later(90)}
"""


def _policy_repository(ago: _Ago, day: datetime) -> Repository:
    """``.github-private``: where the organisation keeps its exceptions file."""
    files = {
        **_COMPLIANT_FILES_BASE,
        "PIRR.md": "Reviewed.\n",
        "policy/exceptions.toml": exceptions_toml(day),
    }
    return _service(".github-private", ago, files=files)


def _users() -> dict[str, User]:
    users = {login: User(login, verified_emails=_VERIFIED.get(login, [])) for login in _MEMBERS}
    users.update({login: User(login) for login in _OUTSIDERS})
    users["dependabot[bot]"] = User("dependabot[bot]", type="Bot")
    users["renovate[bot]"] = User("renovate[bot]", type="Bot")
    return users


def _oid(repo: str, index: int) -> str:
    return hashlib.sha1(f"{repo}/{index}".encode(), usedforsecurity=False).hexdigest()


def _signed_history(repo: str, count: int = 20) -> list[Commit]:
    return [Commit(_oid(repo, i), "valid") for i in range(count)]


def _service(name: str, ago: _Ago, **overrides: object) -> Repository:
    """A repository that passes every check unless ``overrides`` say otherwise."""
    visibility = str(overrides.get("visibility", "private"))
    files = dict(_COMPLIANT_FILES_BASE)
    files["LICENSE" if visibility == "public" else "PIRR.md"] = "See the policy wiki.\n"
    fields: dict[str, object] = {
        "visibility": visibility,
        "created_at": ago(900),
        "pushed_at": ago(3),
        "branches": [Branch("main", protection_rule=True), Branch("release", ruleset=True)],
        "commits": _signed_history(name),
        "files": files,
        "pull_requests": [PullRequest(7, "bob"), PullRequest(8, "dependabot", author_type="Bot")],
    }
    fields.update(overrides)
    return Repository(name, **fields)  # type: ignore[arg-type]  # checked by the dataclass


def _unsigned_at(repo: str, index: int) -> list[Commit]:
    """A signed history with one unsigned commit at ``index`` (0 is the newest)."""
    return [
        Commit(commit.oid, None if i == index else commit.signature)
        for i, commit in enumerate(_signed_history(repo))
    ]


def _everyday_services(ago: _Ago) -> list[Repository]:
    """Mostly compliant services with the slips every organisation has: a
    forgotten `develop` branch without protection, an unsigned commit."""
    names = [
        "billing-api",
        "checkout-web",
        "identity-service",
        "inventory-api",
        "notifications",
        "payments-gateway",
        "search-indexer",
        "shipping-api",
        "ledger",
        "feature-flags",
        "metrics-exporter",
        "terraform-modules",
    ]
    repos = []
    for i, name in enumerate(names):
        slips: dict[str, object] = {}
        if i % 3 == 1:
            slips["branches"] = [Branch("main", protection_rule=True), Branch("develop")]
        if i % 4 == 2:
            slips["commits"] = _unsigned_at(name, 4 + i)
        repos.append(_service(name, ago, created_at=ago(400 + 37 * i), **slips))
    repos.append(
        _service(
            "design-system",
            ago,
            visibility="public",
            files={
                "README.md": "# Design system\n",
                "LICENSE": "Apache-2.0\n",
                ".gitignore": "node_modules/\n",
                ".github/CODEOWNERS": f"* @{ORG}/web\n",
            },
        )
    )
    repos.append(
        _service(
            "handbook",
            ago,
            visibility="internal",
            files={
                "docs/README.md": "# Handbook\n",
                "PIRR.md": "Reviewed.\n",
                ".gitignore": "site/\n",
                "docs/CODEOWNERS": "* @carol\n",
            },
        )
    )
    return repos


def _problem_repositories(ago: _Ago) -> list[Repository]:
    files = _COMPLIANT_FILES_BASE
    return [
        # Last pushed three years ago.
        _service("legacy-reports", ago, pushed_at=ago(3 * 365 + 10), created_at=ago(2000)),
        # Abandoned two years ago, a week after it was created.
        _service("hackathon-2023", ago, pushed_at=ago(790), created_at=ago(800)),
        # Feature branches without protection (one of several pages' worth).
        _service(
            "mobile-app",
            ago,
            branches=[Branch("main", protection_rule=True)]
            + [Branch(f"feature/screen-{i:02d}") for i in range(12)],
        ),
        _service("data-pipeline", ago, branches=[Branch("main"), Branch("dev")]),
        # Unsigned and badly signed commits among the latest 15.
        _service(
            "ml-models",
            ago,
            commits=_unsigned_at("ml-models", 0),
        ),
        _service(
            "batch-jobs",
            ago,
            commits=[
                Commit(commit.oid, "invalid" if i == 9 else commit.signature)
                for i, commit in enumerate(_signed_history("batch-jobs"))
            ],
        ),
        # Files missing.
        _service(
            "scratchpad",
            ago,
            files={".gitignore": "*\n", "PIRR.md": "x\n", ".github/CODEOWNERS": "* @alice\n"},
        ),
        _service(
            "open-sdk",
            ago,
            visibility="public",
            files={"README.md": "# SDK\n", ".gitignore": "dist/\n", "CODEOWNERS": "* @alice\n"},
        ),
        _service(
            "vendor-portal",
            ago,
            files={
                "README.md": "# Portal\n",
                ".gitignore": "x\n",
                ".github/CODEOWNERS": "* @bob\n",
            },
        ),
        _service(
            "infra-scripts",
            ago,
            files={"README.md": "# Scripts\n", "PIRR.md": "x\n"},
        ),
        # CODEOWNERS present but nobody reachable: bob and the data team's
        # maintainer have no verified-domain email; e-mail owners do not count.
        _service(
            "analytics-dashboard",
            ago,
            files={
                **files,
                "PIRR.md": "Reviewed.\n",
                ".github/CODEOWNERS": f"# owners\n* @bob @{ORG}/data ops@acme-demo.example\n",
            },
        ),
        # Open pull requests from people outside the organisation.
        _service(
            "docs-site",
            ago,
            visibility="public",
            files={**files, "LICENSE": "CC-BY-4.0\n"},
            pull_requests=[
                PullRequest(41, "contractor-joe"),
                PullRequest(42, "renovate", author_type="Bot"),
                PullRequest(43, None),
            ],
        ),
        _service(
            "partner-integration",
            ago,
            pull_requests=[PullRequest(3, "mallory-ext"), PullRequest(4, "alice")],
        ),
        # Names outside [a-z0-9_-].
        _service("CustomerPortal", ago),
        _service("legacy.tools", ago),
        # Public repositories with GitHub's secret protection switched off.
        _service(
            "cli-tool",
            ago,
            visibility="public",
            secret_scanning="disabled",
            push_protection="disabled",
        ),
        _service("website", ago, visibility="public", push_protection="disabled"),
        # Dependabot alerts switched off.
        _service("edge-proxy", ago, vulnerability_alerts=False),
        # A fork and a template (both audited like any repository).
        _service(
            "forked-lib", ago, visibility="public", fork=True, files={**files, "LICENSE": "MIT\n"}
        ),
        _service("service-template", ago, is_template=True),
        # An empty repository: no commits, no branches, no files.
        Repository(
            "new-service",
            created_at=ago(6),
            pushed_at=None,
            default_branch=None,
            branches=[],
            vulnerability_alerts=True,
        ),
        # Archived: not in repositories.json, but their alerts still count.
        _service("old-monolith", ago, archived=True, pushed_at=ago(1500)),
        _service("flash-site", ago, archived=True, visibility="public", pushed_at=ago(2500)),
    ]


def _dependabot_alerts(ago: _Ago) -> list[DependabotAlert]:
    # (repository, severity, age in days, state, advisory details); thresholds in
    # config.json are critical 5, high 15, medium 60, low 90 days.
    rows: list[tuple[str, str, int, str, dict[str, Any]]] = [
        ("billing-api", "critical", 2, "open", _NPM_LODASH),
        ("billing-api", "critical", 12, "open", _PIP_DJANGO),
        ("checkout-web", "high", 40, "open", _NPM_AXIOS),
        ("checkout-web", "high", 5, "open", _NPM_LODASH),
        ("checkout-web", "medium", 75, "open", {**_NPM_AXIOS, "scope": "development"}),
        ("data-pipeline", "low", 200, "open", {**_PIP_DJANGO, "omit": ("dependency.scope",)}),
        ("data-pipeline", "low", 30, "open", _PIP_DJANGO),
        ("legacy-reports", "critical", 420, "open", _MAVEN_LOG4J),
        ("legacy-reports", "high", 380, "open", {**_MAVEN_LOG4J, "patched_version": None}),
        ("mobile-app", "medium", 20, "open", _GO_NET),
        ("mobile-app", "high", 90, "fixed", _GO_NET),
        ("old-monolith", "critical", 700, "open", _NUGET_JSON),
        ("old-monolith", "medium", 640, "dismissed", _NUGET_JSON),
        ("payments-gateway", "critical", 6, "open", _RUBY_RAILS),
        ("website", "low", 91, "open", {**_NPM_LODASH, "epss": None, "cvss_v4": None}),
    ]
    return [
        DependabotAlert(number, repository, severity, ago(days), state, **details)
        for number, (repository, severity, days, state, details) in enumerate(rows, start=1)
    ]


# Realistic advisories (ecosystem, package, manifest, scope, CVE, CVSS v3/v4, EPSS, fix).
_NPM_LODASH: dict[str, Any] = {
    "ecosystem": "npm",
    "package": "lodash",
    "manifest_path": "package-lock.json",
    "cve_id": "CVE-2021-23337",
    "summary": "Command injection in lodash",
    "cvss_v3": 7.2,
    "cvss_v4": 8.6,
    "cvss": 7.2,
    "epss": 0.0123,
    "patched_version": "4.17.21",
}
_NPM_AXIOS: dict[str, Any] = {
    "ecosystem": "npm",
    "package": "axios",
    "manifest_path": "web/package-lock.json",
    "cve_id": "CVE-2023-45857",
    "summary": "Axios leaks the XSRF-TOKEN to any host",
    "cvss_v3": 6.5,
    "cvss": 6.5,
    "epss": 0.0009,
    "patched_version": "1.6.0",
}
_PIP_DJANGO: dict[str, Any] = {
    "ecosystem": "pip",
    "package": "django",
    "manifest_path": "requirements.txt",
    "cve_id": "CVE-2018-6188",
    "summary": "Django exposes whether a user account is inactive",
    "cvss_v3": 7.5,
    "cvss_v4": 8.7,
    "cvss": 7.5,
    "epss": 0.00045,
    "patched_version": "2.0.2",
}
_MAVEN_LOG4J: dict[str, Any] = {
    "ecosystem": "maven",
    "package": "org.apache.logging.log4j:log4j-core",
    "manifest_path": "pom.xml",
    "scope": None,
    "cve_id": "CVE-2021-44228",
    "summary": "Remote code injection in Log4j",
    "cvss_v3": 10.0,
    "cvss": 10.0,
    "epss": 0.97,
    "patched_version": "2.15.0",
}
_GO_NET: dict[str, Any] = {
    "ecosystem": "go",
    "package": "golang.org/x/net",
    "manifest_path": "go.mod",
    "cve_id": "CVE-2023-44487",
    "summary": "HTTP/2 rapid reset can cause excessive work in net/http",
    "cvss_v3": 5.3,
    "epss": 0.8,
    "patched_version": "0.17.0",
}
_NUGET_JSON: dict[str, Any] = {
    "ecosystem": "nuget",
    "package": "Newtonsoft.Json",
    "manifest_path": "src/Monolith/Monolith.csproj",
    "summary": "Improper handling of exceptional conditions in Newtonsoft.Json",
    "cvss_v3": 7.5,
    "cvss": 7.5,
    "patched_version": "13.0.1",
    "omit": ("security_advisory.epss",),
}
_RUBY_RAILS: dict[str, Any] = {
    "ecosystem": "rubygems",
    "package": "rails",
    "manifest_path": "Gemfile.lock",
    "cve_id": "CVE-2024-26143",
    "summary": "Possible XSS vulnerability in Rails",
    "cvss_v3": 6.1,
    "epss": 0.002,
    "patched_version": "7.1.3.1",
}


def _secret_scanning_alerts(ago: _Ago) -> list[SecretScanningAlert]:
    # (repository, age in days, state, secret type, flags); threshold 5 days.
    # Generic patterns (rsa_private_key, password, ...) have no provider.
    rows: list[tuple[str, int, str, str, dict[str, Any]]] = [
        ("docs-site", 2, "open", "github_personal_access_token", {"validity": "active"}),
        (
            "scratchpad",
            45,
            "open",
            "aws_access_key_id",
            {"validity": "active", "publicly_leaked": True, "multi_repo": True},
        ),
        (
            "infra-scripts",
            9,
            "open",
            "slack_incoming_webhook_url",
            {"validity": "inactive", "push_protection_bypassed": True},
        ),
        ("infra-scripts", 300, "resolved", "github_personal_access_token", {}),
        ("flash-site", 1200, "open", "google_api_key", {"validity": None, "omit": ("multi_repo",)}),
        ("infra-scripts", 33, "open", "rsa_private_key", {}),
        ("docs-site", 1, "open", "password", {}),
        (
            "scratchpad",
            70,
            "open",
            "postgres_connection_string",
            {"omit": ("validity", "publicly_leaked", "push_protection_bypassed")},
        ),
    ]
    return [
        SecretScanningAlert(
            number,
            repository,
            ago(days),
            secret=f"demo-sample-secret-{number}-not-real",
            secret_type=secret_type,
            state=state,
            **flags,
        )
        for number, (repository, days, state, secret_type, flags) in enumerate(rows, start=1)
    ]
