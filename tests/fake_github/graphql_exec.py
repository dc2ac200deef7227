"""GraphQL as GitHub answers it: validation, pagination limits, cost, execution.

- The schema is GitHub's published SDL, built once per process, lazily and
  thread-safely (graphql-core 3.2, ``assume_valid_sdl=True``).
- Parsed and validated documents are cached by query text.
- Every connection needs ``first`` or ``last`` (not both) in 1..100
  (``MISSING_PAGINATION_BOUNDARIES`` / ``EXCESSIVE_PAGINATION``); a query may
  reach at most 500,000 nodes (``MAX_NODE_LIMIT_EXCEEDED``).
- Cost follows GitHub's formula: for each connection, the number of requests
  needed to fill it (the product of the enclosing connections' sizes), summed,
  divided by 100, rounded, at least 1. ``nodes`` is the sum over connections of
  the product including the connection's own size.
- Invalid queries answer HTTP 200 with ``errors`` and no ``data``.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    execute_sync,
    get_named_type,
    parse,
    validate,
)
from graphql.language import ast

from tests import contract
from tests.fake_github.graphql_nodes import NOT_IMPLEMENTED, Context, QueryRoot
from tests.fake_github.model import Organization
from tests.fake_github.permissions import FIELD_PERMISSIONS, forbidden_message
from tests.fake_github.rest import RestApi

MAX_PAGE = 100
MAX_NODES = 500_000
DOCUMENT_CACHE_SIZE = 512
SCHEMA_ENV = "GITHUB_GRAPHQL_SCHEMA"
# The shared specification's copy first (authoritative), then the vendored one.
_SCHEMA_CANDIDATES = (contract.SHARED_GRAPHQL_SCHEMA, contract.VENDORED_GRAPHQL_SCHEMA)

_schema_lock = threading.Lock()
_schema: GraphQLSchema | None = None


def schema_path() -> Path:
    """Where GitHub's SDL is read from: ``$GITHUB_GRAPHQL_SCHEMA`` or a known copy."""
    override = os.environ.get(SCHEMA_ENV)
    if override:
        return Path(override)
    for candidate in _SCHEMA_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"GitHub's GraphQL schema not found: set {SCHEMA_ENV} or put schema.graphql in "
        f"{_SCHEMA_CANDIDATES[1].parent}"
    )


def github_schema() -> GraphQLSchema:
    """GitHub's schema, built once per process (about a second)."""
    global _schema  # noqa: PLW0603 - process-wide cache
    with _schema_lock:
        if _schema is None:
            text = schema_path().read_text(encoding="utf-8")
            _schema = build_schema(text, assume_valid_sdl=True)
        return _schema


@dataclass(frozen=True)
class RateLimitInfo:
    """What ``rateLimit`` reports for the current query (after charging it)."""

    cost: int
    limit: int
    remaining: int
    used: int
    reset_at: str
    node_count: int


@dataclass
class Analysis:
    """A query checked and measured, ready to execute (or its errors)."""

    query: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    cost: int = 1
    nodes: int = 0
    document: DocumentNode | None = None
    operation_name: str | None = None


class LimitError(Exception):
    """A query breaks one of GitHub's pagination or node limits."""

    def __init__(self, kind: str, message: str, node: ast.Node) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.node = node

    def formatted(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.kind, "message": self.message}
        if self.node.loc is not None:
            location = self.node.loc.source.get_location(self.node.loc.start)
            error["locations"] = [{"line": location.line, "column": location.column}]
        return error


# -- validation messages in GitHub's words ------------------------------------

_UNDEFINED_FIELD = re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'\.")
_UNKNOWN_ARGUMENT = re.compile(r"^Unknown argument '(\w+)' on field '(\w+)\.(\w+)'\.")


def github_validation_error(error: GraphQLError) -> dict[str, Any]:
    """A graphql-core validation error, reworded the way GitHub reports it."""
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": at.line, "column": at.column} for at in error.locations]
    undefined = _UNDEFINED_FIELD.match(error.message)
    unknown_arg = _UNKNOWN_ARGUMENT.match(error.message)
    if undefined:
        field_name, type_name = undefined.groups()
        formatted["message"] = f"Field '{field_name}' doesn't exist on type '{type_name}'"
        formatted["extensions"] = {
            "code": "undefinedField",
            "typeName": type_name,
            "fieldName": field_name,
        }
    elif unknown_arg:
        argument, type_name, field_name = unknown_arg.groups()
        formatted["message"] = f"Field '{field_name}' doesn't accept argument '{argument}'"
        formatted["extensions"] = {
            "code": "argumentNotAccepted",
            "name": field_name,
            "typeName": "Field",
            "argumentName": argument,
        }
    else:
        formatted["extensions"] = {"code": "validationError"}
    return formatted


