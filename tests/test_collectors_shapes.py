"""Wrong-shaped answers become named CollectionErrors; batching rules, without I/O."""

from __future__ import annotations

import base64
import copy
from collections.abc import Sequence
from typing import Any

import pytest

from collectors.batching import (
    BatchTooHeavyError,
    is_timeout_error,
    not_found_aliases,
    with_halving,
)
from collectors.errors import CollectionError, RepositoryUnreadableError, UnexpectedAnswerError
from collectors.facts import PullRequestAuthor, TreeEntry
from collectors.inventory import RepoListing, listing_from_rest
from collectors.repositories import (
    TruncatedBlob,
    blob_text,
    branches_needing_rules,
    draft_from_answer,
)

LISTING = RepoListing(
    name="svc",
    html_url="https://github.com/acme/svc",
    visibility="PUBLIC",
    archived=False,
    created_at="2020-01-01T00:00:00Z",
    pushed_at="2026-11-01T00:00:00Z",
    default_branch="main",
    secret_scanning="enabled",
    push_protection=None,
)
WHERE = "GraphQL repository acme/svc"

NODE: dict[str, Any] = {
    "name": "svc",
    "visibility": "PUBLIC",
    "isArchived": False,
    "isEmpty": False,
    "createdAt": "2020-01-01T00:00:00Z",
    "pushedAt": None,
    "hasVulnerabilityAlertsEnabled": True,
    "rulesets": {"totalCount": 2},
    "refs": {
        "totalCount": 3,
        "pageInfo": {"hasNextPage": True, "endCursor": "Y3Vyc29yOjM="},
        "nodes": [
            {"name": "main", "branchProtectionRule": {"id": "BPR_1"}},
            {"name": "dev", "branchProtectionRule": None},
            {"name": "wip", "branchProtectionRule": None},
        ],
    },
    "defaultBranchRef": {
        "name": "main",
        "target": {
            "history": {
                "nodes": [
                    {"signature": {"isValid": True}},
                    {"signature": None},
                    {"signature": {"isValid": False}},
                ]
            }
        },
    },
    "root": {
        "__typename": "Tree",
        "entries": [{"name": "README.md", "type": "blob"}, {"name": "docs", "type": "tree"}],
    },
    "dotGithub": None,
    "docs": {"__typename": "Blob"},
    "codeownersGithub": {"__typename": "Tree"},
    "codeownersRoot": {
        "__typename": "Blob",
        "oid": "5fc4a263b63e24486319d8047e4a1d45c2614733",
        "isTruncated": False,
        "text": "* @Alice\n",
    },
    "codeownersDocs": {
        "__typename": "Blob",
        "oid": "a0c9539c0d79ac56f319b1df4369b95dd2c7557d",
        "isTruncated": False,
        "text": "* @bob\n",
    },
    "pullRequests": {
        "totalCount": 2,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [{"author": None}, {"author": {"__typename": "Bot", "login": "dependabot"}}],
    },
}


def test_a_well_formed_answer_becomes_a_draft() -> None:
    draft = draft_from_answer(NODE, LISTING, 15, WHERE)
    # Classic rules only: rules from rulesets are read in a second phase.
    assert draft.branch_names == ["main", "dev", "wip"]
    assert draft.branches_protected == [True, False, False]
    assert draft.first.rulesets == 2
    assert draft.branches_cursor == "Y3Vyc29yOjM="
    assert draft.first.commit_signatures == (True, None, False)
    assert draft.first.root_entries == (TreeEntry("README.md", "blob"), TreeEntry("docs", "tree"))
    assert draft.first.github_entries == () and draft.first.docs_entries == ()
    assert draft.codeowners_owners == ("@alice",)  # a directory named CODEOWNERS is skipped
    assert draft.pull_request_authors == [None, PullRequestAuthor("Bot", "dependabot")]
    assert draft.pull_requests_cursor is None
    facts = draft.facts({})
    assert facts.url == LISTING.html_url and facts.push_protection is None


def test_rulesets_github_would_not_count_mean_every_branch_rule_is_read() -> None:
    draft = draft_from_answer(broken(("rulesets",), None), LISTING, 15, WHERE)
    assert draft.first.rulesets is None
    assert [check.index for check in branches_needing_rules([draft])] == [1, 2]
    no_rulesets = draft_from_answer(broken(("rulesets", "totalCount"), 0), LISTING, 15, WHERE)
    assert branches_needing_rules([no_rulesets]) == []


