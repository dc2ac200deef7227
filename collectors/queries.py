"""The GraphQL documents the collectors send, built from small literal pieces.

Repository names, team slugs and logins travel as variables (``$n0``, ``$s0``,
``$l0``), never spliced into the text, so a batch's query text depends only on
its size: GitHub (and the test fake) parse and validate each shape once. Every
document here is validated against GitHub's published schema in
tests/test_collectors_queries.py, and asks ``rateLimit { cost }``.

Cost (GitHub's formula: each connection costs the product of its enclosing
connections' sizes, summed over connections, / 100, rounded, at least 1):
a facts selection has four top-level connections (``refs``, ``rulesets``,
``history``, ``pullRequests``), so 50 repositories cost 2 points. Branch rules
are asked per branch only where needed (:func:`branch_rules_query`): one point
per 100 branches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from collectors.facts import BRANCHES, COMMITS, FILES, PULL_REQUESTS, VULNERABILITY_ALERTS

PAGE_SIZE: Final = 100

_PAGE_INFO: Final = "pageInfo { hasNextPage endCursor }"
_BRANCH_NODES: Final = "nodes { name branchProtectionRule { id } }"
# Every query asks its own cost, so the client's ``graphql_points`` count is exact.
RATE_LIMIT: Final = "rateLimit { cost }"
# Rulesets that may apply to the repository (its own and its organisation's),
# active or not: a pre-filter, 0 means only classic rules can protect a branch.
RULESETS: Final = "rulesets(first: 1, includeParents: true) { totalCount }"
_PR_NODES: Final = "nodes { author { __typename login } }"
_TREE: Final = "{ __typename ... on Tree { entries { name type } } }"
# ``text`` is cut at 512,000 bytes (``isTruncated``); ``oid`` names the blob to read whole.
_BLOB: Final = "{ __typename ... on Blob { oid isTruncated text } }"
_RULES: Final = "{ rules(first: 1) { totalCount } }"

# Aliases of the directory and CODEOWNERS lookups, in GitHub's CODEOWNERS order.
TREE_ALIASES: Final = {"root": "HEAD:", "dotGithub": "HEAD:.github", "docs": "HEAD:docs"}
CODEOWNERS_ALIASES: Final = {
    "codeownersGithub": "HEAD:.github/CODEOWNERS",
    "codeownersRoot": "HEAD:CODEOWNERS",
    "codeownersDocs": "HEAD:docs/CODEOWNERS",
}


def branches_connection(after_variable: str | None = None) -> str:
    """``refs`` over the branches, first page or after a cursor variable."""
    after = f", after: ${after_variable}" if after_variable else ""
    return (
        f'refs(refPrefix: "refs/heads/", first: {PAGE_SIZE}{after}) '
        f"{{ totalCount {_PAGE_INFO} {_BRANCH_NODES} }}"
    )


def pull_requests_connection(after_variable: str | None = None) -> str:
    """Open pull requests' authors, first page or after a cursor variable."""
    after = f", after: ${after_variable}" if after_variable else ""
    return (
        f"pullRequests(states: OPEN, first: {PAGE_SIZE}{after}) "
        f"{{ totalCount {_PAGE_INFO} {_PR_NODES} }}"
    )


def history_selection(signed_commit_number: int) -> str:
    """The default branch's latest commits' signature validity (nothing when N is 0)."""
    if signed_commit_number <= 0:
        return "defaultBranchRef { name }"
    return (
        "defaultBranchRef { name target { ... on Commit { "
        f"history(first: {signed_commit_number}) {{ nodes {{ signature {{ isValid }} }} }} }} }} }}"
    )


def repository_facts_selection(
    signed_commit_number: int, omit: frozenset[str] = frozenset()
) -> str:
    """Everything one repository's checks need, in one selection set.

    ``omit`` names fact groups (``collectors.facts``) the App may not read: their
    fields are not asked, so GitHub has nothing to refuse (a refused non-null
    field would null the whole repository).
    """
    parts = ["{ name visibility isArchived isEmpty createdAt pushedAt"]
    if VULNERABILITY_ALERTS not in omit:
        parts.append("hasVulnerabilityAlertsEnabled")
    if BRANCHES not in omit:
        parts += [RULESETS, branches_connection()]
    parts.append(history_selection(0 if COMMITS in omit else signed_commit_number))
    if FILES not in omit:
        parts += [
            f'{alias}: object(expression: "{expr}") {_TREE}' for alias, expr in TREE_ALIASES.items()
        ]
        parts += [
            f'{alias}: object(expression: "{expr}") {_BLOB}'
            for alias, expr in CODEOWNERS_ALIASES.items()
        ]
    if PULL_REQUESTS not in omit:
        parts.append(pull_requests_connection())
    parts.append("}")
    return " ".join(parts)


def repository_alias(index: int) -> str:
    """The alias of the index-th repository of a batch."""
    return f"r{index}"


