"""Plain value types the client returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Response:
    """One REST answer. ``headers`` is case-insensitive; ``data`` is the decoded JSON
    (``None`` for an empty body)."""

    status: int
    headers: Mapping[str, str]
    data: Any
    url: str


@dataclass(frozen=True)
class Page:
    """One page of a REST listing: its items and whether ``rel="next"`` named another."""

    items: list[Any]
    has_next: bool


@dataclass(frozen=True)
class GraphQLResponse:
    """A GraphQL answer: ``data`` (possibly partial) and ``errors`` (empty when none)."""

    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ApiStats:
    """A snapshot of the client's counters, for the run summary.

    - ``rest_requests`` / ``graphql_requests``: HTTP requests sent, retries and
      App-authentication calls included (each one costs GitHub budget or time).
    - ``retries``: requests repeated after a 5xx, a limit, a transport error, an
      unusable answer or a 401 that needed a fresh token.
    - ``rate_limit_remaining``: the REST (``core``) budget left according to the
      latest answer that reported it; ``None`` before any.
    - ``graphql_points``: rate-limit points spent on GraphQL: a query's own
      ``rateLimit { cost }`` when it asks for it, else 1 (GitHub's minimum cost);
      nothing for a query that returned no ``data`` (rejected before running).
    - ``token_refreshes``: installation tokens obtained after the first one.
    """

    rest_requests: int = 0
    graphql_requests: int = 0
    retries: int = 0
    rate_limit_remaining: int | None = None
    graphql_points: int = 0
    token_refreshes: int = 0
