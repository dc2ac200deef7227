"""REST answers derived from the model: shapes, filters and both kinds of paging."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, unquote, urlencode

from tests.fake_github.http_types import FakeRequest, FakeResponse, error_response, not_found
from tests.fake_github.model import (
    Branch,
    DependabotAlert,
    Organization,
    Repository,
    SecretScanningAlert,
)
from tests.fake_github.rest_urls import (
    node_id,
    repository_clone_urls,
    repository_urls,
    user_fields,
)

WEB = "https://github.com"
API = "https://api.github.com"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100

DOCS_CONTENTS = "https://docs.github.com/rest/repos/contents#get-repository-content"
MSG_EMPTY_REPOSITORY = "This repository is empty."
# The contents API serves files up to 1 MB in its JSON form; from 1 MB to 100 MB
# ``content`` is empty and ``encoding`` is "none" (GitHub's REST description).
CONTENTS_JSON_LIMIT = 1024 * 1024

MSG_PAGE_NOT_SUPPORTED = "Pagination using the `page` parameter is not supported."
MSG_BAD_CURSOR = "Invalid cursor"
MSG_DEPENDABOT_OFF = "Dependabot alerts are disabled for this organization."
MSG_SECRET_SCANNING_OFF = "Secret scanning is disabled for this organization."

DEPENDABOT_STATES = {"auto_dismissed", "dismissed", "fixed", "open"}
SECRET_SCANNING_STATES = {"open", "resolved"}


def stable_id(text: str) -> int:
    """A stable positive integer id for a name (users not in the model, commits)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") + 1_000_000