def broken(path: Sequence[str | int], value: Any = "<delete>") -> dict[str, Any]:
    node = copy.deepcopy(NODE)
    parent: Any = node
    for key in path[:-1]:
        parent = parent[key]
    if value == "<delete>":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return node


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("refs",), "<delete>", "refs"),
        (("refs",), None, "refs"),
        (("isEmpty",), "false", "isEmpty"),
        (("hasVulnerabilityAlertsEnabled",), None, "hasVulnerabilityAlertsEnabled"),
        (("refs", "nodes"), None, "nodes"),
        (("rulesets",), {"totalCount": "1"}, "totalCount"),
        (("rulesets",), "<delete>", "rulesets"),
        (("refs", "nodes", 1, "name"), None, "name"),
        (("defaultBranchRef", "target"), None, "target"),
        (("defaultBranchRef", "target", "history", "nodes", 0, "signature"), {}, "isValid"),
        (("pullRequests", "nodes", 1, "author"), {"__typename": "User"}, "login"),
        (("pullRequests", "pageInfo"), None, "pageInfo"),
        (("root", "entries"), None, "entries"),
        (("codeownersRoot", "text"), 42, "text"),
        (("codeownersRoot", "isTruncated"), "yes", "isTruncated"),
        (("visibility",), "SECRET", "visibility"),
    ],
)
def test_wrong_shapes_name_the_repository_and_field(
    path: tuple[str | int, ...], value: Any, field: str
) -> None:
    with pytest.raises(CollectionError) as caught:
        draft_from_answer(broken(path, value), LISTING, 15, WHERE)
    assert "acme/svc" in str(caught.value) and field in str(caught.value)


def cut_codeowners(oid: object) -> dict[str, Any]:
    node = broken(("codeownersRoot", "isTruncated"), True)
    node["codeownersRoot"]["oid"] = oid
    return node


def test_a_cut_codeowners_file_is_left_to_read_whole() -> None:
    oid = NODE["codeownersRoot"]["oid"]
    draft = draft_from_answer(cut_codeowners(oid), LISTING, 15, WHERE)
    assert draft.codeowners_blob == TruncatedBlob("CODEOWNERS", oid)
    with pytest.raises(CollectionError, match="svc: CODEOWNERS file CODEOWNERS was cut"):
        draft.facts({})  # never judged on the first 512,000 bytes


@pytest.mark.parametrize("oid", [None, "HEAD", "../../../orgs/acme", "A" * 40])
def test_a_cut_codeowners_file_needs_a_git_object_id(oid: object) -> None:
    with pytest.raises(UnexpectedAnswerError) as caught:
        draft_from_answer(cut_codeowners(oid), LISTING, 15, WHERE)
    assert "acme/svc" in str(caught.value) and "oid' should be" in str(caught.value)


BLOB_WHERE = "repository acme/svc, CODEOWNERS file CODEOWNERS"


def test_blob_text_decodes_githubs_base64_lines_and_replaces_bad_utf8() -> None:
    data = b"* @alice\n" * 20 + b"\xff @bob\n"
    encoded = base64.b64encode(data).decode()
    content = "".join(f"{encoded[i : i + 60]}\n" for i in range(0, len(encoded), 60))
    answer = {"sha": "x", "size": len(data), "content": content, "encoding": "base64"}
    assert blob_text(answer, BLOB_WHERE) == data.decode("utf-8", errors="replace")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([], "should be an object"),
        ({"size": 3, "content": "YWJj", "encoding": "utf-8"}, "'utf-8', not 'base64'"),
        ({"size": 3, "content": "Y*Jj", "encoding": "base64"}, "not valid base64"),
        ({"size": 4, "content": "YWJj", "encoding": "base64"}, "3 bytes of a 4-byte blob"),
        ({"size": "3", "content": "YWJj", "encoding": "base64"}, "'size' should be an integer"),
        ({"size": 3, "encoding": "base64"}, "'content' should be a string"),
    ],
)
def test_blob_answers_of_the_wrong_shape_name_the_file(answer: object, message: str) -> None:
    with pytest.raises(UnexpectedAnswerError) as caught:
        blob_text(answer, BLOB_WHERE)
    assert BLOB_WHERE in str(caught.value) and message in str(caught.value)