def format_execution_error(error: GraphQLError) -> dict[str, Any]:
    """GitHub puts ``type`` (NOT_FOUND, ...) at the top level of an error."""
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = dict(formatted.pop("extensions", None) or {})
    kind = extensions.pop("type", None)
    if kind is not None:
        formatted = {"type": kind, **formatted}
    if extensions:
        formatted["extensions"] = extensions
    return formatted


# -- limits and cost ------------------------------------------------------------


class QueryMeasure:
    """Walks one operation: pagination bounds, node count and cost."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = dict(variables)
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and isinstance(definition.default_value, IntValueNode):
                self.variables[name] = int(definition.default_value.value)
        self.requests = 0
        self.nodes = 0

    def walk(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        multiplier: int,
        seen: frozenset[str] = frozenset(),
    ) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(selection, parent, multiplier, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self.walk(selection.selection_set, target or parent, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                self.walk(fragment.selection_set, target or parent, multiplier, seen | {name})

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType, multiplier: int, seen: frozenset[str]
    ) -> None:
        fields = getattr(parent, "fields", None)
        if not fields or node.name.value not in fields:
            return  # __typename and friends
        definition = fields[node.name.value]
        target = get_named_type(definition.type)
        if self._is_connection(definition.args, target):
            size = self._page_size(node)
            self.requests += multiplier
            multiplier *= size
            self.nodes += multiplier
            if self.nodes > MAX_NODES:
                raise LimitError(
                    "MAX_NODE_LIMIT_EXCEEDED",
                    f"By the time this query traverses to the {node.name.value} connection, it "
                    f"is requesting up to {self.nodes:,} possible nodes which exceeds the "
                    f"maximum limit of {MAX_NODES:,}.",
                    node,
                )
        self.walk(node.selection_set, target, multiplier, seen)

    @staticmethod
    def _is_connection(args: dict[str, Any], target: GraphQLNamedType) -> bool:
        return "first" in args and "last" in args and target.name.endswith("Connection")

    def _page_size(self, node: FieldNode) -> int:
        name = node.name.value
        values = {arg.name.value: self._value(arg.value) for arg in node.arguments or ()}
        first, last = values.get("first"), values.get("last")
        if first is None and last is None:
            raise LimitError(
                "MISSING_PAGINATION_BOUNDARIES",
                f"You must provide a `first` or `last` value to properly paginate the "
                f"`{name}` connection.",
                node,
            )
        if first is not None and last is not None:
            raise LimitError(
                "EXCESSIVE_PAGINATION",
                f"Passing both `first` and `last` to paginate the `{name}` connection is not "
                "supported.",
                node,
            )
        argument, value = ("first", first) if first is not None else ("last", last or 0)
        if value > MAX_PAGE:
            raise LimitError(
                "EXCESSIVE_PAGINATION",
                f"Requesting {value} records on the `{name}` connection exceeds the "
                f"`{argument}` limit of {MAX_PAGE} records.",
                node,
            )
        if value < 1:
            raise LimitError(
                "EXCESSIVE_PAGINATION",
                f"Requesting {value} records on the `{name}` connection is below the "
                f"`{argument}` minimum of 1 record.",
                node,
            )
        return value

    def _value(self, value: ast.ValueNode) -> int | None:
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            raw = self.variables.get(value.name.value)
            return raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        return None

    @property
    def cost(self) -> int:
        return max(1, int(self.requests / 100 + 0.5))


def select_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


# -- execution -----------------------------------------------------------------


def resolve_field(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """The one resolver: ``gql_<field>`` on a node, or the key on a dict; else an error.

    A field the App's permissions do not cover answers ``FORBIDDEN`` (null data).
    """
    name = info.field_name
    gate = FIELD_PERMISSIONS.get(f"{info.parent_type.name}.{name}")
    granted = getattr(info.context, "permissions", None)
    if gate is not None and granted is not None and gate[0] not in granted:
        raise GraphQLError(
            forbidden_message(info.parent_type.name, name), extensions={"type": "FORBIDDEN"}
        )
    if isinstance(source, dict):
        if name in source:
            return source[name]
    else:
        resolver = getattr(source, f"gql_{name}", _MISSING)
        if resolver is not _MISSING:
            return resolver(info, **args) if callable(resolver) else resolver
    raise GraphQLError(
        f"The fake GitHub does not implement {info.parent_type.name}.{name}",
        extensions={"type": NOT_IMPLEMENTED},
    )


_MISSING = object()


def resolve_type(value: Any, info: GraphQLResolveInfo, abstract_type: Any) -> str | None:
    if isinstance(value, dict):
        typename = value.get("__typename")
        return str(typename) if typename else None
    return str(value.typename)


class GraphQLEngine:
    """Checks and runs GraphQL queries over one organisation."""

    def __init__(self, org: Organization, rest: RestApi) -> None:
        self.org = org
        self.rest = rest
        self._cache_lock = threading.Lock()
        self._documents: OrderedDict[str, tuple[DocumentNode | None, list[dict[str, Any]]]] = (
            OrderedDict()
        )
        self._flights: dict[str, threading.Lock] = {}

    @property
    def schema(self) -> GraphQLSchema:
        return github_schema()

    def _document(self, query: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        """The parsed document and its validation errors, analysed once per query text.

        Single flight: when 20 threads send the same new 55 kB query at once,
        one parses and validates it (~0.3 s of CPU under one GIL) while the
        others wait for its result, instead of all 20 doing the same work.
        """
        cached = self._cached_document(query)
        if cached is not None:
            return cached
        with self._cache_lock:
            flight = self._flights.setdefault(query, threading.Lock())
        try:
            with flight:
                cached = self._cached_document(query)
                if cached is not None:
                    return cached
                entry = self._analysed_document(query)
                with self._cache_lock:
                    self._documents[query] = entry
                    while len(self._documents) > DOCUMENT_CACHE_SIZE:
                        self._documents.popitem(last=False)
                return entry
        finally:
            with self._cache_lock:
                self._flights.pop(query, None)

    def _cached_document(
        self, query: str
    ) -> tuple[DocumentNode | None, list[dict[str, Any]]] | None:
        with self._cache_lock:
            cached = self._documents.get(query)
            if cached is not None:
                self._documents.move_to_end(query)
            return cached

    def _analysed_document(self, query: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        try:
            document = parse(query)
        except GraphQLError as error:
            return None, [github_validation_error(error)]
        errors = validate(self.schema, document)
        return document, [github_validation_error(e) for e in errors]

    def analyse(
        self, query: str, variables: dict[str, Any], operation_name: str | None = None
    ) -> Analysis:
        """Parse, validate (cached), then check limits and compute the cost."""
        document, errors = self._document(query)
        if errors or document is None:
            return Analysis(query, errors=errors)
        operation = select_operation(document, operation_name)
        if operation is None:
            message = (
                f"No operation named '{operation_name}'"
                if operation_name
                else "An operation name is required when the document has several operations"
            )
            return Analysis(query, errors=[{"message": message}])
        root = self.schema.get_root_type(operation.operation)
        if not isinstance(root, GraphQLObjectType):
            return Analysis(query, errors=[{"message": "Unsupported operation type"}])
        measure = QueryMeasure(self.schema, document, operation, variables)
        try:
            measure.walk(operation.selection_set, root, 1)
        except LimitError as limit:
            return Analysis(query, errors=[limit.formatted()])
        if operation.operation != ast.OperationType.QUERY:
            message = "The fake GitHub answers queries only, not mutations or subscriptions"
            return Analysis(query, errors=[{"type": NOT_IMPLEMENTED, "message": message}])
        return Analysis(
            query,
            cost=measure.cost,
            nodes=measure.nodes,
            document=document,
            operation_name=operation_name,
        )

    def execute(
        self,
        analysis: Analysis,
        variables: dict[str, Any],
        operation_name: str | None,
        rate_limit: RateLimitInfo,
        *,
        permissions: frozenset[str] | None = None,
        hidden: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """Run an analysed query; GitHub's answer body (``data`` and maybe ``errors``).

        ``permissions``: the App's granted permission keys (None: all); a field
        :data:`FIELD_PERMISSIONS` gates answers ``FORBIDDEN`` and null without it.
        ``hidden``: repository names (lower case) answered ``NOT_FOUND``.
        """
        assert analysis.document is not None
        context = Context(
            self.org,
            self.rest,
            {
                "cost": rate_limit.cost,
                "limit": rate_limit.limit,
                "remaining": rate_limit.remaining,
                "used": rate_limit.used,
                "resetAt": rate_limit.reset_at,
                "nodeCount": rate_limit.node_count,
            },
            permissions=permissions,
            hidden=hidden,
        )
        result = execute_sync(
            self.schema,
            analysis.document,
            root_value=QueryRoot(context),
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=resolve_field,
            type_resolver=resolve_type,
        )
        return self._answer(result)

    @staticmethod
    def _answer(result: ExecutionResult) -> dict[str, Any]:
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [format_execution_error(e) for e in result.errors]
        return payload
