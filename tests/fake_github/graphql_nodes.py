"""GraphQL objects over the model: one small class per GitHub type.

The executor's single field resolver (see ``graphql_exec.resolve_field``) looks
up ``gql_<fieldName>`` on a node object (called with ``info`` and the field's
arguments when it is a method) or the key ``<fieldName>`` on a dict. A field
found in neither is not implemented by the fake and answers an explicit error,
never a silent null. Abstract types (``GitObject``, ``Actor``,
``GitSignature``) resolve through ``typename``/``"__typename"``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from graphql.pyutils import Undefined

from tests.fake_github.model import (
    Branch,
    Commit,
    Organization,
    PullRequest,
    Repository,
    Team,
    User,
)
from tests.fake_github.rest import (
    WEB,
    RestApi,
    decode_cursor,
    encode_cursor,
    git_blob_sha,
    stable_id,
    stable_sha,
)

Info = GraphQLResolveInfo
NOT_IMPLEMENTED = "FAKE_NOT_IMPLEMENTED"
# GitHub cuts ``Blob.text`` at this many bytes (``isTruncated`` then true).
BLOB_TEXT_LIMIT = 512_000


def not_found(message: str) -> GraphQLError:
    """GitHub's ``{"type": "NOT_FOUND"}`` error (the server lifts ``type`` out of extensions)."""
    return GraphQLError(message, extensions={"type": "NOT_FOUND"})


def node_id(kind: str, number: int | str) -> str:
    return base64.b64encode(f"0:{kind}{number}".encode()).decode("ascii")


def check_arguments(info: Info, args: dict[str, Any], supported: Sequence[str]) -> None:
    """Refuse arguments the fake would silently ignore (other than their schema default)."""
    field = info.parent_type.fields[info.field_name]
    for name, value in args.items():
        if name in supported or value is None:
            continue
        default = field.args[name].default_value
        if default is not Undefined and value == default:
            continue
        raise GraphQLError(
            f"The fake GitHub does not implement argument '{name}' of "
            f"{info.parent_type.name}.{info.field_name}",
            extensions={"type": NOT_IMPLEMENTED},
        )


# -- connections -------------------------------------------------------------

PAGING_ARGS = ("first", "last", "after", "before")


def offset_of(cursor: str) -> int:
    """The offset a GraphQL ``after``/``before`` cursor encodes; GitHub's error otherwise."""
    offset = decode_cursor(cursor)
    if offset is None:
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.")
    return offset


class Connection:
    """A ``...Connection``: totalCount, pageInfo, nodes, edges (cursors are offsets).

    Nodes are built for the requested window only; edges and pageInfo only when asked.
    """

    typename = "Connection"

    def __init__(
        self,
        items: Sequence[Any],
        args: dict[str, Any],
        make_node: Callable[[Any], Any],
        edge_extra: Callable[[Any], dict[str, Any]] | None = None,
    ) -> None:
        start, end = 0, len(items)
        if args.get("after"):
            start = min(offset_of(args["after"]) + 1, end)
        if args.get("before"):
            end = max(min(offset_of(args["before"]), end), start)
        first, last = args.get("first"), args.get("last")
        if first is not None:
            self.offset, self.chunk = start, items[start : min(start + first, end)]
            self.has_next = self.offset + len(self.chunk) < end
        else:
            size = min(last or 0, end - start)
            self.offset, self.chunk = end - size, items[end - size : end]
            self.has_next = end < len(items)
        self.gql_totalCount = len(items)
        self.gql_nodes = [make_node(item) for item in self.chunk]
        self.edge_extra = edge_extra

    def gql_edges(self, info: Info) -> list[dict[str, Any]]:
        edges = []
        for index, (item, node) in enumerate(zip(self.chunk, self.gql_nodes, strict=True)):
            edge = {"cursor": encode_cursor(self.offset + index), "node": node}
            if self.edge_extra is not None:
                edge.update(self.edge_extra(item))
            edges.append(edge)
        return edges

    def gql_pageInfo(self, info: Info) -> dict[str, Any]:
        count = len(self.chunk)
        return {
            "hasNextPage": self.has_next,
            "hasPreviousPage": self.offset > 0,
            "startCursor": encode_cursor(self.offset) if count else None,
            "endCursor": encode_cursor(self.offset + count - 1) if count else None,
        }


# -- nodes -------------------------------------------------------------------


class Node:
    typename = "Node"
    node_key: tuple[str, int | str] = ("Node", 0)

    def gql_id(self, info: Info) -> str:
        return node_id(*self.node_key)


