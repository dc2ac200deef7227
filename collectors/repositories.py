"""repositories.json: facts of every active repository in aliased GraphQL batches, then policy.

Request plan (issue 5's budget): the inventory's REST pages, then one GraphQL
query per ``batch_size`` active repositories (each repository's facts in one
selection: how many rulesets may apply, branches with their classic protection
rule, latest commit signatures, the root / ``.github`` / ``docs`` listings, the
three CODEOWNERS candidates, open pull request authors), follow-up pages only
for repositories with more than 100 branches or open pull requests, then the
branch rules of the branches that only a ruleset could protect (repositories
with rulesets, branches without a classic rule; up to 100 branches per query
across repositories), one REST ``git/blobs`` request per CODEOWNERS file over
512,000 bytes (GitHub cuts GraphQL ``Blob.text`` there), then the people lookups of
:class:`collectors.people.OrgDirectory`. Batches are small units on a thread
pool, collected as they complete.

Points: asking ``rules`` under every branch of ``refs(first: 100)`` costs 100
requests per repository in GitHub's formula (about one point per repository);
asking ``rulesets { totalCount }`` per repository and ``rules`` per branch only
where it can matter costs about 2 points per 50 repositories plus one per 100
such branches.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from collectors import CollectionResult
from collectors.batching import (
    BatchTooHeavyError,
    batches,
    chunks,
    not_found_aliases,
    run_graphql,
    unexpected_errors,
    with_halving,
)
from collectors.codeowners import parse_owners
from collectors.errors import CollectionError, RepositoryUnreadableError, UnexpectedAnswerError
from collectors.facts import PeopleFacts, PullRequestAuthor, RepoFacts, TreeEntry
from collectors.inventory import VISIBILITIES, RepoListing, arriving
from collectors.people import OrgDirectory
from collectors.policy import PUBLIC, checklist, is_human_author
from collectors.queries import (
    CODEOWNERS_ALIASES,
    branch_alias,
    branch_rules_query,
    facts_batch_size,
    follow_up_query,
    repository_alias,
    repository_facts_query,
)
from collectors.shapes import (
    as_object,
    field_bool,
    field_int,
    field_list,
    field_object,
    field_object_or_none,
    field_str,
    field_str_or_none,
    next_cursor,
    wrong_shape,
)
from github_client import GitHubClient, GitHubError

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

MAX_SIGNED_COMMITS = 100
BRANCHES_PER_RULES_QUERY = 100
SECURITY_PERMISSION_WARNING = (
    "GitHub did not reveal security_and_analysis (secret scanning / push protection status) "
    "for {count} public repositories (e.g. {examples}); their secret_scanning_disabled and "
    "push_protection_disabled are reported true. Grant the GitHub App the 'Administration' "
    "repository permission (read) so that GitHub shows the status."
)
GIT_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1, or SHA-256


@dataclass(frozen=True)
class TruncatedBlob:
    """A CODEOWNERS file whose GraphQL text GitHub cut at 512,000 bytes: read it whole by id."""

    path: str
    oid: str


@dataclass(frozen=True)
class RepositorySettings:
    """The repository collection's knobs (config.json ``settings``)."""

    inactivity_years: int
    signed_commit_number: int
    thread_count: int
    # Repositories per facts query; None: as many as queries.NODE_BUDGET holds
    # (50 with the default 15 signed commits).
    batch_size: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.signed_commit_number <= MAX_SIGNED_COMMITS:
            raise ValueError(
                f"signed_commit_number must be between 0 and {MAX_SIGNED_COMMITS} "
                f"(GitHub pages commit history by 100), got {self.signed_commit_number}"
            )
        too_small = self.batch_size is not None and self.batch_size < 1
        if self.thread_count < 1 or too_small or self.inactivity_years < 0:
            raise ValueError(
                "thread_count and batch_size must be at least 1 and inactivity_years at least 0"
            )

    @property
    def facts_batch(self) -> int:
        """Repositories per facts query (sized by GitHub's node estimate unless set)."""
        if self.batch_size is not None:
            return self.batch_size
        return facts_batch_size(self.signed_commit_number)


