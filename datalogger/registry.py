"""The one registry of collections: name, feature toggle, file, sort order, collector,
permissions.

Configuration (which collections exist and their ``features`` toggles), the
writers (file names, sort order), the run summary, the permission preflight,
the orchestration (:mod:`datalogger.run`) and the benchmark all read this
table; nothing else lists the collections.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from collectors import CollectionResult
from collectors.errors import CollectionError
from collectors.facts import MEMBERS, PeopleFacts
from collectors.inventory import RepoListing
from collectors.people import OrgDirectory, people_facts
from collectors.repositories import (
    FirstPage,
    RepoDraft,
    RepositorySettings,
    Unreadable,
    collect_repository_facts,
)
from datalogger.alert_collections import collect_dependabot, collect_secret_scanning
from datalogger.records import repository_records, taken
from github_client import GitHubError
from policy import permissions
from policy.checks import needs_members
from policy.exceptions import ExceptionEntry
from policy.permissions import Needs

if TYPE_CHECKING:
    from datalogger.config import RunConfig
    from github_client import GitHubClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CollectionInput:
    """What a collector gets: the client, the run's configuration and inventory, ``now``
    (the run's start) and the facts the App may not read (fact name -> reason)."""

    client: GitHubClient
    config: RunConfig
    inventory: Sequence[RepoListing]
    now: datetime
    unavailable: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # The active entries of the exceptions file (repositories only).
    exceptions: tuple[ExceptionEntry, ...] = ()


Collector = Callable[[CollectionInput], CollectionResult]


@dataclass(frozen=True)
class Collection:
    """One dataset the logger can collect."""

    name: str  # in outputs and the run summary
    feature: str  # config.json features.<toggle>
    file: str  # the dataset's file / S3 key
    sort_fields: tuple[str, ...]  # the documented order of its records
    collect: Collector
    needs: Needs


def collect_repositories(  # noqa: PLR0917 - the collection's whole input, spelled out
    client: GitHubClient,
    org: str,
    inventory: Sequence[RepoListing],
    settings: RepositorySettings,
    now: datetime,
    unavailable: Mapping[str, str] = MappingProxyType({}),
    exceptions: Sequence[ExceptionEntry] = (),
) -> CollectionResult:
    """repositories.json: facts of every active repository and of the people behind
    them, then the policy's judgement (exceptions included), then the records.

    The people are looked up while the last facts are read: the members as soon
    as a first page shows a person's pull request (membership then matters), the
    CODEOWNERS owners once every CODEOWNERS file is read, while the branch rules
    still are."""
    with (
        ThreadPoolExecutor(max_workers=settings.thread_count, thread_name_prefix="people") as pool,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="people-ahead") as ahead,
    ):
        directory = OrgDirectory(client, org, pool)
        members_ahead = threading.Event()
        people_ahead: list[Future[PeopleFacts]] = []

        def on_first_pages(pages: Sequence[FirstPage | Unreadable]) -> None:
            if members_ahead.is_set() or MEMBERS in unavailable:
                return
            authors = [
                author
                for page in pages
                if isinstance(page, FirstPage) and page.pull_requests is not None
                for author in page.pull_requests.authors
            ]
            if needs_members(authors) and not members_ahead.is_set():
                members_ahead.set()
                ahead.submit(list_members_ahead, directory)

        def before_rules(drafts: Sequence[RepoDraft]) -> None:
            owners = {owner for draft in drafts for owner in draft.codeowners_owners or ()}
            authors = [author for draft in drafts for author in draft.pull_request_authors]
            people_ahead.append(
                ahead.submit(people_facts, directory, owners, needs_members(authors), unavailable)
            )

        found = collect_repository_facts(
            client,
            org,
            inventory,
            settings,
            unavailable,
            on_first_pages=on_first_pages,
            before_rules=before_rules,
        )
        if people_ahead:
            people = people_ahead[0].result()
        else:
            owners = {o for item in found.repositories for o in item.codeowners_owners or ()}
            authors = [a for item in found.repositories for a in item.pull_request_authors or ()]
            people = people_facts(directory, owners, needs_members(authors), unavailable)
    records = repository_records(
        taken(found.repositories), people, settings.inactivity_years, now, exceptions
    )
    return CollectionResult(
        records=records,
        warnings=list(found.warnings),
        unknown_repositories=sum(1 for record in records if record["unknown"]),
        non_compliant=sum(1 for record in records if record["failing"]),
    )


def list_members_ahead(directory: OrgDirectory) -> None:
    """List the members before they are needed; a failure is left to the call that needs
    them (which lists them again and reports it)."""
    try:
        directory.members()
    except (CollectionError, GitHubError) as exc:
        logger.info("members not listed ahead", extra={"cause": str(exc)[:200]})


def _repositories(run: CollectionInput) -> CollectionResult:
    config = run.config
    settings = RepositorySettings(
        inactivity_years=config.inactivity_threshold,
        signed_commit_number=config.signed_commit_number,
        thread_count=config.thread_count,
    )
    return collect_repositories(
        run.client, config.org, run.inventory, settings, run.now, run.unavailable, run.exceptions
    )


def collect_dependabot_alerts(run: CollectionInput) -> CollectionResult:
    config = run.config
    return collect_dependabot(
        run.client, config.org, run.inventory, config.dependabot_thresholds, run.now
    )


def collect_secret_scanning_alerts(run: CollectionInput) -> CollectionResult:
    config = run.config
    return collect_secret_scanning(
        run.client,
        config.org,
        run.inventory,
        config.secret_scanning_threshold,
        config.secret_scanning_generic_types,
        run.now,
    )


REGISTRY: Final[dict[str, Collection]] = {
    collection.name: collection
    for collection in (
        Collection(
            name="repositories",
            feature="repository_collection",
            file="repositories.json",
            sort_fields=("name",),
            collect=_repositories,
            needs=Needs(
                required=(permissions.METADATA,),
                optional=(
                    permissions.ADMINISTRATION,
                    permissions.CONTENTS,
                    permissions.PULL_REQUESTS,
                    permissions.MEMBERS,
                ),
            ),
        ),
        Collection(
            name="dependabot",
            feature="dependabot_collection",
            file="dependabot.json",
            sort_fields=("repository", "created_at", "alert_url"),
            collect=collect_dependabot_alerts,
            needs=Needs(required=(permissions.METADATA, permissions.VULNERABILITY_ALERTS)),
        ),
        Collection(
            name="secret_scanning",
            feature="secret_scanning_collection",
            file="secret_scanning.json",
            sort_fields=("repository", "creation_date", "alert_url"),
            collect=collect_secret_scanning_alerts,
            needs=Needs(required=(permissions.METADATA, permissions.SECRET_SCANNING_ALERTS)),
        ),
    )
}

# Collection names in their fixed order (outputs, summary, configuration).
COLLECTIONS: Final[tuple[str, ...]] = tuple(REGISTRY)


def collection(name: str) -> Collection:
    """The registry entry of ``name``; ValueError naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown collection {name!r}; expected one of {list(REGISTRY)}") from None
