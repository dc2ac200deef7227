"""Who is who in the organisation, each looked up once per run and shared between threads.

- members: REST ``/orgs/{org}/members`` (every page), only when an open pull
  request has a human author;
- team maintainers of ``@org/team`` CODEOWNERS owners: aliased
  ``organization { tN: team(slug) { members(role: MAINTAINER) } }`` batches;
- verified-domain e-mails of ``@user`` owners and team maintainers: aliased
  ``uN: user(login) { organizationVerifiedDomainEmails(login: org) }``
  batches of up to 100. An unknown user (NOT_FOUND) gives no contact.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from types import MappingProxyType
from typing import Any, TypeVar

from collectors.batching import (
    chunks,
    error_type,
    not_found_aliases,
    run_graphql,
    unexpected_errors,
    with_halving,
)
from collectors.codeowners import is_team_owner, team_slug
from collectors.errors import CollectionError
from collectors.facts import CONTACTS, MEMBERS, PeopleFacts
from collectors.inventory import PAGE_FAN_OUT
from collectors.queries import team_maintainers_query, verified_emails_query
from collectors.shapes import (
    as_object,
    field_list,
    field_object,
    field_object_or_none,
    field_str,
    next_cursor,
)
from github_client import ForbiddenError, GitHubClient, NotFoundError

logger = logging.getLogger(__name__)


class MembersRefusedError(CollectionError):
    """GitHub refused the organisation's member list (403/404): the App lacks members:read."""


USER_BATCH_SIZE = 100
TEAM_BATCH_SIZE = 50

T = TypeVar("T")
R = TypeVar("R")


def map_batches(
    executor: Executor | None, batches: Sequence[Sequence[T]], run: Callable[[Sequence[T]], R]
) -> list[R]:
    """``run`` over every batch, on ``executor`` when given; the first failure propagates."""
    if executor is None or len(batches) <= 1:
        return [run(batch) for batch in batches]
    return list(executor.map(run, batches))


