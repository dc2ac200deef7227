"""Alert objects padded to the size GitHub really sends (``--github-sized-alerts``).

The fake's alert objects carry every field GitHub's REST description
requires (5-6 kB of JSON). GitHub's also carry optional ones (a longer
advisory text, CVSS severities, EPSS, more references), about 6-8 kB. The
counting proxy can pad every alert it forwards with fields of that shape and
size, so that the benchmark measures the handler's memory against realistic
pages. The padding never changes a field the
logger reads.
"""

from __future__ import annotations

import json
from typing import Any

_REPO_URL_FIELDS = [
    "archive_url",
    "assignees_url",
    "blobs_url",
    "branches_url",
    "collaborators_url",
    "comments_url",
    "commits_url",
    "compare_url",
    "contents_url",
    "contributors_url",
    "deployments_url",
    "downloads_url",
    "events_url",
    "forks_url",
    "git_commits_url",
    "git_refs_url",
    "git_tags_url",
    "issue_comment_url",
    "issue_events_url",
    "issues_url",
    "keys_url",
    "labels_url",
    "languages_url",
    "merges_url",
    "milestones_url",
    "notifications_url",
    "pulls_url",
    "releases_url",
    "stargazers_url",
    "statuses_url",
    "subscribers_url",
    "subscription_url",
    "tags_url",
    "teams_url",
    "trees_url",
    "hooks_url",
]
_OWNER_URL_FIELDS = [
    "avatar_url",
    "url",
    "html_url",
    "followers_url",
    "following_url",
    "gists_url",
    "starred_url",
    "subscriptions_url",
    "organizations_url",
    "repos_url",
    "events_url",
    "received_events_url",
]
_DESCRIPTION = (
    "### Impact\nA crafted input makes the parser allocate without bound, letting a remote "
    "attacker exhaust memory and crash the process. Versions before the fix are affected when "
    "untrusted data reaches the vulnerable function.\n\n### Patches\nUpgrade to the first "
    "patched version. Users who cannot upgrade should validate input length first.\n\n"
    "### Workarounds\nNone known.\n\n### References\n"
) * 3


def _repository_padding(repository: dict[str, Any]) -> dict[str, Any]:
    base = str(repository.get("html_url", "https://github.com/o/r")).replace(
        "https://github.com/", "https://api.github.com/repos/"
    )
    owner: dict[str, Any] = {name: f"{base}/owner/{name}" for name in _OWNER_URL_FIELDS}
    owner |= {"login": "bench-org", "id": 1, "node_id": "O_kgDOA", "type": "Organization"}
    padding: dict[str, Any] = {name: f"{base}/{name}{{/id}}" for name in _REPO_URL_FIELDS}
    padding |= {"id": 1, "node_id": "R_kgDOA", "owner": owner, "description": None}
    return {key: value for key, value in padding.items() if key not in repository}


def _advisory_padding(number: int) -> dict[str, Any]:
    return {
        "description": _DESCRIPTION,
        "vulnerabilities": [
            {
                "package": {"ecosystem": "npm", "name": f"package-{number}"},
                "severity": "high",
                "vulnerable_version_range": "< 1.0.1",
                "first_patched_version": {"identifier": "1.0.1"},
            }
        ],
        "cvss": {"vector_string": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "score": 7.5},
        "cvss_severities": {
            "cvss_v3": {
                "vector_string": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                "score": 7.5,
            },
            "cvss_v4": {"vector_string": None, "score": 0.0},
        },
        "epss": [{"percentage": 0.00045, "percentile": "0.16001e0"}],
        "cwes": [{"cwe_id": "CWE-400", "name": "Uncontrolled Resource Consumption"}],
        "references": [
            {"url": f"https://github.com/advisories/GHSA-{number:04d}-{k}"} for k in range(5)
        ],
        "published_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-02T00:00:00Z",
        "withdrawn_at": None,
    }


def pad_alert(alert: dict[str, Any], kind: str) -> dict[str, Any]:
    """``alert`` with GitHub's other fields added (existing fields untouched)."""
    padded = dict(alert)
    repository = alert.get("repository")
    if isinstance(repository, dict):
        padded["repository"] = repository | _repository_padding(repository)
    number = int(alert.get("number", 0) or 0)
    if kind == "dependabot":
        advisory = alert.get("security_advisory")
        if isinstance(advisory, dict):
            extra = _advisory_padding(number)
            padded["security_advisory"] = advisory | {
                k: v for k, v in extra.items() if k not in advisory
            }
        padded.setdefault("updated_at", alert.get("created_at"))
        for key in ("dismissed_at", "dismissed_by", "dismissed_reason", "dismissed_comment"):
            padded.setdefault(key, None)
        padded.setdefault("fixed_at", None)
        padded.setdefault("auto_dismissed_at", None)
    else:
        padded.setdefault("locations_url", f"{alert.get('url', '')}/locations")
        for key in ("resolution", "resolved_by", "resolved_at", "resolution_comment"):
            padded.setdefault(key, None)
        padded.setdefault("push_protection_bypassed", False)
        padded.setdefault("push_protection_bypassed_by", None)
        padded.setdefault("validity", "unknown")
        padded.setdefault("publicly_leaked", False)
        padded.setdefault("multi_repo", False)
    return padded


def alert_kind(path: str) -> str | None:
    """``dependabot`` or ``secret_scanning`` for an org alert listing path, else None."""
    route = path.split("?", 1)[0]
    if route.endswith("/dependabot/alerts"):
        return "dependabot"
    if route.endswith("/secret-scanning/alerts"):
        return "secret_scanning"
    return None


def pad_page(body: bytes, kind: str) -> bytes:
    """A JSON page of alerts with every alert padded; anything else unchanged."""
    try:
        items = json.loads(body)
    except ValueError:
        return body
    if not isinstance(items, list):
        return body
    padded = [pad_alert(item, kind) if isinstance(item, dict) else item for item in items]
    return json.dumps(padded).encode()
