"""Every GraphQL document the collectors send validates against GitHub's published schema."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from collectors import queries
from collectors.queries import (
    NODE_BUDGET,
    facts_batch_size,
    repository_facts_nodes,
    repository_facts_query,
)
from tests.fake_github.graphql_exec import GraphQLEngine, github_schema
from tests.fake_github.model import Organization
from tests.fake_github.rest import RestApi


def validation_errors(query: str) -> list[str]:
    return [error.message for error in validate(github_schema(), parse(query))]


@pytest.mark.parametrize(
    "query",
    [
        queries.repository_facts_query(1, 15),
        queries.repository_facts_query(50, 15),
        queries.repository_facts_query(3, 100),
        queries.repository_facts_query(2, 0),
        queries.follow_up_query(2, 0),
        queries.follow_up_query(0, 3),
        queries.follow_up_query(4, 5),
        queries.team_maintainers_query(1),
        queries.team_maintainers_query(100),
        queries.verified_emails_query(1),
        queries.verified_emails_query(100),
        queries.branch_rules_query([1]),
        queries.branch_rules_query([3, 1, 96]),
        queries.branch_rules_query([100]),
    ],
)
def test_query_validates_against_github_schema(query: str) -> None:
    assert validation_errors(query) == []
    # Every query reports its own cost, so the run's GraphQL points are exact.
    assert query.endswith(f"{queries.RATE_LIMIT} }}")


def test_branch_rules_query_text_depends_only_on_its_shape() -> None:
    query = queries.branch_rules_query([2, 1])
    assert query == queries.branch_rules_query([2, 1]) != queries.branch_rules_query([1, 2])
    assert "$q0_1: String!" in query and "$q1_0: String!" in query
    assert "$q1_1" not in query and "refs/heads" not in query


def test_facts_ask_rulesets_not_rules_under_every_branch() -> None:
    query = queries.repository_facts_query(1, 15)
    assert "rulesets(first: 1, includeParents: true) { totalCount }" in query
    assert "rules(" not in query


def test_a_misspelled_field_is_rejected_by_the_same_check() -> None:
    broken = queries.repository_facts_query(1, 15).replace("isEmpty", "isEmtpy")
    assert any("isEmtpy" in message for message in validation_errors(broken))


def test_a_batch_names_each_repository_by_a_variable_of_its_own() -> None:
    query = queries.repository_facts_query(50, 15)
    assert "$n49: String!" in query and "$n50" not in query
    for i in (0, 49):
        assert f"r{i}: repository(owner: $org, name: $n{i})" in query
    assert query.count(": repository(owner: $org, name: $n") == 50


@pytest.mark.parametrize("signed", [0, 1, 15, 100])
def test_facts_node_estimate_is_githubs(signed: int) -> None:
    """The estimate batches are sized by is the one the fake (GitHub's formula) computes."""
    engine = GraphQLEngine(Organization("o"), RestApi(Organization("o")))
    variables = {"org": "o", **{f"n{i}": f"r{i}" for i in range(3)}}
    analysis = engine.analyse(repository_facts_query(3, signed), variables, None)
    assert not analysis.errors
    assert analysis.nodes == 3 * repository_facts_nodes(signed)


@pytest.mark.parametrize(("signed", "size"), [(15, 50), (0, 54), (100, 36), (10_000, 1)])
def test_facts_batches_fit_the_node_budget(signed: int, size: int) -> None:
    assert facts_batch_size(signed) == size
    assert size * repository_facts_nodes(signed) <= NODE_BUDGET or size == 1
