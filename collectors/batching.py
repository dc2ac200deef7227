"""Running aliased GraphQL batches: halving heavy ones, reading per-alias errors.

GitHub answers a heavy query with 502/504 (the client raises ``ServerError``
after its retry) or with a timeout error in ``errors``. Either way the batch
is split in two and each half retried, down to a single item; an item that
still fails alone is named in a :class:`RepositoryUnreadableError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from collectors.errors import CollectionError, RepositoryUnreadableError
from github_client import GitHubClient, GraphQLError, ServerError
from github_client.errors import summarise_graphql_errors

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

_TIMEOUT_MARKERS = ("timeout", "timed out")


class BatchTooHeavyError(Exception):
    """GitHub could not answer this batch in time; a smaller one may succeed."""


@dataclass(frozen=True)
class GraphQLAnswer:
    """``data`` (never None: {} when GitHub sent none) and ``errors`` of one query."""

    data: Mapping[str, Any]
    errors: list[dict[str, Any]]


def is_timeout_error(error: Mapping[str, Any]) -> bool:
    """Whether a GraphQL error reports that GitHub gave up on a heavy query."""
    if error.get("path"):
        return False
    message = str(error.get("message", "")).lower()
    return any(marker in message for marker in _TIMEOUT_MARKERS)


def error_type(error: Mapping[str, Any]) -> str:
    """GitHub's error ``type`` (or ``extensions.code``), "" when absent."""
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    return str(error.get("type") or code or "")


def error_alias(error: Mapping[str, Any]) -> str | None:
    """The top-level alias an error's ``path`` points into, if any."""
    path = error.get("path")
    if isinstance(path, list) and path and isinstance(path[0], str):
        return path[0]
    return None


def run_graphql(
    client: GitHubClient, query: str, variables: dict[str, Any], what: str
) -> GraphQLAnswer:
    """One query with partial data allowed; heavy-query failures raise BatchTooHeavyError."""
    try:
        response = client.graphql(query, variables, allow_partial=True)
        data, errors = response.data, response.errors
    except ServerError as exc:
        raise BatchTooHeavyError(str(exc)) from exc
    except GraphQLError as exc:  # a client that raises despite allow_partial
        data, errors = exc.data, exc.errors
    if errors and any(is_timeout_error(error) for error in errors):
        raise BatchTooHeavyError(summarise_graphql_errors(errors))
    if data is None:
        raise CollectionError(
            f"{what}: GitHub answered no data: {summarise_graphql_errors(errors)}"
        )
    return GraphQLAnswer(data, errors)


def unexpected_errors(errors: list[dict[str, Any]], what: str) -> CollectionError:
    """The error for GraphQL errors the caller does not know how to handle."""
    return CollectionError(f"{what}: GitHub answered errors: {summarise_graphql_errors(errors)}")


def not_found_aliases(
    errors: Sequence[Mapping[str, Any]],
    names: Sequence[str],
    where: Callable[[str], str],
    what: str,
) -> set[str]:
    """Aliases (a letter and an index: ``r<i>``, ``u<i>``) GitHub answered NOT_FOUND for;
    any other error raises a CollectionError naming the item it points to (or the batch)."""
    missing = set()
    other = []
    for error in errors:
        alias = error_alias(error)
        if error_type(error) == "NOT_FOUND" and alias and error.get("path") == [alias]:
            missing.add(alias)
        else:
            other.append(dict(error))
    if other:
        alias = error_alias(other[0]) or ""
        index = int(alias[1:]) if alias[1:].isdigit() else -1
        raise unexpected_errors(other, where(names[index]) if 0 <= index < len(names) else what)
    return missing


@dataclass(frozen=True)
class AliasErrors:
    """A batch's GraphQL errors sorted by the alias they point into.

    ``not_found``: aliases GitHub answered ``NOT_FOUND`` for as a whole;
    ``other``: every other error pointing into an alias (``FORBIDDEN`` on one
    of its fields, ...); ``batch``: errors naming no alias of the batch.
    """

    not_found: frozenset[str]
    other: Mapping[str, list[dict[str, Any]]]
    batch: list[dict[str, Any]]


def alias_errors(errors: Sequence[Mapping[str, Any]], aliases: Sequence[str]) -> AliasErrors:
    """``errors`` sorted by the aliases of ``aliases`` they point into."""
    known = set(aliases)
    not_found: set[str] = set()
    other: dict[str, list[dict[str, Any]]] = {}
    batch: list[dict[str, Any]] = []
    for error in errors:
        alias = error_alias(error)
        if alias not in known or alias is None:
            batch.append(dict(error))
        elif error_type(error) == "NOT_FOUND" and error.get("path") == [alias]:
            not_found.add(alias)
        else:
            other.setdefault(alias, []).append(dict(error))
    return AliasErrors(frozenset(not_found), other, batch)


def with_halving(
    items: Sequence[T],
    run: Callable[[Sequence[T]], R],
    describe: Callable[[T], str],
    alone: Callable[[T, BatchTooHeavyError], R] | None = None,
) -> list[R]:
    """``run(items)``, splitting the batch in halves (down to one item) while it is too heavy.

    A single item still too heavy gives ``alone(item, error)`` when given, else
    raises :class:`RepositoryUnreadableError` naming it.
    """
    try:
        return [run(items)]
    except BatchTooHeavyError as exc:
        if len(items) <= 1:
            if alone is not None and items:
                return [alone(items[0], exc)]
            subject = describe(items[0]) if items else "an empty batch"
            raise RepositoryUnreadableError(
                f"{subject}: GitHub could not answer even a single-item query ({exc}); "
                "retry the run later"
            ) from exc
        logger.warning(
            "graphql batch too heavy, halving",
            extra={"batch_size": len(items), "cause": str(exc)[:200]},
        )
        middle = len(items) // 2
        return with_halving(items[:middle], run, describe, alone) + with_halving(
            items[middle:], run, describe, alone
        )


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in consecutive batches of ``size``, each given as soon as it is full:
    a batch of repositories can go out while the inventory is still arriving."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
