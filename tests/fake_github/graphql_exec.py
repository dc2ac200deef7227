"""GraphQL over the model (phase 2: validation, limits, execution)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fake_github.model import Organization
from tests.fake_github.rest import RestApi


@dataclass(frozen=True)
class RateLimitInfo:
    cost: int
    limit: int
    remaining: int
    used: int
    reset_at: str
    node_count: int


@dataclass
class Analysis:
    query: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    cost: int = 1
    nodes: int = 0
    document: Any = None


class GraphQLEngine:
    def __init__(self, org: Organization, rest: RestApi) -> None:
        self.org = org
        self.rest = rest

    def analyse(self, query: str, variables: dict[str, Any]) -> Analysis:
        return Analysis(query, errors=[{"message": "GraphQL is not implemented yet"}])

    def execute(
        self,
        analysis: Analysis,
        variables: dict[str, Any],
        operation_name: str | None,
        rate_limit: RateLimitInfo,
    ) -> dict[str, Any]:
        return {"errors": [{"message": "GraphQL is not implemented yet"}]}