@dataclass
class RepoDraft:
    """One repository's facts while its pages are still being read."""

    listing: RepoListing
    visibility: str
    is_empty: bool
    created_at: str
    pushed_at: str | None
    vulnerability_alerts_enabled: bool
    commit_signatures: tuple[bool | None, ...]
    root_entries: tuple[TreeEntry, ...]
    github_entries: tuple[TreeEntry, ...]
    docs_entries: tuple[TreeEntry, ...]
    codeowners_owners: tuple[str, ...] | None
    # The CODEOWNERS file still to read whole (its owners are not known until then).
    codeowners_blob: TruncatedBlob | None = None
    # Rulesets that may apply (any enforcement); 0: classic rules only; None: GitHub
    # would not say, so every branch without a classic rule has its rules read.
    rulesets: int | None = 0
    branch_names: list[str] = field(default_factory=list)
    # Per branch: protected so far (a classic rule; then a rule from a ruleset).
    branches_protected: list[bool] = field(default_factory=list)
    branches_deleted: set[int] = field(default_factory=set)  # gone before their rules were read
    branches_cursor: str | None = None
    pull_request_authors: list[PullRequestAuthor | None] = field(default_factory=list)
    pull_requests_cursor: str | None = None

    def facts(self) -> RepoFacts:
        if self.codeowners_blob is not None:
            raise CollectionError(
                f"repository {self.listing.name}: CODEOWNERS file "
                f"{self.codeowners_blob.path} was cut by GitHub and never read whole"
            )
        return RepoFacts(
            name=self.listing.name,
            visibility=self.visibility,
            url=self.listing.html_url,
            created_at=self.created_at,
            pushed_at=self.pushed_at,
            is_empty=self.is_empty,
            branches_protected=tuple(
                protected
                for index, protected in enumerate(self.branches_protected)
                if index not in self.branches_deleted
            ),
            commit_signatures=self.commit_signatures,
            root_entries=self.root_entries,
            github_entries=self.github_entries,
            docs_entries=self.docs_entries,
            codeowners_owners=self.codeowners_owners,
            pull_request_authors=tuple(self.pull_request_authors),
            vulnerability_alerts_enabled=self.vulnerability_alerts_enabled,
            secret_scanning=self.listing.secret_scanning,
            push_protection=self.listing.push_protection,
        )


# -- parsing one repository's answer -------------------------------------------------------


def advanced_cursor(previous: str | None, cursor: str | None, where: str) -> str | None:
    """``cursor``, refusing one that does not move (a page loop would never end)."""
    if cursor is not None and cursor == previous:
        raise CollectionError(f"{where}: GitHub answered the same page cursor twice")
    return cursor


@dataclass(frozen=True)
class BranchPage:
    """One ``refs`` page: branch names, whether a classic rule protects each, next cursor."""

    names: list[str]
    classic_protected: list[bool]
    cursor: str | None


def branch_page(connection: Mapping[str, Any], where: str) -> BranchPage:
    """Branch names and classic-protection flags of one ``refs`` page, and the next cursor."""
    names, flags = [], []
    for node in field_list(connection, "nodes", where):
        branch = as_object(node, where, "refs.nodes[]")
        names.append(field_str(branch, "name", where))
        flags.append(field_object_or_none(branch, "branchProtectionRule", where) is not None)
    return BranchPage(names, flags, next_cursor(connection, where))


def ruleset_count(repo: Mapping[str, Any], where: str) -> int | None:
    """``rulesets.totalCount``: rulesets that may apply to the repository; None when null."""
    rulesets = field_object_or_none(repo, "rulesets", where)
    return None if rulesets is None else field_int(rulesets, "totalCount", where)


def has_rules(ref: Mapping[str, Any], where: str) -> bool:
    """Whether an active ruleset's rules apply to a branch (``rules.totalCount`` > 0)."""
    rules = field_object_or_none(ref, "rules", where)
    return rules is not None and field_int(rules, "totalCount", where) > 0


def pull_request_page(
    connection: Mapping[str, Any], where: str
) -> tuple[list[PullRequestAuthor | None], str | None]:
    """Authors of one open-pull-request page (None: deleted account), and the next cursor."""
    authors: list[PullRequestAuthor | None] = []
    for node in field_list(connection, "nodes", where):
        author = field_object_or_none(as_object(node, where, "nodes[]"), "author", where)
        if author is None:
            authors.append(None)
        else:
            authors.append(
                PullRequestAuthor(
                    field_str(author, "__typename", where), field_str(author, "login", where)
                )
            )
    return authors, next_cursor(connection, where)