class UserNode(Node):
    typename = "User"

    def __init__(self, ctx: Context, login: str) -> None:
        self.ctx = ctx
        self.user: User | None = ctx.org.users.get(login)
        self.gql_login = login
        self.node_key = ("User", login)
        self.gql_url = f"{WEB}/{login}"
        self.gql_resourcePath = f"/{login}"

    def gql_databaseId(self, info: Info) -> int:
        return self.user.id if self.user else stable_id(self.gql_login)

    def gql_organizationVerifiedDomainEmails(self, info: Info, login: str) -> list[str]:
        # GitHub reveals these only for an organisation the user is a member of.
        if login.lower() != self.ctx.org.login.lower() or self.user is None:
            return []
        members = {member.lower() for member in self.ctx.org.members}
        if self.user.login.lower() not in members:
            return []
        return list(self.user.verified_emails)


class BotNode(Node):
    typename = "Bot"

    def __init__(self, login: str) -> None:
        self.gql_login = login.removesuffix("[bot]")  # GraphQL Bot logins have no suffix
        self.node_key = ("Bot", login)
        self.gql_url = f"{WEB}/apps/{self.gql_login}"


class MannequinNode(Node):
    typename = "Mannequin"

    def __init__(self, login: str) -> None:
        self.gql_login = login
        self.node_key = ("Mannequin", login)


def actor(ctx: Context, login: str | None, kind: str = "User") -> Node | None:
    if login is None:
        return None  # deleted account ("ghost")
    if kind == "Bot":
        return BotNode(login)
    if kind == "Mannequin":
        return MannequinNode(login)
    user = ctx.org.users.get(login)
    if user is not None and user.type == "Bot":
        return BotNode(login)
    return UserNode(ctx, login)


def truncated_text(data: bytes, limit: int = BLOB_TEXT_LIMIT) -> str:
    """UTF-8 ``data`` cut to at most ``limit`` bytes on a character boundary, as GitHub does."""
    if len(data) <= limit:
        return data.decode("utf-8")
    cut = limit
    while cut > 0 and data[cut] & 0xC0 == 0x80:  # a continuation byte: inside a character
        cut -= 1
    return data[:cut].decode("utf-8")


class GitObjectNode(Node):
    """A ``Blob`` or ``Tree``: its id and short oid derive from ``gql_oid``."""

    def gql_oid(self, info: Info | None = None) -> str:
        raise NotImplementedError

    def gql_abbreviatedOid(self, info: Info) -> str:
        return self.gql_oid()[:7]

    def gql_id(self, info: Info) -> str:
        return node_id(self.typename, self.gql_oid())


class BlobNode(GitObjectNode):
    typename = "Blob"

    def __init__(self, repo: Repository, path: str, text: str) -> None:
        self.data = text.encode("utf-8")
        self.gql_byteSize = len(self.data)
        self.gql_isBinary = "\0" in text
        self.gql_isTruncated = len(self.data) > BLOB_TEXT_LIMIT
        self.gql_text = None if self.gql_isBinary else truncated_text(self.data)

    def gql_oid(self, info: Info | None = None) -> str:
        return git_blob_sha(self.data)


class TreeNode(GitObjectNode):
    typename = "Tree"

    def __init__(self, repo: Repository, path: str) -> None:
        self.repo = repo
        self.path = path.strip("/")

    def gql_oid(self, info: Info | None = None) -> str:
        return stable_sha(f"tree:{self.repo.name}:{self.path}")

    def gql_entries(self, info: Info) -> list[TreeEntry]:
        prefix = f"{self.path}/" if self.path else ""
        files: dict[str, str] = {}
        dirs: set[str] = set()
        for full, text in self.repo.files.items():
            if not full.startswith(prefix):
                continue
            head, sep, _ = full[len(prefix) :].partition("/")
            if sep:
                dirs.add(head)
            else:
                files[head] = text
        entries = [TreeEntry(self.repo, prefix + name, files[name]) for name in files]
        entries += [TreeEntry(self.repo, prefix + name, None) for name in dirs]
        return sorted(entries, key=lambda entry: entry.gql_name)