class OrgDirectory:
    """Members, team maintainers and verified-domain e-mails, cached for the run."""

    def __init__(self, client: GitHubClient, org: str, executor: Executor | None = None) -> None:
        self._client = client
        self._org = org
        self.org = org
        self._executor = executor
        self._members_lock = threading.Lock()
        self._teams_lock = threading.Lock()
        self._emails_lock = threading.Lock()
        self._members: frozenset[str] | None = None
        self._maintainers: dict[str, tuple[str, ...]] = {}
        self._has_email: dict[str, bool] = {}

    # -- members ------------------------------------------------------------------------

    def members(self) -> frozenset[str]:
        """Lower-case logins of every organisation member (listed once per run)."""
        with self._members_lock:
            if self._members is None:
                self._members = self._list_members()
            return self._members

    def _list_members(self) -> frozenset[str]:
        path = f"/orgs/{self._org}/members"
        where = f"GET {path}"
        try:
            logins = {
                field_str(as_object(item, where, "member"), "login", where).lower()
                for item in self._client.paginate(path, {"per_page": 100}, fan_out=PAGE_FAN_OUT)
            }
        except (ForbiddenError, NotFoundError) as exc:
            raise MembersRefusedError(
                f"GitHub refused {where} ({exc.status}), so external pull requests cannot be "
                "judged: the App needs Organization → Members: read (members:read)"
            ) from exc
        logger.info("organisation members listed", extra={"org": self._org, "members": len(logins)})
        return frozenset(logins)

    # -- team maintainers -------------------------------------------------------------------

    def team_maintainers(self, slugs: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Lower-case maintainer logins per team slug; () for a team that does not exist."""
        wanted = sorted({slug.lower() for slug in slugs})
        with self._teams_lock:
            missing = [slug for slug in wanted if slug not in self._maintainers]
            found: dict[str, list[str]] = {slug: [] for slug in missing}
            cursors: dict[str, str | None] = dict.fromkeys(missing)
            while cursors:
                pages = with_each_batch(
                    self._executor, sorted(cursors.items()), TEAM_BATCH_SIZE, self._team_pages
                )
                cursors = {}
                for slug, logins, cursor in pages:
                    found[slug].extend(logins)
                    if cursor is not None:
                        cursors[slug] = cursor
            for slug, logins in found.items():
                self._maintainers[slug] = tuple(dict.fromkeys(logins))
            return {slug: self._maintainers[slug] for slug in wanted}

    def _team_pages(
        self, batch: Sequence[tuple[str, str | None]]
    ) -> list[tuple[str, list[str], str | None]]:
        variables: dict[str, Any] = {"org": self._org}
        for index, (slug, cursor) in enumerate(batch):
            variables[f"s{index}"] = slug
            variables[f"a{index}"] = cursor
        what = f"GraphQL team maintainers of {self._org} ({len(batch)} teams)"
        answer = run_graphql(self._client, team_maintainers_query(len(batch)), variables, what)
        missing_teams = {
            error["path"][1]
            for error in answer.errors
            if error_type(error) == "NOT_FOUND"
            and isinstance(error.get("path"), list)
            and len(error["path"]) == 2
        }
        if len(missing_teams) != len(answer.errors):
            raise unexpected_errors(answer.errors, what)
        organization = field_object_or_none(answer.data, "organization", what)
        if organization is None:
            raise CollectionError(
                f"{what}: GitHub answered no organization {self._org!r}; check GITHUB_ORG "
                "and the App's 'Members' organisation permission"
            )
        results: list[tuple[str, list[str], str | None]] = []
        for index, (slug, _cursor) in enumerate(batch):
            alias = f"t{index}"
            team = None if alias in missing_teams else organization.get(alias)
            if team is None:
                results.append((slug, [], None))
                continue
            results.append((slug, *maintainer_page(team, f"{what} team {slug!r}")))
        return results

    # -- verified-domain e-mails --------------------------------------------------------------

    def users_with_verified_email(self, logins: Iterable[str]) -> frozenset[str]:
        """The lower-case logins (of ``logins``) with a verified-domain e-mail for the org."""
        wanted = sorted({login.lower() for login in logins})
        with self._emails_lock:
            missing = [login for login in wanted if login not in self._has_email]
            for answers in with_each_batch(
                self._executor, missing, USER_BATCH_SIZE, self._email_batch
            ):
                self._has_email.update(answers)
            return frozenset(login for login in wanted if self._has_email[login])

    def _email_batch(self, logins: Sequence[str]) -> list[dict[str, bool]]:
        variables: dict[str, Any] = {"org": self._org}
        variables.update({f"l{index}": login for index, login in enumerate(logins)})
        what = f"GraphQL verified-domain e-mails in {self._org} ({len(logins)} users)"
        answer = run_graphql(self._client, verified_emails_query(len(logins)), variables, what)
        unknown = not_found_aliases(
            answer.errors, logins, lambda login: f"{what} user {login}", what
        )
        result: dict[str, bool] = {}
        for index, login in enumerate(logins):
            alias = f"u{index}"
            user = None if alias in unknown else field_object_or_none(answer.data, alias, what)
            if user is None:
                result[login] = False
                continue
            emails = field_list(user, "organizationVerifiedDomainEmails", f"{what} user {login}")
            result[login] = len(emails) > 0
        return [result]


def people_facts(
    directory: OrgDirectory,
    owners: Iterable[str],
    members_needed: bool,
    unavailable: Mapping[str, str] = MappingProxyType({}),
) -> PeopleFacts:
    """What the checks need about people: members (only when ``members_needed``), the
    maintainers of the organisation's ``@org/team`` owners, and which of those users and
    of the ``@user`` owners have a verified-domain e-mail. ``unavailable`` maps
    ``members`` / ``contacts`` to why the App may not read them (not asked then)."""
    org = directory.org
    missing = dict(unavailable)
    members = None
    if members_needed and MEMBERS not in missing:
        try:
            members = directory.members()
        except MembersRefusedError as exc:
            missing[MEMBERS] = str(exc)
    maintainers: dict[str, tuple[str, ...]] = {}
    verified: frozenset[str] = frozenset()
    if CONTACTS not in missing:
        lowered = {owner.lower() for owner in owners}
        slugs = {team_slug(owner, org) for owner in lowered if is_team_owner(owner)}
        maintainers = directory.team_maintainers(slug for slug in slugs if slug)
        users = {owner[1:] for owner in lowered if not is_team_owner(owner)}
        users |= {login for logins in maintainers.values() for login in logins}
        verified = directory.users_with_verified_email(users)
    return PeopleFacts(
        org=org,
        members=members,
        team_maintainers=MappingProxyType(maintainers),
        verified_users=verified,
        missing=MappingProxyType({k: v for k, v in missing.items() if k in (MEMBERS, CONTACTS)}),
    )


def with_each_batch(
    executor: Executor | None,
    items: Sequence[T],
    size: int,
    run: Callable[[Sequence[T]], list[R]],
) -> list[R]:
    """``run`` over ``items`` in batches of ``size`` (halved when too heavy), results joined."""

    def run_halving(batch: Sequence[T]) -> list[R]:
        parts = with_halving(batch, run, lambda item: f"GraphQL lookup of {item!r}")
        return [result for part in parts for result in part]

    results = map_batches(executor, chunks(items, size), run_halving)
    return [result for part in results for result in part]


def maintainer_page(team: Mapping[str, Any], where: str) -> tuple[list[str], str | None]:
    """One page of a team's maintainers: lower-case logins and the next cursor (None: done)."""
    members = field_object(team, "members", where)
    logins = [
        field_str(as_object(node, where, "members.nodes[]"), "login", where).lower()
        for node in field_list(members, "nodes", where)
    ]
    return logins, next_cursor(members, where)