def tree_entries(repo: Mapping[str, Any], alias: str, where: str) -> tuple[TreeEntry, ...]:
    """Entries of a directory lookup; () when the path is absent or not a directory."""
    found = field_object_or_none(repo, alias, where)
    if found is None or field_str(found, "__typename", where) != "Tree":
        return ()
    return tuple(
        TreeEntry(
            field_str(as_object(entry, where, f"{alias}.entries[]"), "name", where),
            field_str(entry, "type", where),
        )
        for entry in field_list(found, "entries", where)
    )


def codeowners_file(
    repo: Mapping[str, Any], where: str
) -> tuple[tuple[str, ...] | None, TruncatedBlob | None]:
    """Owners of the first CODEOWNERS file in GitHub's order (None when there is none), or,
    when GitHub cut its text, () and the blob to read whole before its owners are known."""
    for alias, expression in CODEOWNERS_ALIASES.items():
        found = field_object_or_none(repo, alias, where)
        if found is None or field_str(found, "__typename", where) != "Blob":
            continue
        text = field_str_or_none(found, "text", where)
        if text is None:  # a binary file: present, names no owner
            return (), None
        if not field_bool(found, "isTruncated", where):
            return parse_owners(text), None
        oid = field_str(found, "oid", where)
        if not GIT_OBJECT_ID.fullmatch(oid):
            raise wrong_shape(where, f"{alias}.oid", "a git object id", oid)
        return (), TruncatedBlob(expression.partition(":")[2], oid)
    return None, None


def blob_text(answer: object, where: str) -> str:
    """The text of a REST ``git/blobs`` answer (base64, UTF-8; undecodable bytes replaced)."""
    blob = as_object(answer, where, "(blob)")
    encoding = field_str(blob, "encoding", where)
    if encoding != "base64":
        raise UnexpectedAnswerError(
            f"{where}: GitHub sent the blob as {encoding!r}, not 'base64'; retry the run"
        )
    size = field_int(blob, "size", where)
    try:
        data = base64.b64decode(field_str(blob, "content", where).replace("\n", ""), validate=True)
    except binascii.Error as exc:
        raise UnexpectedAnswerError(
            f"{where}: GitHub's blob content is not valid base64; retry the run"
        ) from exc
    if len(data) != size:
        raise UnexpectedAnswerError(
            f"{where}: GitHub sent {len(data)} bytes of a {size}-byte blob; retry the run"
        )
    return data.decode("utf-8", errors="replace")


def commit_signatures(
    repo: Mapping[str, Any], signed_commit_number: int, where: str
) -> tuple[bool | None, ...]:
    """``isValid`` of the latest commits' signatures (None: unsigned), newest first."""
    ref = field_object_or_none(repo, "defaultBranchRef", where)
    if ref is None or signed_commit_number == 0:
        return ()
    target = field_object(ref, "target", where)
    history = field_object(target, "history", where)
    signatures: list[bool | None] = []
    for node in field_list(history, "nodes", where):
        signature = field_object_or_none(
            as_object(node, where, "history.nodes[]"), "signature", where
        )
        signatures.append(None if signature is None else field_bool(signature, "isValid", where))
    return tuple(signatures)