class TreeEntry:
    """``TreeEntry``: a file (blob) or directory (tree) in a Tree."""

    def __init__(self, repo: Repository, path: str, text: str | None) -> None:
        self.repo = repo
        self.text = text
        self.gql_path = path
        self.gql_name = path.rpartition("/")[2]
        self.gql_type = "tree" if text is None else "blob"
        self.gql_mode = 16384 if text is None else 33188
        self.gql_isGenerated = False

    def gql_object(self, info: Info | None = None) -> BlobNode | TreeNode:
        if self.text is None:
            return TreeNode(self.repo, self.gql_path)
        return BlobNode(self.repo, self.gql_path, self.text)

    def gql_oid(self, info: Info) -> str:
        return self.gql_object().gql_oid()

    def gql_size(self, info: Info) -> int:
        return 0 if self.text is None else len(self.text.encode("utf-8"))

    def gql_extension(self, info: Info) -> str | None:
        stem, dot, extension = self.gql_name.rpartition(".")
        return f".{extension}" if dot and stem else None


def git_object(repo: Repository, expression: str) -> Node | None:
    """``object(expression: "REV:PATH")`` for HEAD or a branch name; None when absent."""
    revision, sep, path = expression.partition(":")
    if not sep or repo.is_empty:
        return None
    branch_names = {branch.name for branch in repo.branches} | {repo.default_branch}
    if revision not in ("HEAD", *branch_names):
        return None
    path = path.strip("/")
    if not path:
        return TreeNode(repo, "")
    if path in repo.files:
        return BlobNode(repo, path, repo.files[path])
    if any(name.startswith(path + "/") for name in repo.files):
        return TreeNode(repo, path)
    return None


class CommitNode(Node):
    typename = "Commit"

    def __init__(self, history: Sequence[Commit], index: int, fallback_oid: str) -> None:
        self.history_list = history
        self.index = index
        commit = history[index] if index < len(history) else None
        self.gql_oid = commit.oid if commit else fallback_oid
        self.gql_abbreviatedOid = self.gql_oid[:7]
        self.node_key = ("Commit", self.gql_oid)
        self.signature_state = commit.signature if commit else None

    def gql_signature(self, info: Info) -> dict[str, Any] | None:
        if self.signature_state is None:
            return None
        valid = self.signature_state == "valid"
        return {
            "__typename": "GpgSignature",
            "isValid": valid,
            "state": "VALID" if valid else "INVALID",
            "wasSignedByGitHub": False,
        }

    def gql_history(self, info: Info, **args: Any) -> Connection:
        check_arguments(info, args, PAGING_ARGS)
        positions = range(self.index, len(self.history_list))
        return Connection(positions, args, lambda i: CommitNode(self.history_list, i, self.gql_oid))


class RefNode(Node):
    typename = "Ref"

    def __init__(self, ctx: Context, repo: Repository, branch: Branch) -> None:
        self.repo = repo
        self.branch = branch
        self.gql_name = branch.name
        self.gql_prefix = "refs/heads/"
        self.node_key = ("Ref", f"{repo.id}:{branch.name}")

    def gql_target(self, info: Info) -> CommitNode:
        fallback = stable_sha(f"{self.repo.name}:{self.branch.name}")
        if self.branch.name == self.repo.default_branch:
            return CommitNode(self.repo.commits, 0, fallback)
        return CommitNode([Commit(fallback)], 0, fallback)

    def gql_branchProtectionRule(self, info: Info) -> dict[str, Any] | None:
        if not self.branch.protection_rule:
            return None
        return {
            "id": node_id("BranchProtectionRule", f"{self.repo.id}:{self.branch.name}"),
            "pattern": self.branch.name,
        }

    def gql_rules(self, info: Info, **args: Any) -> Connection:
        check_arguments(info, args, PAGING_ARGS)
        rules = ["PULL_REQUEST"] if self.branch.ruleset else []
        return Connection(
            rules,
            args,
            lambda kind: {"id": node_id("RepositoryRule", self.branch.name), "type": kind},
        )


class PullRequestNode(Node):
    typename = "PullRequest"

    def __init__(self, ctx: Context, repo: Repository, pr: PullRequest) -> None:
        self.ctx = ctx
        self.pr = pr
        self.gql_number = pr.number
        self.gql_state = pr.state
        self.gql_title = f"Pull request {pr.number}"
        self.gql_url = f"{WEB}/{ctx.org.login}/{repo.name}/pull/{pr.number}"
        self.node_key = ("PullRequest", f"{repo.id}:{pr.number}")

    def gql_author(self, info: Info) -> Node | None:
        return actor(self.ctx, self.pr.author, self.pr.author_type)


VISIBILITY = {"public": "PUBLIC", "private": "PRIVATE", "internal": "INTERNAL"}


