"""Facts of every active repository, read in aliased GraphQL batches (no judgement here).

Request plan (issue 5's budget): the inventory's REST pages, then one GraphQL
query per ``batch_size`` active repositories (each repository's facts in one
selection: how many rulesets may apply, branches with their classic protection
rule, latest commit signatures, the root / ``.github`` / ``docs`` listings, the
three CODEOWNERS candidates, open pull request authors), follow-up pages only
for repositories with more than 100 branches or open pull requests, then the
branch rules of the branches that only a ruleset could protect (repositories
with rulesets, branches without a classic rule; up to 100 branches per query
across repositories), one REST ``git/blobs`` request per CODEOWNERS file over
512,000 bytes (GitHub cuts GraphQL ``Blob.text`` there). Batches are small units
on a thread pool; each worker returns an immutable result and only the
coordinating thread assembles a repository's draft.

Facts GitHub will not give are *missing*, never guessed: a fact group the App
lacks the permission for is not asked (``unavailable``, from the permission
preflight) and its reason travels in :attr:`RepoFacts.missing`. A repository
GitHub cannot answer about (502 even alone, ``NOT_FOUND`` twice, an error or a
wrong-shaped answer for it) becomes an :class:`Unreadable` with every
GraphQL-derived fact missing; :func:`collect_repository_facts` fails the
collection only when more than ``max(5, 1 %)`` of the active repositories are
unreadable for reasons other than a permission.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from collectors.batching import (
    BatchTooHeavyError,
    alias_errors,
    batches,
    chunks,
    run_graphql,
    unexpected_errors,
    with_halving,
)
from collectors.codeowners import parse_owners
from collectors.errors import CollectionError, UnexpectedAnswerError
from collectors.facts import (
    BRANCHES,
    COMMITS,
    FILES,
    GRAPHQL_FACTS,
    PULL_REQUESTS,
    PUSH_PROTECTION,
    SECRET_SCANNING,
    VISIBILITY,
    VULNERABILITY_ALERTS,
    PullRequestAuthor,
    RepoFacts,
    TreeEntry,
)
from collectors.inventory import VISIBILITIES, RepoListing, arriving
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
    field_word,
    next_cursor,
    wrong_shape,
)
from github_client import GitHubClient, GitHubError

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

MAX_SIGNED_COMMITS = 100
BRANCHES_PER_RULES_QUERY = 100
# Unreadable repositories tolerated (not counting permission-caused ones): max(5, 1 %).
UNREADABLE_FLOOR = 5
UNREADABLE_SHARE = 0.01
GIT_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1, or SHA-256
NOT_REVEALED = (
    "GitHub's answer did not include security_and_analysis.{key}.status for this repository"
)


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


@dataclass(frozen=True)
class Unreadable:
    """A repository GitHub would not answer about; ``permission``: because of a permission."""

    name: str
    reason: str
    permission: bool = False


@dataclass(frozen=True)
class FirstPage:
    """What one repository's facts query answered (a worker's immutable result)."""

    listing: RepoListing
    visibility: str
    archived: bool
    is_empty: bool
    created_at: str
    pushed_at: str | None
    vulnerability_alerts_enabled: bool | None
    commit_signatures: tuple[bool | None, ...] | None
    root_entries: tuple[TreeEntry, ...] | None
    github_entries: tuple[TreeEntry, ...] | None
    docs_entries: tuple[TreeEntry, ...] | None
    codeowners_owners: tuple[str, ...] | None
    codeowners_blob: TruncatedBlob | None
    rulesets: int | None
    branches: BranchPage | None
    pull_requests: AuthorPage | None


@dataclass
class RepoDraft:
    """One repository's facts while its pages are still being read.

    Owned by the coordinating thread: workers never see it, they return
    :class:`FirstPage`, :class:`NextPage`, :class:`RuleAnswer` or
    :class:`WholeCodeowners` values that :func:`read_all_drafts` applies.
    """

    first: FirstPage
    codeowners_owners: tuple[str, ...] | None
    codeowners_blob: TruncatedBlob | None
    branch_names: list[str] = field(default_factory=list)
    # Per branch: protected so far (a classic rule; then a rule from a ruleset).
    branches_protected: list[bool] = field(default_factory=list)
    branches_deleted: set[int] = field(default_factory=set)  # gone before their rules were read
    branches_cursor: str | None = None
    pull_request_authors: list[PullRequestAuthor | None] = field(default_factory=list)
    pull_requests_cursor: str | None = None

    @classmethod
    def start(cls, first: FirstPage) -> RepoDraft:
        draft = cls(first, first.codeowners_owners, first.codeowners_blob)
        if first.branches is not None:
            draft.branch_names = list(first.branches.names)
            draft.branches_protected = list(first.branches.classic_protected)
            draft.branches_cursor = first.branches.cursor
        if first.pull_requests is not None:
            draft.pull_request_authors = list(first.pull_requests.authors)
            draft.pull_requests_cursor = first.pull_requests.cursor
        return draft

    @property
    def listing(self) -> RepoListing:
        return self.first.listing

    @property
    def name(self) -> str:
        return self.first.listing.name

    def facts(self, missing: Mapping[str, str]) -> RepoFacts:
        """The finished facts; ``missing`` holds the reasons of the facts not asked."""
        if self.codeowners_blob is not None:
            raise CollectionError(
                f"repository {self.name}: CODEOWNERS file "
                f"{self.codeowners_blob.path} was cut by GitHub and never read whole"
            )
        first = self.first
        branches = None
        if first.branches is not None:
            branches = tuple(
                protected
                for index, protected in enumerate(self.branches_protected)
                if index not in self.branches_deleted
            )
        authors = None if first.pull_requests is None else tuple(self.pull_request_authors)
        return RepoFacts(
            name=self.name,
            visibility=first.visibility,
            url=self.listing.html_url,
            created_at=first.created_at,
            pushed_at=first.pushed_at,
            is_empty=first.is_empty,
            branches_protected=branches,
            commit_signatures=first.commit_signatures,
            root_entries=first.root_entries,
            github_entries=first.github_entries,
            docs_entries=first.docs_entries,
            codeowners_owners=self.codeowners_owners,
            pull_request_authors=authors,
            vulnerability_alerts_enabled=first.vulnerability_alerts_enabled,
            secret_scanning=self.listing.secret_scanning,
            push_protection=self.listing.push_protection,
            missing=MappingProxyType(security_missing(self.listing, missing)),
        )


def security_missing(listing: RepoListing, missing: Mapping[str, str]) -> dict[str, str]:
    """``missing``, plus a reason for each security status GitHub did not reveal."""
    result = dict(missing)
    for fact, key, status in (
        (SECRET_SCANNING, "secret_scanning", listing.secret_scanning),
        (PUSH_PROTECTION, "secret_scanning_push_protection", listing.push_protection),
    ):
        if status is None:
            result.setdefault(fact, NOT_REVEALED.format(key=key))
        else:  # GitHub revealed it after all
            result.pop(fact, None)
    return result


def unreadable_facts(listing: RepoListing, reason: str, missing: Mapping[str, str]) -> RepoFacts:
    """The facts of a repository GitHub would not answer about: REST listing only."""
    if listing.created_at is None:
        raise CollectionError(
            f"repository {listing.name}: GitHub answered neither its facts ({reason}) nor "
            "its creation time (created_at absent from the REST listing), so no record can "
            "be written; retry the run"
        )
    gone = dict.fromkeys(GRAPHQL_FACTS, reason)
    if not listing.visibility_reported:
        gone[VISIBILITY] = f"{reason}; the REST listing did not give its visibility either"
    return RepoFacts(
        name=listing.name,
        visibility=listing.visibility,
        url=listing.html_url,
        created_at=listing.created_at,
        pushed_at=listing.pushed_at,
        is_empty=False,
        branches_protected=None,
        commit_signatures=None,
        root_entries=None,
        github_entries=None,
        docs_entries=None,
        codeowners_owners=None,
        pull_request_authors=None,
        vulnerability_alerts_enabled=None,
        secret_scanning=listing.secret_scanning,
        push_protection=listing.push_protection,
        missing=MappingProxyType(security_missing(listing, {**missing, **gone})),
        visibility_known=listing.visibility_reported,
    )


# -- parsing one repository's answer -------------------------------------------------------


def advanced_cursor(previous: str | None, cursor: str | None, where: str) -> str | None:
    """``cursor``, refusing one that does not move (a page loop would never end)."""
    if cursor is not None and cursor == previous:
        raise UnexpectedAnswerError(f"{where}: GitHub answered the same page cursor twice")
    return cursor


@dataclass(frozen=True)
class BranchPage:
    """One ``refs`` page: branch names, whether a classic rule protects each, next cursor."""

    names: tuple[str, ...]
    classic_protected: tuple[bool, ...]
    cursor: str | None


@dataclass(frozen=True)
class AuthorPage:
    """One open-pull-request page: authors (None: deleted account), next cursor."""

    authors: tuple[PullRequestAuthor | None, ...]
    cursor: str | None


def branch_page(connection: Mapping[str, Any], where: str) -> BranchPage:
    """Branch names and classic-protection flags of one ``refs`` page, and the next cursor."""
    names, flags = [], []
    for node in field_list(connection, "nodes", where):
        branch = as_object(node, where, "refs.nodes[]")
        names.append(field_word(branch, "name", where))
        flags.append(field_object_or_none(branch, "branchProtectionRule", where) is not None)
    return BranchPage(tuple(names), tuple(flags), next_cursor(connection, where))


def ruleset_count(repo: Mapping[str, Any], where: str) -> int | None:
    """``rulesets.totalCount``: rulesets that may apply to the repository; None when null."""
    rulesets = field_object_or_none(repo, "rulesets", where)
    return None if rulesets is None else field_int(rulesets, "totalCount", where)


def has_rules(ref: Mapping[str, Any], where: str) -> bool:
    """Whether an active ruleset's rules apply to a branch (``rules.totalCount`` > 0)."""
    rules = field_object_or_none(ref, "rules", where)
    return rules is not None and field_int(rules, "totalCount", where) > 0