def draft_from_answer(
    repo: Mapping[str, Any], listing: RepoListing, signed_commit_number: int, where: str
) -> RepoDraft:
    """A RepoDraft from one aliased ``repository`` answer."""
    visibility = field_str(repo, "visibility", where)
    if visibility not in VISIBILITIES:
        raise CollectionError(f"{where}: unknown visibility {visibility!r}")
    branches = branch_page(field_object(repo, "refs", where), f"{where} refs")
    authors, pulls_cursor = pull_request_page(
        field_object(repo, "pullRequests", where), f"{where} pullRequests"
    )
    owners, truncated = codeowners_file(repo, where)
    return RepoDraft(
        listing=listing,
        visibility=visibility,
        is_empty=field_bool(repo, "isEmpty", where),
        created_at=field_str(repo, "createdAt", where),
        pushed_at=field_str_or_none(repo, "pushedAt", where),
        vulnerability_alerts_enabled=field_bool(repo, "hasVulnerabilityAlertsEnabled", where),
        commit_signatures=commit_signatures(repo, signed_commit_number, where),
        root_entries=tree_entries(repo, "root", where),
        github_entries=tree_entries(repo, "dotGithub", where),
        docs_entries=tree_entries(repo, "docs", where),
        codeowners_owners=owners,
        codeowners_blob=truncated,
        rulesets=ruleset_count(repo, where),
        branch_names=branches.names,
        branches_protected=branches.classic_protected,
        branches_cursor=branches.cursor,
        pull_request_authors=authors,
        pull_requests_cursor=pulls_cursor,
    )


# -- fetching ------------------------------------------------------------------------------


