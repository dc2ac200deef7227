"""The vendored copies of the contract are the shared specification's, byte for byte."""

from __future__ import annotations

import pytest

from tests import contract

SKIP_REASON = (
    "checks that the vendored docs/schemas/*.json and tests/fake_github/schema.graphql equal "
    f"the specification's copies in {contract.SHARED_OUTPUT_SCHEMAS} and "
    f"{contract.SHARED_GRAPHQL_SCHEMA}; there is no {contract.SHARED} beside this clone, so "
    "the tests use the vendored copies as they are"
)
needs_shared = pytest.mark.skipif(not contract.SHARED.is_dir(), reason=SKIP_REASON)


@needs_shared
def test_vendored_graphql_schema_is_the_shared_one() -> None:
    assert (
        contract.VENDORED_GRAPHQL_SCHEMA.read_bytes() == contract.SHARED_GRAPHQL_SCHEMA.read_bytes()
    )


@needs_shared
def test_vendored_output_schemas_are_the_shared_ones() -> None:
    shared = {p.name: p.read_bytes() for p in contract.SHARED_OUTPUT_SCHEMAS.glob("*.json")}
    vendored = {p.name: p.read_bytes() for p in contract.VENDORED_OUTPUT_SCHEMAS.glob("*.json")}
    assert shared, "the shared specification has no output schemas"
    assert vendored == shared


def test_the_skip_reason_says_what_would_be_compared() -> None:
    for part in ("docs/schemas/", "schema.graphql", str(contract.SHARED), "vendored copies"):
        assert part in SKIP_REASON