def pull_request_page(connection: Mapping[str, Any], where: str) -> AuthorPage:
    """Authors of one open-pull-request page (None: deleted account), and the next cursor."""
    authors: list[PullRequestAuthor | None] = []
    for node in field_list(connection, "nodes", where):
        author = field_object_or_none(as_object(node, where, "nodes[]"), "author", where)
        if author is None:
            authors.append(None)
        else:
            authors.append(
                PullRequestAuthor(
                    field_word(author, "__typename", where), field_word(author, "login", where)
                )
            )
    return AuthorPage(tuple(authors), next_cursor(connection, where))


def tree_entries(repo: Mapping[str, Any], alias: str, where: str) -> tuple[TreeEntry, ...]:
    """Entries of a directory lookup; () when the path is absent or not a directory."""
    found = field_object_or_none(repo, alias, where)
    if found is None or field_str(found, "__typename", where) != "Tree":
        return ()
    return tuple(
        TreeEntry(
            field_word(as_object(entry, where, f"{alias}.entries[]"), "name", where),
            field_word(entry, "type", where),
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
    """The text of a REST ``git/blobs`` answer (base64, UTF-8; undecodable bytes replaced).

    ``size`` is nullable in GitHub's REST description: when GitHub gives it, the
    decoded length must match it; when it is absent or null, nothing is compared.
    """
    blob = as_object(answer, where, "(blob)")
    encoding = field_str(blob, "encoding", where)
    if encoding != "base64":
        raise UnexpectedAnswerError(
            f"{where}: GitHub sent the blob as {encoding!r}, not 'base64'; retry the run"
        )
    size = field_int(blob, "size", where) if blob.get("size") is not None else None
    try:
        data = base64.b64decode(field_str(blob, "content", where).replace("\n", ""), validate=True)
    except binascii.Error as exc:
        raise UnexpectedAnswerError(
            f"{where}: GitHub's blob content is not valid base64; retry the run"
        ) from exc
    if size is not None and len(data) != size:
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


def first_page(
    repo: Mapping[str, Any],
    listing: RepoListing,
    signed_commit_number: int,
    omit: frozenset[str],
    where: str,
) -> FirstPage:
    """One aliased ``repository`` answer; the fact groups in ``omit`` were not asked."""
    visibility = field_word(repo, "visibility", where)
    if visibility not in VISIBILITIES:
        raise UnexpectedAnswerError(f"{where}: unknown visibility {visibility!r}")
    files = FILES not in omit
    owners, truncated = codeowners_file(repo, where) if files else (None, None)
    branches = BRANCHES not in omit
    pulls = PULL_REQUESTS not in omit
    return FirstPage(
        listing=listing,
        visibility=visibility,
        archived=field_bool(repo, "isArchived", where),
        is_empty=field_bool(repo, "isEmpty", where),
        created_at=field_str(repo, "createdAt", where),
        pushed_at=field_str_or_none(repo, "pushedAt", where),
        vulnerability_alerts_enabled=None
        if VULNERABILITY_ALERTS in omit
        else field_bool(repo, "hasVulnerabilityAlertsEnabled", where),
        commit_signatures=None
        if COMMITS in omit
        else commit_signatures(repo, signed_commit_number, where),
        root_entries=tree_entries(repo, "root", where) if files else None,
        github_entries=tree_entries(repo, "dotGithub", where) if files else None,
        docs_entries=tree_entries(repo, "docs", where) if files else None,
        codeowners_owners=owners,
        codeowners_blob=truncated,
        rulesets=ruleset_count(repo, where) if branches else 0,
        branches=branch_page(field_object(repo, "refs", where), f"{where} refs")
        if branches
        else None,
        pull_requests=pull_request_page(
            field_object(repo, "pullRequests", where), f"{where} pullRequests"
        )
        if pulls
        else None,
    )


def draft_from_answer(
    repo: Mapping[str, Any],
    listing: RepoListing,
    signed_commit_number: int,
    where: str,
    omit: frozenset[str] = frozenset(),
) -> RepoDraft:
    """A RepoDraft from one aliased ``repository`` answer (wrong shapes raise)."""
    return RepoDraft.start(first_page(repo, listing, signed_commit_number, omit, where))


# -- what the workers return ---------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    """One more page of one connection: ``kind`` "b" (branches) or "p" (pull requests)."""

    kind: str
    name: str
    cursor: str


@dataclass(frozen=True)
class NextPage:
    """A follow-up page: branches or pull request authors of one repository."""

    request: PageRequest
    branches: BranchPage | None = None
    authors: AuthorPage | None = None


@dataclass(frozen=True)
class BranchCheck:
    """A branch whose protection depends on rulesets: its repository, index and name."""

    name: str
    index: int
    branch_name: str


@dataclass(frozen=True)
class RuleAnswer:
    """Whether rules apply to a branch; ``deleted`` when it is gone (not judged)."""

    check: BranchCheck
    protected: bool
    deleted: bool = False


@dataclass(frozen=True)
class WholeCodeowners:
    """The owners of a CODEOWNERS file read whole over REST."""

    name: str
    owners: tuple[str, ...]


# -- fetching ------------------------------------------------------------------------------


class FactReader:
    """Reads the facts of batches of repositories through GraphQL (stateless workers)."""

    def __init__(
        self,
        client: GitHubClient,
        org: str,
        settings: RepositorySettings,
        omit: frozenset[str] = frozenset(),
    ) -> None:
        self._client = client
        self._org = org
        self._settings = settings
        self._omit = omit
        # Sees each batch's first pages, from the worker that read them.
        self.on_first_pages: Callable[[Sequence[FirstPage | Unreadable]], object] | None = None

    def where(self, name: str) -> str:
        return f"GraphQL repository {self._org}/{name}"

    def _too_heavy(self, subject: str, name: str, exc: BatchTooHeavyError) -> Unreadable:
        return Unreadable(
            name,
            f"GitHub could not answer the {subject} query for {self._org}/{name} even "
            f"alone ({str(exc)[:200]})",
        )

    def read_unit(self, listings: Sequence[RepoListing]) -> list[FirstPage | Unreadable]:
        """First pages of one unit of repositories (halved while too heavy)."""
        parts: list[list[FirstPage | Unreadable]] = with_halving(
            listings,
            self._read_batch,
            lambda item: self.where(item.name),
            alone=lambda item, exc: [self._too_heavy("facts", item.name, exc)],
        )
        pages = _flatten(parts)
        if self.on_first_pages is not None:
            self.on_first_pages(pages)
        return pages

    def _read_batch(
        self, listings: Sequence[RepoListing], *, retry_missing: bool = True
    ) -> list[FirstPage | Unreadable]:
        variables: dict[str, Any] = {"org": self._org}
        variables.update({f"n{index}": listing.name for index, listing in enumerate(listings)})
        query = repository_facts_query(
            len(listings), self._settings.signed_commit_number, self._omit
        )
        what = f"GraphQL repository facts batch of {len(listings)} in {self._org}"
        answer = run_graphql(self._client, query, variables, what)
        errors = alias_errors(answer.errors, [repository_alias(i) for i in range(len(listings))])
        if errors.batch:
            raise unexpected_errors(errors.batch, what)
        results: list[FirstPage | Unreadable] = []
        for index, listing in enumerate(listings):
            alias = repository_alias(index)
            where = self.where(listing.name)
            if alias in errors.not_found:
                results.extend(self._retry_missing(listing, retry_missing))
            elif alias in errors.other:
                results.append(self._refused(listing.name, errors.other[alias], where))
            else:
                results.append(self._parse(answer.data, alias, listing, where))
        return results

    def _parse(
        self, data: Mapping[str, Any], alias: str, listing: RepoListing, where: str
    ) -> FirstPage | Unreadable:
        try:
            repo = field_object_or_none(data, alias, where)
            if repo is None:
                return Unreadable(listing.name, f"{where}: GitHub answered null without an error")
            signed = self._settings.signed_commit_number
            return first_page(repo, listing, signed, self._omit, where)
        except UnexpectedAnswerError as exc:
            return Unreadable(listing.name, str(exc))

    @staticmethod
    def _refused(name: str, errors: list[dict[str, Any]], where: str) -> Unreadable:
        kinds = {str(error.get("type") or "") for error in errors}
        message = "; ".join(str(error.get("message", ""))[:200] for error in errors[:2])
        if "FORBIDDEN" in kinds:
            return Unreadable(
                name,
                f"{where}: GitHub answered FORBIDDEN ({message}); the GitHub App lacks a "
                "permission the token's permissions did not reveal",
                permission=True,
            )
        return Unreadable(name, f"{where}: GitHub answered errors: {message}")

    def _retry_missing(
        self, listing: RepoListing, retry_missing: bool
    ) -> list[FirstPage | Unreadable]:
        if not retry_missing:
            return [
                Unreadable(
                    listing.name,
                    f"{self.where(listing.name)}: GitHub answered NOT_FOUND twice for a "
                    f"repository that GET /orgs/{self._org}/repos listed (deleted, renamed or "
                    "hidden from the App during the run?)",
                )
            ]
        logger.warning(
            "repository not found in batch, retrying alone",
            extra={"org": self._org, "repository": listing.name},
        )
        try:
            return self._read_batch([listing], retry_missing=False)
        except BatchTooHeavyError as exc:
            return [self._too_heavy("facts", listing.name, exc)]

    def read_next_pages(self, pages: Sequence[PageRequest]) -> list[NextPage | Unreadable]:
        """One more page of each listed connection (halved while too heavy)."""
        parts: list[list[NextPage | Unreadable]] = with_halving(
            pages,
            self._read_next_pages,
            lambda page: self.where(page.name),
            alone=lambda page, exc: [self._too_heavy("next pages", page.name, exc)],
        )
        return _flatten(parts)

    def _read_next_pages(self, pages: Sequence[PageRequest]) -> list[NextPage | Unreadable]:
        branch_pages = [page for page in pages if page.kind == "b"]
        pull_pages = [page for page in pages if page.kind == "p"]
        variables: dict[str, Any] = {"org": self._org}
        for index, page in enumerate(branch_pages):
            variables[f"bn{index}"] = page.name
            variables[f"bc{index}"] = page.cursor
        for index, page in enumerate(pull_pages):
            variables[f"pn{index}"] = page.name
            variables[f"pc{index}"] = page.cursor
        query = follow_up_query(len(branch_pages), len(pull_pages))
        what = f"GraphQL next pages of branches/pull requests in {self._org}"
        answer = run_graphql(self._client, query, variables, what)
        aliases = [f"b{i}" for i in range(len(branch_pages))]
        aliases += [f"p{i}" for i in range(len(pull_pages))]
        errors = alias_errors(answer.errors, aliases)
        if errors.batch:
            raise unexpected_errors(errors.batch, what)
        results: list[NextPage | Unreadable] = []
        for alias, page in zip(aliases, [*branch_pages, *pull_pages], strict=True):
            where = f"{self.where(page.name)} next page ({alias[0]})"
            problems = errors.other.get(alias) or (
                [{"type": "NOT_FOUND", "message": "not found"}] if alias in errors.not_found else []
            )
            if problems:
                results.append(self._refused(page.name, problems, where))
                continue
            try:
                repo = field_object(answer.data, alias, where)
                if page.kind == "b":
                    found = branch_page(field_object(repo, "refs", where), where)
                    advanced_cursor(page.cursor, found.cursor, where)
                    results.append(NextPage(page, branches=found))
                else:
                    authors = pull_request_page(field_object(repo, "pullRequests", where), where)
                    advanced_cursor(page.cursor, authors.cursor, where)
                    results.append(NextPage(page, authors=authors))
            except UnexpectedAnswerError as exc:
                results.append(Unreadable(page.name, str(exc)))
        return results

    def read_whole_codeowners(
        self, request: tuple[str, TruncatedBlob]
    ) -> WholeCodeowners | Unreadable:
        """The owners of a CODEOWNERS file GitHub cut in GraphQL, from the whole file
        (one REST ``git/blobs`` request)."""
        name, blob = request
        path = f"/repos/{self._org}/{name}/git/blobs/{blob.oid}"
        where = f"repository {self._org}/{name}, CODEOWNERS file {blob.path} (GET {path})"
        try:
            response = self._client.get(path)
            owners = parse_owners(blob_text(response.data, where))
        except (GitHubError, UnexpectedAnswerError) as exc:
            return Unreadable(
                name,
                f"{where}: GitHub would not send the whole file, over 512,000 bytes so cut in "
                f"GraphQL ({str(exc)[:200]}); its owners cannot be judged",
            )
        logger.info(
            "truncated codeowners file read whole",
            extra={"org": self._org, "repository": name, "path": blob.path},
        )
        return WholeCodeowners(name, owners)

    def read_branch_rules(self, checks: Sequence[BranchCheck]) -> list[RuleAnswer | Unreadable]:
        """Whether rules apply to each listed branch (halved while too heavy)."""
        parts: list[list[RuleAnswer | Unreadable]] = with_halving(
            checks,
            self._read_branch_rules,
            lambda check: self.where(check.name),
            alone=lambda check, exc: [self._too_heavy("branch rules", check.name, exc)],
        )
        return _flatten(parts)

    def _read_branch_rules(
        self, checks: Sequence[BranchCheck], *, retry_missing: bool = True
    ) -> list[RuleAnswer | Unreadable]:
        groups = checks_by_repository(checks)
        variables: dict[str, Any] = {"org": self._org}
        for i, group in enumerate(groups):
            variables[f"n{i}"] = group[0].name
            for j, check in enumerate(group):
                variables[f"q{i}_{j}"] = f"refs/heads/{check.branch_name}"
        query = branch_rules_query([len(group) for group in groups])
        what = f"GraphQL branch rules of {len(checks)} branches in {self._org}"
        answer = run_graphql(self._client, query, variables, what)
        errors = alias_errors(answer.errors, [repository_alias(i) for i in range(len(groups))])
        if errors.batch:
            raise unexpected_errors(errors.batch, what)
        results: list[RuleAnswer | Unreadable] = []
        for i, group in enumerate(groups):
            alias = repository_alias(i)
            name = group[0].name
            where = f"{self.where(name)} branch rules"
            if alias in errors.not_found:
                results.extend(self._retry_missing_rules(group, retry_missing))
            elif alias in errors.other:
                results.append(self._refused(name, errors.other[alias], where))
            else:
                results.extend(self._rule_answers(answer.data, alias, group, where))
        return results

    @staticmethod
    def _rule_answers(
        data: Mapping[str, Any], alias: str, group: Sequence[BranchCheck], where: str
    ) -> list[RuleAnswer | Unreadable]:
        try:
            repo = field_object_or_none(data, alias, where)
            if repo is None:
                return [
                    Unreadable(group[0].name, f"{where}: GitHub answered null without an error")
                ]
            answers: list[RuleAnswer | Unreadable] = []
            for j, check in enumerate(group):
                ref = field_object_or_none(repo, branch_alias(j), where)
                if ref is None:
                    logger.warning(
                        "branch deleted during the run, not judged",
                        extra={"repository": check.name, "branch": check.branch_name},
                    )
                    answers.append(RuleAnswer(check, protected=False, deleted=True))
                else:
                    branch_where = f"{where} (branch {check.branch_name!r})"
                    answers.append(RuleAnswer(check, protected=has_rules(ref, branch_where)))
            return answers
        except UnexpectedAnswerError as exc:
            return [Unreadable(group[0].name, str(exc))]

    def _retry_missing_rules(
        self, group: Sequence[BranchCheck], retry_missing: bool
    ) -> list[RuleAnswer | Unreadable]:
        name = group[0].name
        if not retry_missing:
            return [
                Unreadable(
                    name,
                    f"{self.where(name)}: GitHub answered NOT_FOUND twice for a repository "
                    "whose facts it had answered earlier in the run (deleted, renamed or hidden "
                    "from the App during the run?)",
                )
            ]
        logger.warning(
            "repository not found in branch rules batch, retrying alone",
            extra={"org": self._org, "repository": name},
        )
        try:
            return self._read_branch_rules(group, retry_missing=False)
        except BatchTooHeavyError as exc:
            return [self._too_heavy("branch rules", name, exc)]


def checks_by_repository(checks: Sequence[BranchCheck]) -> list[list[BranchCheck]]:
    """``checks`` grouped by repository, in first-seen order."""
    groups: dict[str, list[BranchCheck]] = {}
    for check in checks:
        groups.setdefault(check.name, []).append(check)
    return list(groups.values())


def branches_needing_rules(drafts: Sequence[RepoDraft]) -> list[BranchCheck]:
    """Branches without a classic rule in repositories where some ruleset may apply
    (or where GitHub would not count the rulesets)."""
    return [
        BranchCheck(draft.name, index, draft.branch_names[index])
        for draft in drafts
        if draft.first.branches is not None and draft.first.rulesets != 0
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


def pending_pages(drafts: Sequence[RepoDraft]) -> list[PageRequest]:
    """The connections that still have a next page: branches ("b") and pull requests ("p")."""
    return [PageRequest("b", d.name, d.branches_cursor) for d in drafts if d.branches_cursor] + [
        PageRequest("p", d.name, d.pull_requests_cursor) for d in drafts if d.pull_requests_cursor
    ]


def _flatten(parts: Sequence[Sequence[T]]) -> list[T]:
    return [item for part in parts for item in part]


@dataclass
class ReadState:
    """The coordinating thread's drafts and the repositories found unreadable so far."""

    drafts: dict[str, RepoDraft]
    unreadable: dict[str, Unreadable]

    def drop(self, item: Unreadable) -> None:
        self.drafts.pop(item.name, None)
        self.unreadable.setdefault(item.name, item)


def read_all_drafts(
    executor: Executor,
    reader: FactReader,
    active: Iterable[RepoListing],
    batch_size: int,
    before_rules: Callable[[Sequence[RepoDraft]], None] | None = None,
) -> ReadState:
    """Every active repository's complete draft, or why it is unreadable.

    First pages in units of ``batch_size`` repositories, each sent as soon as
    the inventory has listed enough active repositories; then, for the few
    repositories with more than 100 branches or open pull requests, rounds of
    aliased next-page queries batched across the whole organisation; then the
    whole text of each CODEOWNERS file GitHub cut (one REST request each); then the
    rules of the branches only a ruleset could protect, up to 100 branches per
    query across the whole organisation. ``before_rules`` sees the drafts once their
    CODEOWNERS owners are known, before the branch rules are read (so that the
    people behind them can be looked up meanwhile).
    """
    state = ReadState({}, {})
    for item in _flatten(run_all(executor, reader.read_unit, batches(active, batch_size))):
        if isinstance(item, Unreadable):
            state.drop(item)
        elif not item.archived:  # archived since the listing, or the listing did not say
            state.drafts[item.listing.name] = RepoDraft.start(item)
    # In name order whatever order the batches finished in: the follow-up batches
    # are then the same from one run to the next.
    ordered = sorted(state.drafts.items())
    state.drafts.clear()
    state.drafts.update(ordered)
    while pages := pending_pages(list(state.drafts.values())):
        for answer in _flatten(
            run_all(executor, reader.read_next_pages, chunks(pages, batch_size))
        ):
            apply_page(state, answer)
    cut = [(d.name, d.codeowners_blob) for d in state.drafts.values() if d.codeowners_blob]
    for whole in run_all(executor, reader.read_whole_codeowners, cut):
        if isinstance(whole, Unreadable):
            state.drop(whole)
        else:
            draft = state.drafts[whole.name]
            draft.codeowners_owners, draft.codeowners_blob = whole.owners, None
    if before_rules is not None:
        before_rules(list(state.drafts.values()))
    checks = branches_needing_rules(list(state.drafts.values()))
    rules = run_all(executor, reader.read_branch_rules, chunks(checks, BRANCHES_PER_RULES_QUERY))
    for rule in _flatten(rules):
        apply_rule(state, rule)
    return state


def apply_page(state: ReadState, answer: NextPage | Unreadable) -> None:
    """Add a follow-up page to its draft (the coordinating thread only)."""
    if isinstance(answer, Unreadable):
        state.drop(answer)
        return
    draft = state.drafts.get(answer.request.name)
    if draft is None:
        return
    if answer.branches is not None:
        draft.branches_cursor = answer.branches.cursor
        draft.branch_names.extend(answer.branches.names)
        draft.branches_protected.extend(answer.branches.classic_protected)
    if answer.authors is not None:
        draft.pull_requests_cursor = answer.authors.cursor
        draft.pull_request_authors.extend(answer.authors.authors)


def apply_rule(state: ReadState, rule: RuleAnswer | Unreadable) -> None:
    """Record a branch's rules on its draft (the coordinating thread only)."""
    if isinstance(rule, Unreadable):
        state.drop(rule)
        return
    draft = state.drafts.get(rule.check.name)
    if draft is None:
        return
    if rule.deleted:
        draft.branches_deleted.add(rule.check.index)
    elif rule.protected:
        draft.branches_protected[rule.check.index] = True


# -- the collection ------------------------------------------------------------------------


@dataclass(frozen=True)
class RepositoryFacts:
    """Every active repository's facts, sorted by name, and the warnings to report.

    ``repositories`` is handed over: the caller may empty it as it builds records, so
    that an organisation's facts and its records are not all held at once.
    """

    repositories: list[RepoFacts]
    warnings: tuple[str, ...]
    unreadable: tuple[str, ...]  # names, sorted


def unreadable_limit(active: int) -> int:
    """How many repositories may be unreadable before the collection fails: max(5, 1 %)."""
    return max(UNREADABLE_FLOOR, int(active * UNREADABLE_SHARE))


def check_unreadable(org: str, active: int, unreadable: Sequence[Unreadable]) -> None:
    """Fail the collection when too many repositories are unreadable (a systemic outage)."""
    counted = sorted(item.name for item in unreadable if not item.permission)
    limit = unreadable_limit(active)
    if len(counted) > limit:
        examples = ", ".join(counted[:5])
        raise CollectionError(
            f"GitHub could not answer about {len(counted)} of {active} active repositories of "
            f"{org} (more than the {limit} tolerated; e.g. {examples}): the collection fails "
            "rather than replace last week's file with a page of unknowns. Retry the run later."
        )


def unreadable_warning(item: Unreadable) -> str:
    return (
        f"repository {item.name} could not be read, so its GraphQL-derived checks are "
        f"unknown: {item.reason}"
    )


def collect_repository_facts(
    client: GitHubClient,
    org: str,
    inventory: Sequence[RepoListing],
    settings: RepositorySettings,
    unavailable: Mapping[str, str] = MappingProxyType({}),
    *,
    on_first_pages: Callable[[Sequence[FirstPage | Unreadable]], object] | None = None,
    before_rules: Callable[[Sequence[RepoDraft]], None] | None = None,
) -> RepositoryFacts:
    """The facts of every non-archived repository, sorted by name.

    ``unavailable`` maps fact groups the App may not read (permission preflight)
    to the reason; they are not asked and stay missing with that reason. The
    facts batches go out as the inventory arrives (an :class:`InventoryFeed`
    is followed page by page). ``on_first_pages`` sees each batch's first pages
    (from a worker thread); ``before_rules``, see :func:`read_all_drafts`.
    """
    active: list[RepoListing] = []

    def arriving_active() -> Iterator[RepoListing]:
        for item in arriving(inventory):
            if not item.archived:
                active.append(item)
                yield item

    omit = frozenset(unavailable)
    reader = FactReader(client, org, settings, omit)
    reader.on_first_pages = on_first_pages
    with ThreadPoolExecutor(
        max_workers=settings.thread_count, thread_name_prefix="repo-facts"
    ) as executor:
        state = read_all_drafts(
            executor, reader, arriving_active(), settings.facts_batch, before_rules
        )
    unreadable = sorted(state.unreadable.values(), key=lambda item: item.name)
    check_unreadable(org, len(active), unreadable)
    by_name = {listing.name: listing for listing in active}
    facts: list[RepoFacts] = []
    while state.drafts:  # each draft freed as its facts are made
        facts.append(state.drafts.popitem()[1].facts(unavailable))
    facts += [unreadable_facts(by_name[item.name], item.reason, unavailable) for item in unreadable]
    facts.sort(key=lambda item: item.name)
    logger.info(
        "repository facts collected",
        extra={
            "org": org,
            "repositories": len(facts),
            "unreadable": len(unreadable),
            "archived_skipped": len(inventory) - len(facts),
        },
    )
    return RepositoryFacts(
        repositories=facts,
        warnings=tuple(unreadable_warning(item) for item in unreadable),
        unreadable=tuple(item.name for item in unreadable),
    )


__all__ = [
    "FactReader",
    "RepoDraft",
    "RepositoryFacts",
    "RepositorySettings",
    "Unreadable",
    "collect_repository_facts",
]