class FactReader:
    """Reads the facts of batches of repositories through GraphQL."""

    def __init__(self, client: GitHubClient, org: str, settings: RepositorySettings) -> None:
        self._client = client
        self._org = org
        self._settings = settings
        # Called once, from a worker, when a first page shows a person's pull request.
        self.on_human_author: Callable[[], object] | None = None
        self._human_seen = threading.Event()

    def where(self, name: str) -> str:
        return f"GraphQL repository {self._org}/{name}"

    def read_unit(self, listings: Sequence[RepoListing]) -> list[RepoDraft]:
        """Drafts of one unit of repositories, first pages only (halved while too heavy)."""
        parts = with_halving(listings, self._read_batch, lambda item: self.where(item.name))
        drafts = [draft for part in parts for draft in part]
        if self.on_human_author is not None and not self._human_seen.is_set():
            authors = (author for draft in drafts for author in draft.pull_request_authors)
            if any(is_human_author(author) for author in authors):
                self._human_seen.set()
                self.on_human_author()
        return drafts

    def read_next_pages(self, pages: Sequence[tuple[str, RepoDraft]]) -> list[None]:
        """One more page of each listed connection ("b": branches, "p": pull requests)."""
        return with_halving(pages, self._read_next_pages, lambda p: self.where(p[1].listing.name))

    def _read_batch(
        self, listings: Sequence[RepoListing], *, retry_missing: bool = True
    ) -> list[RepoDraft]:
        variables: dict[str, Any] = {"org": self._org}
        variables.update({f"n{index}": listing.name for index, listing in enumerate(listings)})
        query = repository_facts_query(len(listings), self._settings.signed_commit_number)
        what = f"GraphQL repository facts batch of {len(listings)} in {self._org}"
        answer = run_graphql(self._client, query, variables, what)
        names = [listing.name for listing in listings]
        missing = not_found_aliases(answer.errors, names, self.where, what)
        drafts = []
        for index, listing in enumerate(listings):
            alias = repository_alias(index)
            if alias in missing:
                drafts.extend(self._retry_missing(listing, retry_missing))
                continue
            repo = field_object_or_none(answer.data, alias, self.where(listing.name))
            if repo is None:
                raise RepositoryUnreadableError(
                    f"{self.where(listing.name)}: GitHub answered null without an error"
                )
            signed = self._settings.signed_commit_number
            drafts.append(draft_from_answer(repo, listing, signed, self.where(listing.name)))
        return drafts

    def _retry_missing(self, listing: RepoListing, retry_missing: bool) -> list[RepoDraft]:
        if not retry_missing:
            raise RepositoryUnreadableError(
                f"{self.where(listing.name)}: GitHub answered NOT_FOUND twice for a repository "
                f"that GET /orgs/{self._org}/repos listed (deleted, renamed or hidden from the "
                "App during the run?); run again"
            )
        logger.warning(
            "repository not found in batch, retrying alone",
            extra={"org": self._org, "repository": listing.name},
        )
        try:
            return self._read_batch([listing], retry_missing=False)
        except BatchTooHeavyError as exc:
            raise RepositoryUnreadableError(
                f"{self.where(listing.name)}: GitHub could not answer the query for it alone "
                f"({exc}); retry the run later"
            ) from exc

    def _read_next_pages(self, pages: Sequence[tuple[str, RepoDraft]]) -> None:
        branch_drafts = [draft for kind, draft in pages if kind == "b"]
        pull_drafts = [draft for kind, draft in pages if kind == "p"]
        variables: dict[str, Any] = {"org": self._org}
        for index, draft in enumerate(branch_drafts):
            variables[f"bn{index}"] = draft.listing.name
            variables[f"bc{index}"] = draft.branches_cursor
        for index, draft in enumerate(pull_drafts):
            variables[f"pn{index}"] = draft.listing.name
            variables[f"pc{index}"] = draft.pull_requests_cursor
        query = follow_up_query(len(branch_drafts), len(pull_drafts))
        what = f"GraphQL next pages of branches/pull requests in {self._org}"
        answer = run_graphql(self._client, query, variables, what)
        if answer.errors:
            raise unexpected_errors(answer.errors, what)
        for index, draft in enumerate(branch_drafts):
            where = f"{self.where(draft.listing.name)} refs (next page)"
            repo = field_object(answer.data, f"b{index}", where)
            page = branch_page(field_object(repo, "refs", where), where)
            draft.branches_cursor = advanced_cursor(draft.branches_cursor, page.cursor, where)
            draft.branch_names.extend(page.names)
            draft.branches_protected.extend(page.classic_protected)
        for index, draft in enumerate(pull_drafts):
            where = f"{self.where(draft.listing.name)} pullRequests (next page)"
            repo = field_object(answer.data, f"p{index}", where)
            authors, cursor = pull_request_page(field_object(repo, "pullRequests", where), where)
            draft.pull_requests_cursor = advanced_cursor(draft.pull_requests_cursor, cursor, where)
            draft.pull_request_authors.extend(authors)

    def read_whole_codeowners(self, draft: RepoDraft) -> None:
        """The owners of a CODEOWNERS file GitHub cut in GraphQL, from the whole file
        (one REST ``git/blobs`` request)."""
        blob = draft.codeowners_blob
        if blob is None:
            return
        name = draft.listing.name
        path = f"/repos/{self._org}/{name}/git/blobs/{blob.oid}"
        where = f"repository {self._org}/{name}, CODEOWNERS file {blob.path} (GET {path})"
        try:
            response = self._client.get(path)
        except GitHubError as exc:
            raise RepositoryUnreadableError(
                f"{where}: GitHub would not send the whole file, over 512,000 bytes so cut in "
                f"GraphQL ({exc}); its owners cannot be judged, retry the run later"
            ) from exc
        draft.codeowners_owners = parse_owners(blob_text(response.data, where))
        draft.codeowners_blob = None
        logger.info(
            "truncated codeowners file read whole",
            extra={"org": self._org, "repository": name, "path": blob.path},
        )

    def read_branch_rules(self, checks: Sequence[BranchCheck]) -> list[None]:
        """Rules of each listed branch (halved while too heavy); marks the protected ones."""
        return with_halving(
            checks, self._read_branch_rules, lambda check: self.where(check.draft.listing.name)
        )

    def _read_branch_rules(
        self, checks: Sequence[BranchCheck], *, retry_missing: bool = True
    ) -> None:
        groups = checks_by_repository(checks)
        variables: dict[str, Any] = {"org": self._org}
        for i, group in enumerate(groups):
            variables[f"n{i}"] = group[0].draft.listing.name
            for j, check in enumerate(group):
                variables[f"q{i}_{j}"] = f"refs/heads/{check.branch_name}"
        query = branch_rules_query([len(group) for group in groups])
        what = f"GraphQL branch rules of {len(checks)} branches in {self._org}"
        answer = run_graphql(self._client, query, variables, what)
        names = [group[0].draft.listing.name for group in groups]
        missing = not_found_aliases(answer.errors, names, self.where, what)
        for i, group in enumerate(groups):
            alias = repository_alias(i)
            if alias in missing:
                self._retry_missing_rules(group, retry_missing)
                continue
            where = f"{self.where(names[i])} branch rules"
            repo = field_object_or_none(answer.data, alias, where)
            if repo is None:
                raise RepositoryUnreadableError(f"{where}: GitHub answered null without an error")
            for j, check in enumerate(group):
                ref = field_object_or_none(repo, branch_alias(j), where)
                check.apply(ref, f"{where} (branch {check.branch_name!r})")

    def _retry_missing_rules(self, group: Sequence[BranchCheck], retry_missing: bool) -> None:
        name = group[0].draft.listing.name
        if not retry_missing:
            raise RepositoryUnreadableError(
                f"{self.where(name)}: GitHub answered NOT_FOUND twice for a repository whose "
                "facts it had answered earlier in the run (deleted, renamed or hidden from the "
                "App during the run?); run again"
            )
        logger.warning(
            "repository not found in branch rules batch, retrying alone",
            extra={"org": self._org, "repository": name},
        )
        try:
            self._read_branch_rules(group, retry_missing=False)
        except BatchTooHeavyError as exc:
            raise RepositoryUnreadableError(
                f"{self.where(name)}: GitHub could not answer the branch rules query for it "
                f"alone ({exc}); retry the run later"
            ) from exc


