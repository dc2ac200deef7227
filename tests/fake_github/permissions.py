"""Which App permission gates which route and field of the fake, and where that rule comes from.

Configured per test with ``FakeGitHub(..., permissions={...})`` (the
installation's granted permissions, also what the token answer lists).
Without the permission a route needs, REST answers 403 "Resource not
accessible by integration" (GitHub's message for an App). A gated GraphQL
field answers a ``FORBIDDEN`` error and null; graphql-core spreads a null on
a non-null field up to the nearest nullable parent, as GitHub does (a
refused ``Repository.hasVulnerabilityAlertsEnabled: Boolean!`` nulls the whole
aliased repository). Without Administration the REST repository answers omit
``security_and_analysis``.

Sources: "docs" = GitHub's REST reference, the endpoint's "Fine-grained access
tokens" / "GitHub App" permission line, or the OpenAPI description's note;
"assumed" = GitHub does not document the GraphQL field's permission, so the
fake uses the permission of the REST endpoint that shows the same fact.
"""

from __future__ import annotations

from typing import Final

MSG_NO_PERMISSION: Final = "Resource not accessible by integration"

# REST route -> (permission key, source)
ROUTE_PERMISSIONS: Final[dict[str, tuple[str, str]]] = {
    "org_repos": ("metadata", "docs: List organization repositories — Metadata: read"),
    "org_members": ("members", "docs: List organization members — Members: read"),
    "repository": ("metadata", "docs: Get a repository — Metadata: read"),
    "branches": ("metadata", "docs: List branches — Metadata: read"),
    "git_blobs": ("contents", "docs: Get a blob — Contents: read"),
    "contents": ("contents", "docs: Get repository content — Contents: read"),
    "dependabot_alerts": (
        "vulnerability_alerts",
        "docs: List Dependabot alerts for an organization — Dependabot alerts: read",
    ),
    "secret_scanning_alerts": (
        "secret_scanning_alerts",
        "docs: List secret scanning alerts for an organization — Secret scanning alerts: read",
    ),
}

# REST repository answers: ``security_and_analysis`` needs admin rights.
SECURITY_AND_ANALYSIS: Final = (
    "administration",
    "docs: Get a repository (OpenAPI note): 'In order to see the security_and_analysis "
    "block for a repository you must have admin permissions for the repository'",
)

# GraphQL "Type.field" -> (permission key, source)
FIELD_PERMISSIONS: Final[dict[str, tuple[str, str]]] = {
    "Repository.hasVulnerabilityAlertsEnabled": (
        "administration",
        "assumed: REST 'Check if vulnerability alerts are enabled' needs Administration: read",
    ),
    "Ref.branchProtectionRule": (
        "administration",
        "assumed: REST 'Get branch protection' needs Administration: read",
    ),
    "Repository.object": ("contents", "assumed: REST 'Get repository content' — Contents: read"),
    "Commit.history": ("contents", "assumed: REST 'List commits' — Contents: read"),
    "Repository.pullRequests": (
        "pull_requests",
        "assumed: REST 'List pull requests' — Pull requests: read",
    ),
    "Team.members": ("members", "assumed: REST 'List team members' — Members: read"),
    "User.organizationVerifiedDomainEmails": (
        "members",
        "assumed: GitHub documents no permission for it; the fake asks Members: read",
    ),
}


def forbidden_message(type_name: str, field_name: str) -> str:
    """GitHub's words for a refused field (as it answers an App)."""
    return f"{MSG_NO_PERMISSION} ({type_name}.{field_name})"