def repository_facts_query(
    count: int, signed_commit_number: int, omit: frozenset[str] = frozenset()
) -> str:
    """Facts of ``count`` repositories named by variables ``$n0``..; owner is ``$org``."""
    names = "".join(f", $n{i}: String!" for i in range(count))
    selection = repository_facts_selection(signed_commit_number, omit)
    fields = " ".join(
        f"{repository_alias(i)}: repository(owner: $org, name: $n{i}) {selection}"
        for i in range(count)
    )
    return f"query RepositoryFacts($org: String!{names}) {{ {fields} {RATE_LIMIT} }}"


def follow_up_query(branch_pages: int, pull_request_pages: int) -> str:
    """Next pages of branches (aliases ``b0``.. with ``$bn``/``$bc``) and open pull requests
    (aliases ``p0``.. with ``$pn``/``$pc``), for repositories with more than 100."""
    variables = ["$org: String!"]
    fields = []
    for i in range(branch_pages):
        variables += [f"$bn{i}: String!", f"$bc{i}: String!"]
        fields.append(
            f"b{i}: repository(owner: $org, name: $bn{i}) {{ {branches_connection(f'bc{i}')} }}"
        )
    for i in range(pull_request_pages):
        variables += [f"$pn{i}: String!", f"$pc{i}: String!"]
        fields.append(
            f"p{i}: repository(owner: $org, name: $pn{i}) "
            f"{{ {pull_requests_connection(f'pc{i}')} }}"
        )
    return f"query NextPages({', '.join(variables)}) {{ {' '.join(fields)} {RATE_LIMIT} }}"


def branch_alias(index: int) -> str:
    """The alias of the index-th branch asked of one repository in :func:`branch_rules_query`."""
    return f"b{index}"


def branch_rules_query(branch_counts: Sequence[int]) -> str:
    """Whether rules (active rulesets) apply to given branches, across repositories.

    Repository ``r<i>`` is named by ``$n<i>``; its ``branch_counts[i]`` branches are
    ``b<j>: ref(qualifiedName: $q<i>_<j>)``. The text depends only on the counts.
    """
    variables = ["$org: String!"]
    fields = []
    for i, count in enumerate(branch_counts):
        variables.append(f"$n{i}: String!")
        refs = []
        for j in range(count):
            variables.append(f"$q{i}_{j}: String!")
            refs.append(f"{branch_alias(j)}: ref(qualifiedName: $q{i}_{j}) {_RULES}")
        fields.append(
            f"{repository_alias(i)}: repository(owner: $org, name: $n{i}) {{ {' '.join(refs)} }}"
        )
    return f"query BranchRules({', '.join(variables)}) {{ {' '.join(fields)} {RATE_LIMIT} }}"


def team_maintainers_query(count: int) -> str:
    """Maintainers of ``count`` teams (``$s0``.. slugs, ``$a0``.. cursors, null for page 1)."""
    variables = "".join(f", $s{i}: String!, $a{i}: String" for i in range(count))
    fields = " ".join(
        f"t{i}: team(slug: $s{i}) {{ members(role: MAINTAINER, first: {PAGE_SIZE}, after: $a{i}) "
        f"{{ {_PAGE_INFO} nodes {{ login }} }} }}"
        for i in range(count)
    )
    organization = f"organization(login: $org) {{ {fields} }}"
    return f"query TeamMaintainers($org: String!{variables}) {{ {organization} {RATE_LIMIT} }}"


def verified_emails_query(count: int) -> str:
    """Verified-domain e-mails for the organisation of ``count`` users (``$l0``.. logins)."""
    variables = "".join(f", $l{i}: String!" for i in range(count))
    fields = " ".join(
        f"u{i}: user(login: $l{i}) {{ organizationVerifiedDomainEmails(login: $org) }}"
        for i in range(count)
    )
    return f"query VerifiedEmails($org: String!{variables}) {{ {fields} {RATE_LIMIT} }}"


# A GraphQL query GitHub estimates at this many nodes (the product of nested
# ``first`` values, summed over connections) is answered in about 2.5 s under
# docs/performance.md's model, a quarter of GitHub's 10 s timeout: the batches
# below are sized to it, and the halving in collectors/batching.py remains the
# fallback for a batch that still times out.
NODE_BUDGET: Final = 11_000
# At most this many aliases in one query, whatever their estimate.
MAX_ALIASES: Final = 100


def repository_facts_nodes(signed_commit_number: int) -> int:
    """GitHub's node estimate of one repository's facts selection: its four connections
    (branches, rulesets, commit history, open pull requests)."""
    history = signed_commit_number if signed_commit_number > 0 else 0
    return PAGE_SIZE + 1 + history + PAGE_SIZE


def facts_batch_size(signed_commit_number: int, budget: int = NODE_BUDGET) -> int:
    """Repositories per facts query: as many as the node budget holds (1..MAX_ALIASES)."""
    return max(1, min(MAX_ALIASES, budget // repository_facts_nodes(signed_commit_number)))