@dataclass(frozen=True)
class BranchCheck:
    """A branch whose protection depends on rulesets: its draft and its index there."""

    draft: RepoDraft
    index: int

    @property
    def branch_name(self) -> str:
        return self.draft.branch_names[self.index]

    def apply(self, ref: Mapping[str, Any] | None, where: str) -> None:
        """Record the answer: protected when rules apply; a null ref is a deleted branch."""
        if ref is None:
            logger.warning(
                "branch deleted during the run, not judged",
                extra={"repository": self.draft.listing.name, "branch": self.branch_name},
            )
            self.draft.branches_deleted.add(self.index)
        elif has_rules(ref, where):
            self.draft.branches_protected[self.index] = True


def checks_by_repository(checks: Sequence[BranchCheck]) -> list[list[BranchCheck]]:
    """``checks`` grouped by repository, in first-seen order."""
    groups: dict[int, list[BranchCheck]] = {}
    for check in checks:
        groups.setdefault(id(check.draft), []).append(check)
    return list(groups.values())


def branches_needing_rules(drafts: Sequence[RepoDraft]) -> list[BranchCheck]:
    """Branches without a classic rule in repositories where some ruleset may apply
    (or where GitHub would not count the rulesets)."""
    return [
        BranchCheck(draft, index)
        for draft in drafts
        if draft.rulesets != 0
        for index, protected in enumerate(draft.branches_protected)
        if not protected
    ]


def run_all(executor: Executor, run: Callable[[T], R], units: Iterable[T]) -> list[R]:
    """``run`` over every unit on ``executor``, results in completion order.

    Units are submitted as ``units`` yields them (it may still be arriving). The
    first unit that fails cancels the units not yet started and its error propagates.
    """
    futures: list[Future[R]] = []
    try:
        for unit in units:
            futures.append(executor.submit(run, unit))
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    results: list[R] = []
    try:
        for future in as_completed(futures):
            results.append(future.result())
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return results


def pending_pages(drafts: Sequence[RepoDraft]) -> list[tuple[str, RepoDraft]]:
    """The connections that still have a next page: branches ("b") and pull requests ("p")."""
    return [("b", d) for d in drafts if d.branches_cursor] + [
        ("p", d) for d in drafts if d.pull_requests_cursor
    ]


def read_all_drafts(
    executor: Executor, reader: FactReader, active: Iterable[RepoListing], batch_size: int
) -> list[RepoDraft]:
    """Every active repository's complete draft.

    First pages in units of ``batch_size`` repositories, each sent as soon as
    the inventory has listed enough active repositories; then, for the few
    repositories with more than 100 branches or open pull requests, rounds of
    aliased next-page queries batched across the whole organisation; then the
    whole text of each CODEOWNERS file GitHub cut (one REST request each).
    """
    drafts = [
        draft
        for part in run_all(executor, reader.read_unit, batches(active, batch_size))
        for draft in part
    ]
    # In name order whatever order the batches finished in: the follow-up batches
    # are then the same from one run to the next.
    drafts.sort(key=lambda draft: draft.listing.name)
    while pages := pending_pages(drafts):
        run_all(executor, reader.read_next_pages, chunks(pages, batch_size))
    cut = [draft for draft in drafts if draft.codeowners_blob is not None]
    run_all(executor, reader.read_whole_codeowners, cut)
    return drafts


