"""One GitHub App installed on several accounts: App-wide routes over per-organisation fakes.

``FakeGitHubApp`` listens on one address, as ``api.github.com`` does, and
holds one :class:`FakeGitHub` per organisation installation. Each of them
keeps its own installation id, tokens, rate-limit buckets, faults and
statistics, as each installation has its own on GitHub. The front answers
the one App-wide route itself and hands every other request to the
organisation it concerns:

- ``GET /app/installations`` (App JWT; ``per_page``/``page`` with GitHub's
  ``Link`` header): every installation of the App, as GitHub's REST
  description ("List installations for the authenticated app") shapes them:
  ``id``, ``account`` (``login``, ``id``, ``type``), ``target_type``,
  ``target_id``, ``app_id``, ``permissions``,
  ``suspended_at``... Organisation installations, user installations (listed
  only: nothing else is served for a user) and suspended organisation
  installations (listed only, ``suspended_at`` set).
- ``/orgs/{login}/...`` and ``/repos/{owner}/...``: by login;
  ``/organizations/{id}/...`` by organisation id; ``/repositories/{id}/...``
  by repository id; ``/app/installations/{id}/access_tokens`` by
  installation id; ``POST /graphql`` by the installation token presented
  (a token is only good for the installation that issued it). Anything
  else, or an account without an organisation installation: 404.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.fake_github.auth import (
    DEFAULT_PERMISSIONS,
    AppJwtVerifier,
    AuthFailure,
    bearer_credential,
)
from tests.fake_github.faults import Faults
from tests.fake_github.http_types import FakeRequest, FakeResponse, error_response, not_found
from tests.fake_github.keys import app_private_key_pem, public_key_pem
from tests.fake_github.model import Organization
from tests.fake_github.openapi import RestContract
from tests.fake_github.rest import WEB, page_numbered
from tests.fake_github.rest_urls import user_fields
from tests.fake_github.server import MSG_USER_AGENT, Clock, FakeGitHub, LoopbackServed

DOCS_LIST_INSTALLATIONS = (
    "https://docs.github.com/rest/apps/apps#list-installations-for-the-authenticated-app"
)
SUSPENDED_AT = "2026-10-01T09:00:00Z"
CREATED_AT = "2025-01-15T10:00:00Z"

_BY_LOGIN = re.compile(r"^/(?:orgs|repos)/([^/]+)(?:/|$)")
_BY_ORG_ID = re.compile(r"^/organizations/(\d+)(?:/|$)")
_BY_REPO_ID = re.compile(r"^/repositories/(\d+)(?:/|$)")
_BY_INSTALLATION = re.compile(r"^/app/installations/(\d+)/access_tokens$")


@dataclass(frozen=True)
class ListedAccount:
    """An installation that is only listed: a user account, or a suspended organisation."""

    login: str
    type: str  # "User" or "Organization"
    id: int
    suspended: bool = False

    @property
    def installation_id(self) -> int:
        return 50_000_000 + self.id


class FakeGitHubApp(LoopbackServed):
    """Several installations of one App behind one address (see the module docstring)."""

    def __init__(
        self,
        orgs: list[Organization],
        *,
        users: tuple[str, ...] = (),
        suspended: tuple[str, ...] = (),
        faults: dict[str, Faults] | None = None,
        client_id: str = "Iv1.testapp",
        app_id: int = 4242,
        clock: Clock | None = None,
        private_key_pem: str | None = None,
    ) -> None:
        self.client_id = client_id
        self.app_id = app_id
        self.private_key_pem = private_key_pem or app_private_key_pem()
        self.fakes: dict[str, FakeGitHub] = {}
        for org in orgs:
            self.fakes[org.login.lower()] = FakeGitHub(
                org,
                client_id=client_id,
                app_id=app_id,
                clock=clock,
                private_key_pem=self.private_key_pem,
                faults=(faults or {}).get(org.login),
            )
        first = next(iter(self.fakes.values()), None)
        self.clock = first.clock if first is not None else clock
        listed = [ListedAccount(login, "User", 70_000 + i) for i, login in enumerate(users)]
        listed += [
            ListedAccount(login, "Organization", 80_000 + i, suspended=True)
            for i, login in enumerate(suspended)
        ]
        self.listed = listed
        self._jwt = AppJwtVerifier(
            public_key_pem(self.private_key_pem),
            {client_id, str(app_id)},
            self.clock.time if self.clock is not None else time.time,
        )
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str, int]] = []  # (method, target, status)
        # The front's own route is checked against GitHub's REST description, as
        # each organisation's fake checks the rest (openapi.py).
        self.contract = RestContract()
        self._host = "127.0.0.1"
        self._server = None
        self._thread: threading.Thread | None = None

    # -- the front -----------------------------------------------------

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer one request: the App-wide list here, the rest by the organisation's fake."""
        if request.method == "GET" and request.path == "/app/installations":
            response = self._list_installations(request)
        else:
            target = self._target(request)
            response = not_found() if target is None else target.handle(request)
        with self._lock:
            self.requests.append((request.method, request.target, response.status))
        return response

    def _target(self, request: FakeRequest) -> FakeGitHub | None:
        path = request.path
        if request.method == "POST" and path == "/graphql":
            credential = bearer_credential(request.header("authorization"))
            return next(
                (f for f in self.fakes.values() if credential and f.tokens.knows(credential)),
                None,
            )
        found = _BY_LOGIN.match(path)
        if found:
            return self.fakes.get(found.group(1).lower())
        found = _BY_ORG_ID.match(path)
        if found:
            return next((f for f in self.fakes.values() if str(f.org.id) == found.group(1)), None)
        found = _BY_REPO_ID.match(path)
        if found:
            repo_id = found.group(1)
            return next(
                (f for f in self.fakes.values() if f.rest.repository_by_id(repo_id) is not None),
                None,
            )
        found = _BY_INSTALLATION.match(path)
        if found:
            installation = int(found.group(1))
            return next((f for f in self.fakes.values() if f.installation_id == installation), None)
        return None

    def _list_installations(self, request: FakeRequest) -> FakeResponse:
        if not request.header("user-agent"):
            return FakeResponse(403, raw=MSG_USER_AGENT.encode(), content_type="text/plain")
        try:
            self._jwt.verify(request.header("authorization"))
        except AuthFailure as failure:
            return error_response(failure.status, failure.message, DOCS_LIST_INSTALLATIONS)
        rejected = self.contract.check_request(request)
        if rejected is not None:
            return rejected
        items = [self._org_installation(request, fake) for fake in self.fakes.values()]
        items += [self._listed_installation(request, account) for account in self.listed]
        items.sort(key=lambda item: int(item["id"]))
        return self.contract.check_response(
            request, page_numbered(request, items, "/app/installations")
        )

    def _installation(
        self, request: FakeRequest, installation_id: int, account: dict[str, Any]
    ) -> dict[str, Any]:
        base = request.base_url
        return {
            "id": installation_id,
            "account": account,
            "repository_selection": "all",
            "access_tokens_url": f"{base}/app/installations/{installation_id}/access_tokens",
            "repositories_url": f"{base}/installation/repositories",
            "html_url": f"{WEB}/settings/installations/{installation_id}",
            "app_id": self.app_id,
            "app_slug": "policy-data-logger",
            "target_id": account["id"],
            "target_type": account["type"],
            "permissions": dict(DEFAULT_PERMISSIONS),
            "events": [],
            "created_at": CREATED_AT,
            "updated_at": CREATED_AT,
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None,
            "suspended_at": None,
        }

    def _org_installation(self, request: FakeRequest, fake: FakeGitHub) -> dict[str, Any]:
        item = self._installation(request, fake.installation_id, fake.rest.owner_json())
        item["permissions"] = dict(fake.permissions)
        return item

    def _listed_installation(self, request: FakeRequest, account: ListedAccount) -> dict[str, Any]:
        owner = user_fields(account.login, account.id, account.type)
        item = self._installation(request, account.installation_id, owner)
        if account.suspended:
            item["suspended_at"] = SUSPENDED_AT
            item["suspended_by"] = user_fields("admin", 1, "User")
        return item


def fan_out_organisations(dependabot_off: str | None = "globex") -> list[Organization]:
    """Three organisations for the local fan-out; ``dependabot_off`` fails its Dependabot run."""
    from tests.fake_github.samples import small_org  # noqa: PLC0415 - samples imports the model only

    orgs = [small_org(login) for login in ("acme", "globex", "initech")]
    for org in orgs:
        org.dependabot_enabled = org.login != dependabot_off
    return orgs
