"""Ready-made organisations for tests, the CLI and performance checks."""

from __future__ import annotations

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


def small_org(login: str = "acme") -> Organization:
    """A handful of repositories covering the interesting cases."""
    users = {
        "alice": User("alice", verified_emails=["alice@acme.example"]),
        "bob": User("bob"),
        "mallory": User("mallory"),
        "dependabot[bot]": User("dependabot[bot]", type="Bot"),
    }
    repos = [
        Repository(
            "api",
            visibility="public",
            commits=[Commit("a" * 40, "valid"), Commit("b" * 40, None)],
            files={
                "README.md": "# api\n",
                "LICENSE": "MIT\n",
                ".gitignore": "*.pyc\n",
                ".github/CODEOWNERS": "* @alice @acme/core\n",
                "docs/index.md": "docs\n",
            },
            branches=[
                Branch("main", protection_rule=True),
                Branch("dev"),
                Branch("rel", ruleset=True),
            ],
            pull_requests=[
                PullRequest(1, "mallory"),
                PullRequest(2, "dependabot", author_type="Bot"),
                PullRequest(3, None),
                PullRequest(4, "alice", state="MERGED"),
            ],
        ),
        Repository("Legacy_Tool", archived=True, secret_scanning=None, push_protection=None),
        Repository("empty", default_branch=None, branches=[], pushed_at=None),
        Repository("internal-docs", visibility="internal", files={"PIRR.md": "x"}),
    ]
    return Organization(
        login=login,
        repositories=repos,
        members={"alice", "bob"},
        teams=[Team("core", maintainers=["alice"], members=["bob"])],
        users=users,
        dependabot_alerts=[
            DependabotAlert(
                1,
                "api",
                "critical",
                "2026-10-01T00:00:00Z",
                ecosystem="pip",
                package="django",
                manifest_path="requirements.txt",
                cve_id="CVE-2018-6188",
                cvss_v3=7.5,
                cvss_v4=8.7,
                epss=0.00045,
                patched_version="2.0.2",
            ),
            DependabotAlert(2, "api", "low", "2026-11-20T00:00:00Z", state="fixed"),
            DependabotAlert(
                1,
                "Legacy_Tool",
                "high",
                "2026-01-01T00:00:00Z",
                ecosystem="maven",
                package="org.apache.logging.log4j:log4j-core",
                manifest_path="pom.xml",
                scope=None,
                patched_version=None,
                omit=("security_advisory.epss",),
            ),
        ],
        secret_scanning_alerts=[
            SecretScanningAlert(1, "api", "2026-09-01T00:00:00Z", validity="active"),
            SecretScanningAlert(2, "api", "2026-11-01T00:00:00Z", state="resolved"),
            # A generic pattern: listed only when secret_type names it.
            SecretScanningAlert(3, "api", "2026-10-15T00:00:00Z", secret_type="rsa_private_key"),
        ],
    )


# Provider patterns only: generated organisations keep their default listing exact.
GENERATED_SECRET_TYPES = (
    "github_personal_access_token",
    "aws_access_key_id",
    "slack_api_token",
    "stripe_api_key",
)


def generated_org(repositories: int = 200, login: str = "bigco") -> Organization:
    """``repositories`` similar repositories, with alerts, members and a team."""
    members = {f"user{i}" for i in range(50)}
    users = {
        login_: User(login_, verified_emails=[f"{login_}@{login}.example"]) for login_ in members
    }
    repos = []
    for i in range(repositories):
        repos.append(
            Repository(
                f"repo-{i:05d}",
                visibility=("public", "private", "internal")[i % 3],
                archived=i % 10 == 9,
                commits=[Commit(f"{i:08x}{j:032x}", "valid" if j % 4 else None) for j in range(15)],
                files={
                    "README.md": "readme",
                    ".gitignore": "x",
                    ".github/CODEOWNERS": f"* @user{i % 50} @{login}/core\n",
                },
                branches=[Branch("main", protection_rule=True), Branch(f"feature-{i}")],
                pull_requests=[PullRequest(1, f"user{i % 50}"), PullRequest(2, "outsider")],
            )
        )
    return Organization(
        login=login,
        repositories=repos,
        members=members,
        teams=[Team("core", maintainers=["user0"], members=["user1"])],
        users=users,
        dependabot_alerts=[
            DependabotAlert(
                n,
                f"repo-{n % repositories:05d}",
                "high",
                "2026-01-01T00:00:00Z",
                ecosystem=("npm", "pip", "maven", "nuget", "go")[n % 5],
                cvss_v3=(None, 5.3, 9.8)[n % 3],
            )
            for n in range(1, repositories // 2 + 1)
        ],
        secret_scanning_alerts=[
            SecretScanningAlert(
                n,
                f"repo-{n % repositories:05d}",
                "2026-01-01T00:00:00Z",
                secret_type=GENERATED_SECRET_TYPES[n % len(GENERATED_SECRET_TYPES)],
                validity=("active", "inactive", "unknown", None)[n % 4],
            )
            for n in range(1, repositories // 4 + 1)
        ],
    )