def stable_sha(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def git_blob_sha(data: bytes) -> str:
    """Git's blob id of ``data`` (what ``git hash-object`` prints)."""
    header = b"blob %d\0" % len(data)
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


def git_base64(data: bytes) -> str:
    """Base64 as GitHub's blob API sends it (Ruby's ``encode64``): a newline every 60 chars."""
    encoded = base64.b64encode(data).decode("ascii")
    return "".join(f"{encoded[i : i + 60]}\n" for i in range(0, len(encoded), 60))


def per_page_of(request: FakeRequest) -> int:
    """``per_page``: default 30, capped at 100 (GitHub ignores what it cannot parse)."""
    try:
        value = int(request.params.get("per_page", DEFAULT_PER_PAGE))
    except ValueError:
        return DEFAULT_PER_PAGE
    if value < 1:
        return DEFAULT_PER_PAGE
    return min(value, MAX_PER_PAGE)


def page_of(request: FakeRequest) -> int:
    try:
        return max(int(request.params.get("page", "1")), 1)
    except ValueError:
        return 1


def _with_params(request: FakeRequest, path: str, **changes: str) -> str:
    params = [(k, v) for k, v in request.query if k not in changes]
    params.extend(changes.items())
    return f"{request.base_url}{path}?{urlencode(params)}"


def page_numbered(request: FakeRequest, items: Sequence[Any], link_path: str) -> FakeResponse:
    """One page of ``items`` with GitHub's Link header (next, last, first, prev)."""
    per_page, page = per_page_of(request), page_of(request)
    last = max(math.ceil(len(items) / per_page), 1)
    chunk = list(items[(page - 1) * per_page : page * per_page])
    links: list[str] = []

    def link(number: int, rel: str) -> None:
        links.append(f'<{_with_params(request, link_path, page=str(number))}>; rel="{rel}"')

    if page > 1:
        link(min(page - 1, last), "prev")
    if page < last:
        link(page + 1, "next")
        link(last, "last")
    if page > 1:
        link(1, "first")
    headers = {"link": ", ".join(links)} if links else {}
    return FakeResponse(200, chunk, headers)


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int | None:
    """The offset a cursor encodes, or None when it is not one of ours."""
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    prefix, _, number = text.rpartition(":")
    if prefix != "cursor:v2" or not number.isdigit():
        return None
    return int(number)


def cursor_paged(request: FakeRequest, items: Sequence[Any]) -> FakeResponse:
    """One page of ``items`` by ``after=`` cursor; ``page=`` is refused with 400."""
    if "page" in request.params:
        return error_response(400, MSG_PAGE_NOT_SUPPORTED)
    start = 0
    after = request.params.get("after")
    if after:
        offset = decode_cursor(after)
        if offset is None:
            return error_response(400, MSG_BAD_CURSOR)
        start = offset + 1
    per_page = per_page_of(request)
    chunk = list(items[start : start + per_page])
    headers = {}
    if start + per_page < len(items):
        url = _with_params(request, request.path, after=encode_cursor(start + per_page - 1))
        headers["link"] = f'<{url}>; rel="next"'
    return FakeResponse(200, chunk, headers)


PAGING_PARAMS = frozenset({"after", "before", "page", "per_page"})


def listing_key(name: str, request: FakeRequest) -> tuple[str, ...]:
    """What selects and orders a listing (every parameter but the paging ones)."""
    return (name, *sorted(f"{k}={v}" for k, v in request.params.items() if k not in PAGING_PARAMS))


def states_filter(request: FakeRequest, allowed: set[str]) -> set[str] | FakeResponse:
    """The ``state=`` values asked for (comma-separated), or a 422 answer."""
    raw = request.params.get("state", "")
    states = {part.strip() for part in raw.split(",") if part.strip()}
    unknown = states - allowed
    if unknown:
        return error_response(
            422, f"Invalid value for 'state': {sorted(unknown)[0]!r} is not a valid state."
        )
    return states or set(allowed)


_CVSS3_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
_CVSS4_VECTOR = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"


def _cvss_severity(score: float | None, vector: str) -> dict[str, Any]:
    """One ``cvss_severities`` entry; GitHub sends nulls inside when it has no score."""
    if score is None:
        return {"vector_string": None, "score": None}
    return {"vector_string": vector, "score": score}


def _without(data: dict[str, Any], omitted: Sequence[str]) -> dict[str, Any]:
    """``data`` with the dotted paths in ``omitted`` left out (absent, not null)."""
    for dotted in omitted:
        *parents, last = dotted.split(".")
        node: Any = data
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return data


def secret_types_filter(
    request: FakeRequest, alerts: Sequence[SecretScanningAlert], adds_to_defaults: bool
) -> list[SecretScanningAlert]:
    """GitHub's ``secret_type``: absent, every default (provider) pattern and no
    generic one; present, the named types (plus the defaults when the model says
    GitHub reads it that way)."""
    raw = request.params.get("secret_type")
    if raw is None:
        return [a for a in alerts if not a.generic]
    named = {part.strip() for part in raw.split(",") if part.strip()}
    return [a for a in alerts if a.secret_type in named or (adds_to_defaults and not a.generic)]


class RestApi:
    """The REST routes over one :class:`Organization`."""

    def __init__(self, org: Organization, *, frozen: bool = False) -> None:
        self.org = org
        # An organisation that never changes (benchmark) may keep its sorted and
        # filtered listings between pages instead of rebuilding them per page.
        self.frozen = frozen
        self._memo: dict[tuple[str, ...], list[Any]] = {}
        self._memo_lock = threading.Lock()
        self._index_lock = threading.Lock()
        self._index_key: tuple[int, int] = (0, -1)
        self._index: dict[str, Repository] = {}
        self._by_id: dict[str, Repository] = {}
        # True: send each secret despite hide_secret=true (Faults.hostile "leak_secret").
        self.leaks_secret: Callable[[], bool] = lambda: False

    # -- lookups -------------------------------------------------------

    def is_org(self, login: str) -> bool:
        return login.lower() == self.org.login.lower()

    def repository(self, name: str) -> Repository | None:
        """O(1) lookup, case-insensitive; re-indexes when the list changed size."""
        with self._index_lock:
            self._refresh_index()
            repo = self._index.get(name.lower())
        if repo is None or repo.name.lower() != name.lower():
            return self.org.repository(name)  # renamed since indexing
        return repo

    def repository_by_id(self, repo_id: str) -> Repository | None:
        """The repository whose numeric id is ``repo_id`` (GitHub's ``/repositories/{id}``)."""
        with self._index_lock:
            self._refresh_index()
            repo = self._by_id.get(repo_id)
        if repo is None or str(repo.id) != repo_id:
            return next((r for r in self.org.repositories if str(r.id) == repo_id), None)
        return repo

    def _refresh_index(self) -> None:
        """Rebuild the lookups when the repository list changed (called under the lock)."""
        repos = self.org.repositories
        key = (id(repos), len(repos))
        if key != self._index_key:
            self._index = {repo.name.lower(): repo for repo in repos}
            self._by_id = {str(repo.id): repo for repo in repos}
            self._index_key = key

    # -- shapes --------------------------------------------------------

    def owner_json(self) -> dict[str, Any]:
        return user_fields(self.org.login, self.org.id, "Organization")

    def repo_json(self, repo: Repository) -> dict[str, Any]:
        """A ``minimal-repository``, as the organisation's repository list shows it."""
        full = f"{self.org.login}/{repo.name}"
        data: dict[str, Any] = {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": full,
            "private": repo.visibility != "public",
            "owner": self.owner_json(),
            "description": None,
            "fork": repo.fork,
            **repository_urls(full),
            "created_at": repo.created_at,
            "updated_at": repo.pushed_at or repo.created_at,
            "pushed_at": repo.pushed_at,
            "size": 0 if repo.is_empty else 128,
            "archived": repo.archived,
            "disabled": False,
            "is_template": repo.is_template,
            "visibility": repo.visibility,
            "default_branch": repo.default_branch or "main",
        }
        security = self.security_and_analysis(repo)
        if security is not None:
            data["security_and_analysis"] = security
        return data

    def full_repo_json(self, repo: Repository) -> dict[str, Any]:
        """A ``full-repository`` (``GET /repos/{owner}/{repo}``): the list's fields and more."""
        full = f"{self.org.login}/{repo.name}"
        data = self.repo_json(repo)
        data.update(repository_clone_urls(full))
        data.update(
            {
                "homepage": None,
                "language": None,
                "mirror_url": None,
                "license": None,
                "forks": 0,
                "forks_count": 0,
                "open_issues": 0,
                "open_issues_count": 0,
                "stargazers_count": 0,
                "watchers": 0,
                "watchers_count": 0,
                "network_count": 0,
                "subscribers_count": 0,
                "has_issues": True,
                "has_projects": True,
                "has_wiki": True,
                "has_pages": False,
                "has_discussions": False,
                "pushed_at": repo.pushed_at or repo.created_at,
            }
        )
        return data

    @staticmethod
    def security_and_analysis(repo: Repository) -> dict[str, Any] | None:
        block: dict[str, Any] = {}
        if repo.secret_scanning is not None:
            block["secret_scanning"] = {"status": repo.secret_scanning}
        if repo.push_protection is not None:
            block["secret_scanning_push_protection"] = {"status": repo.push_protection}
        if not block:
            return None
        block["dependabot_security_updates"] = {"status": "disabled"}
        return block

    def alert_repo_json(self, name: str) -> dict[str, Any]:
        """The ``simple-repository`` an alert names."""
        repo = self.repository(name)
        full = f"{self.org.login}/{repo.name if repo else name}"
        repo_id = repo.id if repo else stable_id(full)
        return {
            "id": repo_id,
            "node_id": node_id("Repository", repo_id),
            "name": repo.name if repo else name,
            "full_name": full,
            "owner": self.owner_json(),
            "private": repo.visibility != "public" if repo else True,
            "description": None,
            "fork": repo.fork if repo else False,
            **repository_urls(full),
        }

    def user_json(self, login: str) -> dict[str, Any]:
        """A ``simple-user``."""
        user = self.org.users.get(login)
        return user_fields(
            login, user.id if user else stable_id(login), user.type if user else "User"
        )

    def branch_json(self, repo: Repository, branch: Branch) -> dict[str, Any]:
        full = f"{self.org.login}/{repo.name}"
        if branch.name == repo.default_branch and repo.commits:
            sha = repo.commits[0].oid
        else:
            sha = stable_sha(f"{full}:{branch.name}")
        return {
            "name": branch.name,
            "commit": {"sha": sha, "url": f"{API}/repos/{full}/commits/{sha}"},
            "protected": branch.protected,
        }

    def dependabot_json(self, alert: DependabotAlert) -> dict[str, Any]:
        full = f"{self.org.login}/{alert.repository}"
        package = {"ecosystem": alert.ecosystem, "name": alert.package}
        ghsa = alert.ghsa_id or "GHSA-" + "-".join(
            stable_sha(f"{full}#{alert.number}")[i : i + 4] for i in (0, 4, 8)
        )
        patched = None if alert.patched_version is None else {"identifier": alert.patched_version}
        vulnerability = {
            "package": package,
            "severity": alert.severity,
            "vulnerable_version_range": f"< {alert.patched_version or '999'}",
            "first_patched_version": patched,
        }
        identifiers = [{"type": "GHSA", "value": ghsa}]
        if alert.cve_id is not None:
            identifiers.append({"type": "CVE", "value": alert.cve_id})
        data = {
            "number": alert.number,
            "state": alert.state,
            "dependency": {
                "package": package,
                "manifest_path": alert.manifest_path,
                "scope": alert.scope,
                "relationship": "direct" if alert.scope == "runtime" else "transitive",
            },
            "security_advisory": {
                "ghsa_id": ghsa,
                "cve_id": alert.cve_id,
                "summary": alert.summary,
                "description": f"{alert.summary}. Upgrade to a patched version.",
                "vulnerabilities": [vulnerability],
                "severity": alert.severity,
                "cvss": {
                    "vector_string": _CVSS3_VECTOR if alert.cvss else None,
                    "score": alert.cvss,
                },
                "cvss_severities": {
                    "cvss_v3": _cvss_severity(alert.cvss_v3, _CVSS3_VECTOR),
                    "cvss_v4": _cvss_severity(alert.cvss_v4, _CVSS4_VECTOR),
                },
                "epss": None
                if alert.epss is None
                else {"percentage": alert.epss, "percentile": min(alert.epss * 3, 1.0)},
                "cwes": [{"cwe_id": "CWE-79", "name": "Cross-site Scripting"}],
                "identifiers": identifiers,
                "references": [{"url": f"{WEB}/advisories/{ghsa}"}],
                "published_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-02T00:00:00Z",
                "withdrawn_at": None,
            },
            "security_vulnerability": vulnerability,
            "url": f"{API}/repos/{full}/dependabot/alerts/{alert.number}",
            "html_url": f"{WEB}/{full}/security/dependabot/{alert.number}",
            "created_at": alert.created_at,
            "updated_at": alert.created_at,
            "dismissed_at": None,
            "dismissed_by": None,
            "dismissed_reason": None,
            "dismissed_comment": None,
            "fixed_at": None,
            "auto_dismissed_at": None,
            "repository": self.alert_repo_json(alert.repository),
        }
        return _without(data, alert.omit)

    def secret_scanning_json(self, alert: SecretScanningAlert, hide: bool) -> dict[str, Any]:
        full = f"{self.org.login}/{alert.repository}"
        bypassed = alert.push_protection_bypassed is True
        data: dict[str, Any] = {
            "number": alert.number,
            "created_at": alert.created_at,
            "updated_at": alert.created_at,
            "url": f"{API}/repos/{full}/secret-scanning/alerts/{alert.number}",
            "html_url": f"{WEB}/{full}/security/secret-scanning/{alert.number}",
            "locations_url": f"{API}/repos/{full}/secret-scanning/alerts/{alert.number}/locations",
            "state": alert.state,
            "resolution": None,
            "resolved_at": None,
            "resolved_by": None,
            "resolution_comment": None,
            "secret_type": alert.secret_type,
            "secret_type_display_name": alert.display_name,
            "provider": alert.provider,
            "provider_slug": None
            if alert.provider is None
            else alert.provider.lower().replace(" ", "_"),
            "validity": alert.validity,
            "publicly_leaked": alert.publicly_leaked,
            "multi_repo": alert.multi_repo,
            "is_base64_encoded": False,
            "push_protection_bypassed": alert.push_protection_bypassed,
            "push_protection_bypassed_by": self.user_json("alice") if bypassed else None,
            "push_protection_bypassed_at": alert.created_at if bypassed else None,
            "has_more_locations": False,
            "repository": self.alert_repo_json(alert.repository),
        }
        if not hide:
            data["secret"] = alert.secret
        # The description lets these be absent but not null: None leaves them out.
        for key in ("validity", "secret_type_display_name"):
            if data[key] is None:
                del data[key]
        return _without(data, alert.omit)

    # -- routes --------------------------------------------------------

    def org_repos(self, request: FakeRequest, org: str) -> FakeResponse:
        if not self.is_org(org):
            return not_found()
        kind = request.params.get("type", "all")
        repos = self.org.repositories
        if kind == "public":
            repos = [r for r in repos if r.visibility == "public"]
        elif kind == "private":
            repos = [r for r in repos if r.visibility != "public"]
        elif kind == "forks":
            repos = [r for r in repos if r.fork]
        elif kind == "sources":
            repos = [r for r in repos if not r.fork]
        elif kind not in ("all", "member"):
            return error_response(422, f"Invalid value for 'type': {kind!r}.")
        ordered = self._memoised(
            ("repos", kind, request.params.get("sort", ""), request.params.get("direction", "")),
            lambda: self._sorted_repos(request, repos),
        )
        if isinstance(ordered, FakeResponse):
            return ordered
        link_path = f"/organizations/{self.org.id}/repos"
        return self._paged_shapes(request, ordered, self.repo_json, link_path)

    def org_members(self, request: FakeRequest, org: str) -> FakeResponse:
        if not self.is_org(org):
            return not_found()
        logins = sorted(self.org.members, key=str.lower)
        return self._paged_shapes(
            request, logins, self.user_json, f"/organizations/{self.org.id}/members"
        )

    def repository_route(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        """``GET /repos/{owner}/{repo}``: one repository, as the org listing shows it."""
        repo = self.repository(name) if self.is_org(owner) else None
        if repo is None:
            return not_found()
        return FakeResponse(200, self.full_repo_json(repo))

    def git_blob(self, request: FakeRequest, owner: str, name: str, sha: str) -> FakeResponse:
        """``GET /repos/{owner}/{repo}/git/blobs/{sha}``: a file of the repository by blob id."""
        repo = self.repository(name) if self.is_org(owner) else None
        if repo is None:
            return not_found()
        for text in repo.files.values():
            data = text.encode("utf-8")
            if git_blob_sha(data) == sha.lower():
                return FakeResponse(200, self.git_blob_json(repo, data))
        return not_found()

    def git_blob_json(self, repo: Repository, data: bytes) -> dict[str, Any]:
        sha = git_blob_sha(data)
        return {
            "sha": sha,
            "node_id": base64.b64encode(f"04:Blob{sha}".encode()).decode("ascii"),
            "size": len(data),
            "url": f"{API}/repos/{self.org.login}/{repo.name}/git/blobs/{sha}",
            "content": git_base64(data),
            "encoding": "base64",
        }

    def contents(self, request: FakeRequest, owner: str, name: str, path: str = "") -> FakeResponse:
        """``GET /repos/{owner}/{repo}/contents/{path}`` at the default branch (``ref`` optional).

        A file is the ``content-file`` object (base64 with a newline every 60
        characters); a directory is the list of its entries; anything else 404.
        """
        repo = self.repository(name) if self.is_org(owner) else None
        if repo is None:
            return error_response(404, "Not Found", DOCS_CONTENTS)
        if repo.is_empty:
            return error_response(404, MSG_EMPTY_REPOSITORY, DOCS_CONTENTS)
        ref = request.params.get("ref")
        if ref and ref not in {branch.name for branch in repo.branches}:
            return error_response(404, f"No commit found for the ref {ref}", DOCS_CONTENTS)
        wanted = unquote(path).strip("/")
        if wanted in repo.files:
            data = repo.files[wanted].encode("utf-8")
            return FakeResponse(200, self.content_json(repo, wanted, data))
        entries = self._directory(repo, wanted)
        if entries is None:
            return error_response(404, "Not Found", DOCS_CONTENTS)
        return FakeResponse(200, entries)

    def content_json(self, repo: Repository, path: str, data: bytes) -> dict[str, Any]:
        """GitHub's ``content-file`` object for one file at the default branch."""
        full = f"{self.org.login}/{repo.name}"
        branch = repo.default_branch or "main"
        sha = git_blob_sha(data)
        quoted = quote(path)
        links = {
            "self": f"{API}/repos/{full}/contents/{quoted}?ref={branch}",
            "git": f"{API}/repos/{full}/git/blobs/{sha}",
            "html": f"{WEB}/{full}/blob/{branch}/{quoted}",
        }
        small = len(data) <= CONTENTS_JSON_LIMIT
        return {
            "type": "file",
            "encoding": "base64" if small else "none",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": git_base64(data) if small else "",
            "sha": sha,
            "url": links["self"],
            "git_url": links["git"],
            "html_url": links["html"],
            "download_url": f"https://raw.githubusercontent.com/{full}/{branch}/{quoted}",
            "_links": links,
        }

    def _directory(self, repo: Repository, path: str) -> list[dict[str, Any]] | None:
        """The entries of directory ``path`` ("" is the root), or None when it is none."""
        prefix = f"{path}/" if path else ""
        children: dict[str, str] = {}
        for file_path in repo.files:
            if file_path.startswith(prefix):
                head, _, rest = file_path[len(prefix) :].partition("/")
                children[head] = "dir" if rest else "file"
        if not children:
            return None
        return [
            self._entry_json(repo, prefix + child, kind) for child, kind in sorted(children.items())
        ]

    def _entry_json(self, repo: Repository, path: str, kind: str) -> dict[str, Any]:
        """One item of a directory listing (``content-directory``), without content."""
        if kind == "file":
            entry = self.content_json(repo, path, repo.files[path].encode("utf-8"))
            del entry["content"], entry["encoding"]
            return entry
        full = f"{self.org.login}/{repo.name}"
        branch = repo.default_branch or "main"
        sha = stable_sha(f"{full}:{branch}:{path}/")
        quoted = quote(path)
        links = {
            "self": f"{API}/repos/{full}/contents/{quoted}?ref={branch}",
            "git": f"{API}/repos/{full}/git/trees/{sha}",
            "html": f"{WEB}/{full}/tree/{branch}/{quoted}",
        }
        return {
            "type": "dir",
            "size": 0,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "url": links["self"],
            "git_url": links["git"],
            "html_url": links["html"],
            "download_url": None,
            "_links": links,
        }

    def branches(self, request: FakeRequest, owner: str, name: str) -> FakeResponse:
        repo = self.repository(name) if self.is_org(owner) else None
        if repo is None:
            return not_found()
        branches = sorted(repo.branches, key=lambda b: b.name)
        wanted = request.params.get("protected")
        if wanted in ("true", "1"):
            branches = [b for b in branches if b.protected]
        elif wanted in ("false", "0"):
            branches = [b for b in branches if not b.protected]
        page = page_numbered(request, branches, f"/repositories/{repo.id}/branches")
        page.payload = [self.branch_json(repo, b) for b in page.payload]
        return page

    def dependabot_alerts(self, request: FakeRequest, org: str) -> FakeResponse:
        """``severity=`` (comma-separated) filters; ``sort=created`` only (default)."""
        severities = {s for s in request.params.get("severity", "").split(",") if s}
        ecosystems = {e for e in request.params.get("ecosystem", "").split(",") if e}
        scope = request.params.get("scope")

        def alerts() -> list[Any]:
            return [
                a
                for a in self.org.dependabot_alerts
                if (not severities or a.severity in severities)
                and (not ecosystems or a.ecosystem in ecosystems)
                and (scope is None or a.scope == scope)
            ]

        return self._alerts_page(
            request,
            org,
            ("dependabot",),
            alerts,
            disabled=None if self.org.dependabot_enabled else MSG_DEPENDABOT_OFF,
            allowed_states=DEPENDABOT_STATES,
            shape=self.dependabot_json,
        )

    def secret_scanning_alerts(self, request: FakeRequest, org: str) -> FakeResponse:
        """Page numbers by default (``page=``); cursors once ``after=``/``before=`` is sent."""
        hide = request.params.get("hide_secret", "false").lower() == "true"
        hide = hide and not self.leaks_secret()
        alerts = secret_types_filter(
            request, self.org.secret_scanning_alerts, self.org.secret_type_adds_to_defaults
        )
        by_cursor = "after" in request.params or "before" in request.params
        return self._alerts_page(
            request,
            org,
            ("secret_scanning",),
            lambda: list(alerts),
            disabled=None if self.org.secret_scanning_enabled else MSG_SECRET_SCANNING_OFF,
            allowed_states=SECRET_SCANNING_STATES,
            shape=lambda alert: self.secret_scanning_json(alert, hide),
            by_cursor=by_cursor,
        )

    def _alerts_page(
        self,
        request: FakeRequest,
        org: str,
        memo_key: tuple[str, ...],
        alerts: Callable[[], list[Any]],
        *,
        disabled: str | None,
        allowed_states: set[str],
        shape: Callable[[Any], dict[str, Any]],
        by_cursor: bool = True,
    ) -> FakeResponse:
        """One page of an org's alerts in ``state=``; 403 ``disabled`` when it is set."""
        if not self.is_org(org):
            return not_found()
        if disabled is not None:
            return error_response(403, disabled)
        states = states_filter(request, allowed_states)
        if isinstance(states, FakeResponse):
            return states
        wanted = self._memoised(
            listing_key(memo_key[0], request),
            lambda: self._sorted_alerts(request, [a for a in alerts() if a.state in states]),
        )
        if isinstance(wanted, FakeResponse):
            return wanted
        if by_cursor:
            page = cursor_paged(request, wanted)
        else:
            page = page_numbered(request, wanted, request.path)
        if page.status == 200:
            page.payload = [shape(a) for a in page.payload]
        return page

    def _memoised(
        self, key: tuple[str, ...], build: Callable[[], list[Any] | FakeResponse]
    ) -> list[Any] | FakeResponse:
        """``build()``, kept per ``key`` when the organisation is frozen."""
        if not self.frozen:
            return build()
        with self._memo_lock:
            found = self._memo.get(key)
        if found is None:
            built = build()
            if isinstance(built, FakeResponse):
                return built
            with self._memo_lock:
                found = self._memo.setdefault(key, built)
        return found

    # -- helpers -------------------------------------------------------

    @staticmethod
    def _sorted_repos(
        request: FakeRequest, repos: Sequence[Repository]
    ) -> list[Repository] | FakeResponse:
        """GitHub's order: ``sort`` created (default), updated, pushed or full_name;
        ``direction`` asc for full_name, else desc by default. Ties keep model order."""
        keys: dict[str, Callable[[Repository], str]] = {
            "created": lambda r: r.created_at,
            "updated": lambda r: r.pushed_at or r.created_at,
            "pushed": lambda r: r.pushed_at or "",
            "full_name": lambda r: r.name.lower(),
        }
        sort = request.params.get("sort", "created")
        if sort not in keys:
            return error_response(422, f"Invalid value for 'sort': {sort!r}.")
        default = "asc" if sort == "full_name" else "desc"
        direction = request.params.get("direction", default)
        if direction not in ("asc", "desc"):
            return error_response(422, f"Invalid value for 'direction': {direction!r}.")
        return sorted(repos, key=keys[sort], reverse=direction == "desc")

    @staticmethod
    def _sorted_alerts(request: FakeRequest, alerts: list[Any]) -> list[Any]:
        """GitHub's default order: newest first (``direction=asc`` reverses)."""
        descending = request.params.get("direction", "desc") != "asc"
        return sorted(alerts, key=lambda a: (a.created_at, a.number), reverse=descending)

    @staticmethod
    def _paged_shapes(
        request: FakeRequest,
        items: Sequence[Any],
        shape: Callable[[Any], dict[str, Any]],
        link_path: str,
    ) -> FakeResponse:
        page = page_numbered(request, items, link_path)
        page.payload = [shape(item) for item in page.payload]
        return page