class RepositoryNode(Node):
    typename = "Repository"

    def __init__(self, ctx: Context, repo: Repository) -> None:
        self.ctx = ctx
        self.repo = repo
        full = f"{ctx.org.login}/{repo.name}"
        self.node_key = ("Repository", repo.id)
        self.gql_databaseId = repo.id
        self.gql_name = repo.name
        self.gql_nameWithOwner = full
        self.gql_url = f"{WEB}/{full}"
        self.gql_visibility = VISIBILITY[repo.visibility]
        self.gql_isPrivate = repo.visibility != "public"
        self.gql_isArchived = repo.archived
        self.gql_isFork = repo.fork
        self.gql_isTemplate = repo.is_template
        self.gql_isEmpty = repo.is_empty
        self.gql_createdAt = repo.created_at
        self.gql_pushedAt = repo.pushed_at
        self.gql_hasVulnerabilityAlertsEnabled = repo.vulnerability_alerts

    def gql_owner(self, info: Info) -> OrganizationNode:
        return OrganizationNode(self.ctx)

    def gql_defaultBranchRef(self, info: Info) -> RefNode | None:
        name = self.repo.default_branch
        if name is None:
            return None
        branch = next((b for b in self.repo.branches if b.name == name), Branch(name))
        return RefNode(self.ctx, self.repo, branch)

    def gql_refs(self, info: Info, refPrefix: str, **args: Any) -> Connection:  # noqa: N803
        check_arguments(info, args, PAGING_ARGS)
        if refPrefix not in ("refs/heads/", "refs/tags/"):
            raise GraphQLError(
                f"The fake GitHub does not implement refPrefix {refPrefix!r}",
                extensions={"type": NOT_IMPLEMENTED},
            )
        branches = sorted(self.repo.branches, key=lambda b: b.name)
        if refPrefix == "refs/tags/":
            branches = []
        return Connection(branches, args, lambda b: RefNode(self.ctx, self.repo, b))

    def gql_ref(self, info: Info, qualifiedName: str) -> RefNode | None:  # noqa: N803
        """A branch by ``refs/heads/NAME`` or by its short name; None when absent (no tags)."""
        name = qualifiedName.removeprefix("refs/heads/")
        if qualifiedName.startswith("refs/") and name == qualifiedName:
            return None  # refs/tags/... or another namespace: the fake has none
        branch = next((b for b in self.repo.branches if b.name == name), None)
        return RefNode(self.ctx, self.repo, branch) if branch is not None else None

    def gql_rulesets(self, info: Info, **args: Any) -> Connection:
        """Rulesets counted for the repository (``includeParents: true`` only, its default).

        The first ``active_rulesets`` are ACTIVE (they protect the branches with
        ``ruleset=True``); the rest are in EVALUATE mode and protect nothing.
        """
        check_arguments(info, args, PAGING_ARGS)
        active = self.repo.active_rulesets
        numbers = range(1, self.repo.ruleset_count + 1)
        return Connection(
            numbers,
            args,
            lambda number: {
                "id": node_id("RepositoryRuleset", f"{self.repo.id}:{number}"),
                "databaseId": self.repo.id * 1000 + number,
                "name": f"ruleset-{number}",
                "enforcement": "ACTIVE" if number <= active else "EVALUATE",
            },
        )

    def gql_object(self, info: Info, expression: str | None = None, **args: Any) -> Node | None:
        check_arguments(info, args, ())
        if expression is None:
            raise GraphQLError(
                "The fake GitHub implements Repository.object(expression:) only",
                extensions={"type": NOT_IMPLEMENTED},
            )
        return git_object(self.repo, expression)

    def gql_pullRequests(self, info: Info, **args: Any) -> Connection:
        check_arguments(info, args, (*PAGING_ARGS, "states"))
        states = set(args.get("states") or ("OPEN", "CLOSED", "MERGED"))
        prs = [pr for pr in self.repo.pull_requests if pr.state in states]
        return Connection(prs, args, lambda pr: PullRequestNode(self.ctx, self.repo, pr))


