"""The vendored copies of the contract are the shared specification's, byte for byte."""

from __future__ import annotations

import pytest

from tests import contract

pytestmark = pytest.mark.skipif(
    not contract.SHARED.is_dir(), reason="no ../shared beside this clone to compare against"
)


def test_vendored_graphql_schema_is_the_shared_one() -> None:
    assert (
        contract.VENDORED_GRAPHQL_SCHEMA.read_bytes() == contract.SHARED_GRAPHQL_SCHEMA.read_bytes()
    )


def test_vendored_output_schemas_are_the_shared_ones() -> None:
    shared = {p.name: p.read_bytes() for p in contract.SHARED_OUTPUT_SCHEMAS.glob("*.json")}
    vendored = {p.name: p.read_bytes() for p in contract.VENDORED_OUTPUT_SCHEMAS.glob("*.json")}
    assert shared, "the shared specification has no output schemas"
    assert vendored == shared
