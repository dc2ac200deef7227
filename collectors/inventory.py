"""The one REST listing of every repository of the organisation, archived included.

It is the source of visibility, archived, pushed time and
``security_and_analysis`` for the whole run: the repository collection reads
the active repositories' names from it, and the alert collections enrich
their records from it at no extra request.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from collectors.errors import UnexpectedAnswerError
from collectors.shapes import (
    as_object,
    field_bool,
    field_object_or_none,
    field_str,
    field_str_or_none,
)

logger = logging.getLogger(__name__)

VISIBILITIES: Final = frozenset({"PUBLIC", "PRIVATE", "INTERNAL"})
# Pages of a page-numbered listing read at once after the first (which names the last).
PAGE_FAN_OUT: Final = 8


class Paginator(Protocol):
    """The part of ``github_client.GitHubClient`` the inventory needs."""

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, fan_out: int = 1
    ) -> Any: ...


@dataclass(frozen=True)
class RepoListing:
    """One repository as the REST listing shows it."""

    name: str
    html_url: str
    visibility: str  # "PUBLIC" | "PRIVATE" | "INTERNAL"
    archived: bool
    created_at: str
    pushed_at: str | None
    default_branch: str | None
    secret_scanning: str | None  # None: GitHub did not reveal it
    push_protection: str | None  # None: GitHub did not reveal it


def repos_path(org: str) -> str:
    """The REST path listing an organisation's repositories."""
    return f"/orgs/{org}/repos"


def list_repositories(client: Paginator, org: str) -> list[RepoListing]:
    """Every repository of ``org`` (every page, archived included), in GitHub's order."""
    path = repos_path(org)
    params = {"type": "all", "per_page": 100}
    listings = [
        listing_from_rest(item, f"GET {path}")
        for item in client.paginate(path, params, fan_out=PAGE_FAN_OUT)
    ]
    names = [listing.name.lower() for listing in listings]
    if len(set(names)) != len(names):
        raise UnexpectedAnswerError(
            f"GET {path}: the listing named a repository twice (pages shifted while "
            "repositories were created or deleted); run again"
        )
    logger.info("repository inventory listed", extra={"org": org, "repositories": len(listings)})
    return listings


def security_status(security: Mapping[str, Any] | None, key: str, where: str) -> str | None:
    """``security_and_analysis.<key>.status``, or None when GitHub did not reveal it."""
    if security is None:
        return None
    block = field_object_or_none(security, key, where) if key in security else None
    if block is None:
        return None
    return field_str_or_none(block, "status", f"{where} security_and_analysis.{key}")


def listing_from_rest(item: object, endpoint: str) -> RepoListing:
    """A RepoListing from one element of the REST listing; wrong shapes raise."""
    repo = as_object(item, endpoint, "repository")
    name = field_str(repo, "name", endpoint)
    where = f"{endpoint} (repository {name})"
    visibility = field_str(repo, "visibility", where).upper()
    if visibility not in VISIBILITIES:
        raise UnexpectedAnswerError(f"{where}: unknown visibility {visibility!r}")
    security = (
        field_object_or_none(repo, "security_and_analysis", where)
        if ("security_and_analysis" in repo)
        else None
    )
    return RepoListing(
        name=name,
        html_url=field_str(repo, "html_url", where),
        visibility=visibility,
        archived=field_bool(repo, "archived", where),
        created_at=field_str(repo, "created_at", where),
        pushed_at=field_str_or_none(repo, "pushed_at", where) if "pushed_at" in repo else None,
        default_branch=field_str_or_none(repo, "default_branch", where)
        if "default_branch" in repo
        else None,
        secret_scanning=security_status(security, "secret_scanning", where),
        push_protection=security_status(security, "secret_scanning_push_protection", where),
    )