class TeamNode(Node):
    typename = "Team"

    def __init__(self, ctx: Context, team: Team) -> None:
        self.ctx = ctx
        self.team = team
        self.gql_slug = team.slug
        self.gql_name = team.slug
        self.gql_combinedSlug = f"{ctx.org.login}/{team.slug}"
        self.node_key = ("Team", team.slug)

    def gql_members(self, info: Info, **args: Any) -> Connection:
        check_arguments(info, args, (*PAGING_ARGS, "role"))
        role = args.get("role")
        people: list[tuple[str, str]] = []
        if role in (None, "MAINTAINER"):
            people += [(login, "MAINTAINER") for login in self.team.maintainers]
        if role in (None, "MEMBER"):
            people += [(login, "MEMBER") for login in self.team.members]
        return Connection(
            people,
            args,
            lambda person: UserNode(self.ctx, person[0]),
            lambda person: {"role": person[1]},
        )


ORDER_KEYS: dict[str, Callable[[Repository], Any]] = {
    "NAME": lambda r: r.name.lower(),
    "CREATED_AT": lambda r: r.created_at,
    "UPDATED_AT": lambda r: r.pushed_at or r.created_at,
    "PUSHED_AT": lambda r: r.pushed_at or "",
}


class OrganizationNode(Node):
    typename = "Organization"

    def __init__(self, ctx: Context) -> None:
        org = ctx.org
        self.ctx = ctx
        self.gql_login = org.login
        self.gql_name = org.login
        self.node_key = ("Organization", org.id)
        self.gql_databaseId = org.id
        self.gql_url = f"{WEB}/{org.login}"

    def gql_repositories(self, info: Info, **args: Any) -> Connection:
        check_arguments(
            info, args, (*PAGING_ARGS, "isArchived", "isFork", "orderBy", "visibility", "privacy")
        )
        repos = list(self.ctx.org.repositories)
        filters: dict[str, Callable[[Repository], Any]] = {
            "isArchived": lambda r: r.archived,
            "isFork": lambda r: r.fork,
            "visibility": lambda r: VISIBILITY[r.visibility],
            "privacy": lambda r: "PUBLIC" if r.visibility == "public" else "PRIVATE",
        }
        for name, value_of in filters.items():
            if args.get(name) is not None:
                repos = [r for r in repos if value_of(r) == args[name]]
        order = args.get("orderBy")
        if order:
            key = ORDER_KEYS.get(order["field"])
            if key is None:
                raise GraphQLError(
                    f"The fake GitHub does not implement orderBy field {order['field']}",
                    extensions={"type": NOT_IMPLEMENTED},
                )
            repos.sort(key=key, reverse=order.get("direction") == "DESC")
        return Connection(repos, args, lambda r: RepositoryNode(self.ctx, r))

    def gql_membersWithRole(self, info: Info, **args: Any) -> Connection:
        check_arguments(info, args, PAGING_ARGS)
        members = sorted(self.ctx.org.members, key=str.lower)
        return Connection(
            members, args, lambda login: UserNode(self.ctx, login), lambda _: {"role": "MEMBER"}
        )

    def gql_team(self, info: Info, slug: str) -> TeamNode | None:
        team = self.ctx.org.team(slug)
        return TeamNode(self.ctx, team) if team is not None else None


class Context:
    """Per-request state shared by the nodes."""

    def __init__(
        self,
        org: Organization,
        rest: RestApi,
        rate_limit: dict[str, Any],
        *,
        permissions: frozenset[str] | None = None,
        hidden: frozenset[str] = frozenset(),
    ) -> None:
        self.org = org
        self.rest = rest
        self.rate_limit = rate_limit
        self.permissions = permissions  # granted permission keys; None: every one
        self.hidden = hidden  # repository names (lower case) answered NOT_FOUND


class QueryRoot(Node):
    typename = "Query"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def gql_organization(self, info: Info, login: str) -> OrganizationNode:
        if login.lower() != self.ctx.org.login.lower():
            raise not_found(f"Could not resolve to an Organization with the login of '{login}'.")
        return OrganizationNode(self.ctx)

    def gql_repository(
        self,
        info: Info,
        owner: str,
        name: str,
        followRenames: bool = True,  # noqa: N803 - GraphQL argument name
    ) -> RepositoryNode:
        repo = self.ctx.rest.repository(name) if self.ctx.rest.is_org(owner) else None
        if repo is None or name.lower() in self.ctx.hidden:
            raise not_found(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        return RepositoryNode(self.ctx, repo)

    def gql_user(self, info: Info, login: str) -> UserNode:
        org = self.ctx.org
        if login not in org.users and login not in org.members:
            raise not_found(f"Could not resolve to a User with the login of '{login}'.")
        return UserNode(self.ctx, login)

    def gql_rateLimit(self, info: Info, dryRun: bool = False) -> dict[str, Any]:  # noqa: N803
        return self.ctx.rate_limit
