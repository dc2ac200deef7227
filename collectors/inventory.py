"""The one REST listing of every repository of the organisation, archived included.

It is the source of visibility, archived, pushed time and
``security_and_analysis`` for the whole run: the repository collection reads
the active repositories' names from it, and the alert collections enrich
their records from it at no extra request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, overload

from collectors.errors import UnexpectedAnswerError
from collectors.shapes import (
    as_object,
    field_bool,
    field_object_or_none,
    field_str,
    optional_str,
    optional_word,
    shared,
)

logger = logging.getLogger(__name__)

VISIBILITIES: Final = frozenset({"PUBLIC", "PRIVATE", "INTERNAL"})
# Pages of a page-numbered listing read at once after the first (which names the last).
PAGE_FAN_OUT: Final = 32


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
    created_at: str | None  # None: GitHub did not say
    pushed_at: str | None
    default_branch: str | None
    secret_scanning: str | None  # None: GitHub did not reveal it
    push_protection: str | None  # None: GitHub did not reveal it
    # False: ``visibility`` absent or null, derived from the required ``private``.
    visibility_reported: bool = True
    # False: ``archived`` absent or null, taken as false.
    archived_reported: bool = True

    @property
    def complete(self) -> bool:
        """Whether GitHub gave both visibility and archived (no default was used)."""
        return self.visibility_reported and self.archived_reported


def repos_path(org: str) -> str:
    """The REST path listing an organisation's repositories."""
    return f"/orgs/{org}/repos"


def list_repositories(client: Paginator, org: str) -> list[RepoListing]:
    """Every repository of ``org`` (every page, archived included), in GitHub's order:
    :func:`feed_repositories` read to its end."""
    feed = InventoryFeed()
    feed_repositories(client, org, feed)
    return list(feed)


def optional(repo: Mapping[str, Any], key: str) -> Any:
    """A field GitHub's REST description marks optional: its value, None when absent."""
    return repo.get(key)


def security_status(security: Mapping[str, Any] | None, key: str, where: str) -> str | None:
    """``security_and_analysis.<key>.status``, or None when GitHub did not reveal it
    (the block, the key or the status absent or null)."""
    if security is None:
        return None
    block = field_object_or_none(security, key, where) if key in security else None
    if block is None:
        return None
    return optional_word(block, "status", f"{where} security_and_analysis.{key}")


def listing_visibility(repo: Mapping[str, Any], where: str) -> tuple[str, bool]:
    """``visibility`` upper case, and whether GitHub gave it. Absent or null (optional in
    GitHub's REST description): PUBLIC when the required ``private`` is false, else
    PRIVATE (an internal repository is ``private`` too; only GraphQL tells them apart)."""
    if optional(repo, "visibility") is None:
        return ("PRIVATE" if field_bool(repo, "private", where) else "PUBLIC"), False
    visibility = shared(field_str(repo, "visibility", where).upper())
    if visibility not in VISIBILITIES:
        raise UnexpectedAnswerError(f"{where}: unknown visibility {visibility!r}")
    return visibility, True


def listing_from_rest(item: object, endpoint: str) -> RepoListing:
    """A RepoListing from one element of the REST listing; wrong shapes raise.

    Fields GitHub's REST description marks optional or nullable have defaults:
    ``visibility`` (see :func:`listing_visibility`), ``archived`` (false: the
    repository collection then reads ``isArchived`` from GraphQL, which decides),
    ``created_at``/``pushed_at``/``default_branch`` (None), ``security_and_analysis``
    and its statuses (None: not revealed, the checks that need them are unknown).
    """
    repo = as_object(item, endpoint, "repository")
    name = field_str(repo, "name", endpoint)
    where = f"{endpoint} (repository {name})"
    visibility, reported = listing_visibility(repo, where)
    security = (
        field_object_or_none(repo, "security_and_analysis", where)
        if optional(repo, "security_and_analysis") is not None
        else None
    )
    return RepoListing(
        name=name,
        html_url=field_str(repo, "html_url", where),
        visibility=visibility,
        archived=field_bool(repo, "archived", where)
        if optional(repo, "archived") is not None
        else False,
        created_at=optional_str(repo, "created_at", where),
        pushed_at=optional_str(repo, "pushed_at", where),
        default_branch=optional_word(repo, "default_branch", where),
        secret_scanning=security_status(security, "secret_scanning", where),
        push_protection=security_status(security, "secret_scanning_push_protection", where),
        visibility_reported=reported,
        archived_reported=optional(repo, "archived") is not None,
    )


class InventoryFeed(Sequence[RepoListing]):
    """The inventory while it arrives: collections start before its last page.

    One thread lists the repositories into the feed (:func:`feed_repositories`);
    any number of readers either follow it as it grows (:meth:`arriving`) or
    wait for all of it (iterating, ``len``, indexing). A listing that failed
    raises its error in every reader.
    """

    def __init__(self) -> None:
        self._listings: list[RepoListing] = []
        self._changed = threading.Condition()
        self._done = False
        self._error: BaseException | None = None

    def add(self, listings: Iterable[RepoListing]) -> None:
        """More of the listing (one page)."""
        with self._changed:
            self._listings.extend(listings)
            self._changed.notify_all()

    def finish(self, error: BaseException | None = None) -> None:
        """The listing is complete, or failed with ``error``."""
        with self._changed:
            self._done, self._error = True, error
            self._changed.notify_all()

    def arriving(self) -> Iterator[RepoListing]:
        """Every listing in order, each as soon as it arrived."""
        position = 0
        while True:
            with self._changed:
                while not self._done and len(self._listings) <= position:
                    self._changed.wait()
                fresh = self._listings[position:]
                done, error = self._done, self._error
            if error is not None:
                raise error
            yield from fresh
            position += len(fresh)
            if done and not fresh:
                return

    def complete(self) -> list[RepoListing]:
        """The whole inventory (waits for its last page)."""
        with self._changed:
            self._changed.wait_for(lambda: self._done)
            if self._error is not None:
                raise self._error
            return self._listings

    def __len__(self) -> int:
        return len(self.complete())

    @overload
    def __getitem__(self, index: int) -> RepoListing: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[RepoListing]: ...

    def __getitem__(self, index: int | slice) -> RepoListing | Sequence[RepoListing]:
        return self.complete()[index]

    def __iter__(self) -> Iterator[RepoListing]:
        return iter(self.complete())


def arriving(inventory: Sequence[RepoListing]) -> Iterator[RepoListing]:
    """The inventory's listings as they arrive (a list's at once)."""
    if isinstance(inventory, InventoryFeed):
        return inventory.arriving()
    return iter(inventory)


def feed_repositories(client: Paginator, org: str, feed: InventoryFeed) -> None:
    """List ``org``'s repositories into ``feed`` page by page; the feed ends either way."""
    path = repos_path(org)
    params = {"type": "all", "per_page": 100}
    seen: set[str] = set()
    page: list[RepoListing] = []
    try:
        for item in client.paginate(path, params, fan_out=PAGE_FAN_OUT):
            listing = listing_from_rest(item, f"GET {path}")
            if listing.name.lower() in seen:
                raise UnexpectedAnswerError(
                    f"GET {path}: the listing named a repository twice (pages shifted while "
                    "repositories were created or deleted); run again"
                )
            seen.add(listing.name.lower())
            page.append(listing)
            if len(page) == 100:
                feed.add(page)
                page = []
        feed.add(page)
    except BaseException as error:
        feed.finish(error)
        raise
    feed.finish()
    logger.info("repository inventory listed", extra={"org": org, "repositories": len(seen)})