def test_a_next_page_without_a_cursor_is_an_error() -> None:
    node = broken(("refs", "pageInfo", "endCursor"), None)
    with pytest.raises(CollectionError, match="acme/svc refs: hasNextPage is true"):
        draft_from_answer(node, LISTING, 15, WHERE)


REST_REPO: dict[str, Any] = {
    "name": "svc",
    "html_url": "https://github.com/acme/svc",
    "visibility": "public",
    "archived": False,
    "created_at": "2020-01-01T00:00:00Z",
    "pushed_at": "2026-11-01T00:00:00Z",
    "default_branch": "main",
    "security_and_analysis": {"secret_scanning": {"status": "enabled"}},
}


def test_a_rest_listing_reads_revealed_and_hidden_statuses() -> None:
    assert listing_from_rest(REST_REPO, "GET /orgs/acme/repos") == LISTING


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"html_url": None}, "html_url"),
        ({"archived": "no"}, "archived"),
        ({"visibility": "secret"}, "visibility"),
        ({"security_and_analysis": []}, "security_and_analysis"),
        ({"security_and_analysis": {"secret_scanning": {"status": 1}}}, "status"),
    ],
)
def test_a_wrong_rest_listing_names_endpoint_and_repository(
    change: dict[str, Any], field: str
) -> None:
    with pytest.raises(UnexpectedAnswerError) as caught:
        listing_from_rest({**REST_REPO, **change}, "GET /orgs/acme/repos")
    message = str(caught.value)
    assert "GET /orgs/acme/repos (repository svc)" in message and field in message


@pytest.mark.parametrize("item", [None, [], "svc", {"html_url": "x"}])
def test_a_listing_item_that_is_not_a_repository_is_named(item: object) -> None:
    with pytest.raises(UnexpectedAnswerError, match="GET /orgs/acme/repos"):
        listing_from_rest(item, "GET /orgs/acme/repos")


def where(name: str) -> str:
    return f"GraphQL repository acme/{name}"


def test_not_found_for_one_alias_is_reported_for_a_retry() -> None:
    errors = [{"type": "NOT_FOUND", "path": ["r1"], "message": "Could not resolve"}]
    assert not_found_aliases(errors, ["a", "b"], where, "batch") == {"r1"}


def test_any_other_error_names_the_repository_it_points_to() -> None:
    errors = [
        {"type": "FORBIDDEN", "path": ["r2", "hasVulnerabilityAlertsEnabled"], "message": "no"}
    ]
    with pytest.raises(CollectionError, match=r"acme/c: GitHub answered errors: \[FORBIDDEN\]"):
        not_found_aliases(errors, ["a", "b", "c"], where, "batch")


def test_an_error_without_a_path_names_the_batch() -> None:
    with pytest.raises(CollectionError, match=r"^batch: .*Something odd"):
        not_found_aliases([{"message": "Something odd"}], ["a"], where, "batch")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {
                "message": "Something went wrong while executing your query. This may be the "
                "result of a timeout, or it could be a GitHub bug."
            },
            True,
        ),
        ({"message": "Query timed out"}, True),
        ({"message": "timeout", "path": ["r0", "refs"]}, False),  # a field error, not the query
        ({"type": "NOT_FOUND", "path": ["r0"], "message": "Could not resolve"}, False),
    ],
)
def test_timeout_errors(error: dict[str, Any], expected: bool) -> None:
    assert is_timeout_error(error) is expected


def test_halving_splits_until_batches_pass() -> None:
    sizes: list[int] = []

    def run(items: Sequence[int]) -> list[int]:
        sizes.append(len(items))
        if len(items) > 3:
            raise BatchTooHeavyError("502")
        return list(items)

    parts = with_halving(list(range(10)), run, str)
    assert [item for part in parts for item in part] == list(range(10))
    assert sizes == [10, 5, 2, 3, 5, 2, 3]


def test_halving_down_to_one_names_the_item() -> None:
    def run(items: Sequence[str]) -> None:
        raise BatchTooHeavyError("HTTP 502")

    with pytest.raises(RepositoryUnreadableError, match=r"repo a: .*HTTP 502"):
        with_halving(["a", "b"], run, lambda item: f"repo {item}")