def read_branch_rules(executor: Executor, reader: FactReader, drafts: Sequence[RepoDraft]) -> None:
    """The rules of the branches only a ruleset could protect, up to 100 branches per
    query across the whole organisation."""
    checks = branches_needing_rules(drafts)
    run_all(executor, reader.read_branch_rules, chunks(checks, BRANCHES_PER_RULES_QUERY))


# -- people and judgement ------------------------------------------------------------------


def needs_members(drafts: Sequence[RepoDraft]) -> bool:
    """Whether some open pull request has a human author (so membership matters)."""
    return any(is_human_author(author) for draft in drafts for author in draft.pull_request_authors)


def codeowners_owners(drafts: Sequence[RepoDraft]) -> set[str]:
    """Every owner named in a CODEOWNERS file of the organisation."""
    return {owner for draft in drafts for owner in draft.codeowners_owners or ()}


def people_facts(directory: OrgDirectory, owners: set[str], members: bool) -> PeopleFacts:
    """Members (when needed) and the CODEOWNERS owners that give a point of contact."""
    return PeopleFacts(
        members=directory.members() if members else None,
        owners_with_contact=directory.owners_with_contact(owners),
    )


def prefetch_members(directory: OrgDirectory) -> None:
    """List the members ahead of need; a failure is left to the call that needs them."""
    try:
        directory.members()
    except (CollectionError, GitHubError) as exc:
        logger.info("members not listed ahead", extra={"cause": str(exc)[:200]})


def security_warnings(drafts: Sequence[RepoDraft]) -> list[str]:
    """One warning naming the missing permission when GitHub hid security_and_analysis."""
    hidden = sorted(
        draft.listing.name
        for draft in drafts
        if draft.visibility == PUBLIC
        and (draft.listing.secret_scanning is None or draft.listing.push_protection is None)
    )
    if not hidden:
        return []
    examples = ", ".join(hidden[:3])
    return [SECURITY_PERMISSION_WARNING.format(count=len(hidden), examples=examples)]


def repository_record(
    facts: RepoFacts, people: PeopleFacts, settings: RepositorySettings, now: datetime
) -> dict[str, Any]:
    """One repositories.json entry, fields in the schema's order."""
    return {
        "name": facts.name,
        "type": facts.visibility,
        "url": facts.url,
        "created_at": facts.created_at,
        "checklist": checklist(facts, people, settings.inactivity_years, now),
    }


def collect_repositories(
    client: GitHubClient,
    org: str,
    inventory: Sequence[RepoListing],
    settings: RepositorySettings,
    now: datetime,
) -> CollectionResult:
    """repositories.json: one record per non-archived repository, sorted by name."""
    reader = FactReader(client, org, settings)
    with ThreadPoolExecutor(
        max_workers=settings.thread_count, thread_name_prefix="repo-facts"
    ) as executor:
        directory = OrgDirectory(client, org, executor)
        # The first open pull request by a person makes membership matter: the
        # members are then listed while the other facts are read.
        reader.on_human_author = lambda: executor.submit(prefetch_members, directory)
        active = (item for item in arriving(inventory) if not item.archived)
        drafts = read_all_drafts(executor, reader, active, settings.facts_batch)
        # The people behind CODEOWNERS are known now: look them up while the branch
        # rules are read (from another thread; both wait on the same pool's batches).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="people") as side:
            people_read = side.submit(
                people_facts, directory, codeowners_owners(drafts), needs_members(drafts)
            )
            read_branch_rules(executor, reader, drafts)
            people = people_read.result()
    # Drafts (names in order) become records one by one; neither drafts nor facts
    # are kept once a repository's record is built.
    warnings = security_warnings(drafts)
    records: list[dict[str, Any]] = []
    drafts.reverse()
    while drafts:
        records.append(repository_record(drafts.pop().facts(), people, settings, now))
    logger.info(
        "repository facts collected",
        extra={
            "org": org,
            "repositories": len(records),
            "archived_skipped": len(inventory) - len(records),
        },
    )
    return CollectionResult(records=records, warnings=warnings)
