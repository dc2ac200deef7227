"""GitHub's REST description, and the checks the fake makes with it.

``rest_description.json`` is the part of GitHub's published OpenAPI document
(npm ``@octokit/openapi``, ``generated/api.github.com.json``; version and date
under ``info.x-vendored``) that covers the operations the fake serves; see
``update_rest_description.py`` to regenerate it.

:class:`RestContract` is the fake's hook:

- :meth:`RestContract.check_request`: the method and path are a documented
  operation (or one of GitHub's id-based aliases that its ``Link`` headers use,
  :data:`ALIASES`); every query parameter is documented for it, appears once and
  has a valid type, enum, minimum and maximum (``per_page`` says "(max 100)" in
  its description, which is read as ``maximum: 100``); a JSON body matches the
  request body schema. A bad value answers 422 or 400 when the operation
  documents one (an unknown parameter is ignored, as GitHub does).
- :meth:`RestContract.check_response`: the answer matches the operation's
  response schema for its status, every object closed (a field the
  description does not name is an error) and ``date-time`` / ``uri`` formats
  checked. An undocumented error status must still be GitHub's basic error.
  In sparse mode (:mod:`tests.fake_github.sparse`) the answer is first thinned
  to what the description guarantees.

Every breach is *recorded* as a :class:`Violation` (``contract.violations``), and
``tests/conftest.py`` fails the test during which one was recorded unless the
test took it with :meth:`RestContract.take`. Validators are compiled once per
process and operation (:func:`description`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema

from tests.fake_github.http_types import FakeRequest, FakeResponse, error_response

DESCRIPTION_FILE = Path(__file__).with_name("rest_description.json")

# Undocumented id-based paths of documented operations: GitHub's own Link headers
# use them (``/organizations/{id}/repos?page=2``), so a client following the
# header must be able to call them.
ALIASES: dict[str, str] = {
    "/organizations/{org}/repos": "/orgs/{org}/repos",
    "/organizations/{org}/members": "/orgs/{org}/members",
    "/repositories/{repository_id}/branches": "/repos/{owner}/{repo}/branches",
}

# Known errors of the description, corrected at load time (the vendored file stays
# verbatim): (JSON path, keyword, replacement keyword). "List installations for the
# authenticated app" gives ``account`` as ``allOf`` [Simple User, Enterprise], which
# no answer can satisfy; the same field of the ``installation`` schema (one
# installation) is ``anyOf`` the two, which is what GitHub sends.
ERRATA: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        (
            "paths",
            "/app/installations",
            "get",
            "responses",
            "200",
            "content",
            "application/json",
            "schema",
            "items",
            "properties",
            "account",
        ),
        "allOf",
        "anyOf",
    ),
)

# Keywords of OpenAPI 3.0 schemas that validate nothing.
_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "readOnly",
        "writeOnly",
        "deprecated",
        "externalDocs",
        "xml",
        "discriminator",
        "nullable",
        "default",
    }
)
_VALID_ITEMS_MAX = 200_000
_MAX_IN_TEXT = re.compile(r"\(max (\d+)\)")
_INTEGER = re.compile(r"-?\d+")
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")

# Error bodies stay open: GitHub adds fields its description does not name
# (``status`` on every error since 2024), and the fake mirrors that.
OPEN_SCHEMAS = frozenset(
    {"basic-error", "validation-error", "validation-error-simple", "scim-error"}
)

FORMATS = jsonschema.FormatChecker(formats=())


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or re.match(r"[a-z][a-z0-9+.-]*://\S+$", value) is not None


FORMATS.checkers["date-time"] = (_is_date_time, ValueError)
FORMATS.checkers["uri"] = (_is_uri, ())


class Violation(NamedTuple):
    """One way a request or an answer broke the description."""

    kind: str  # "operation", "parameter", "body" or "response"
    method: str
    target: str  # path and query string as sent
    message: str

    def __str__(self) -> str:
        return f"{self.method} {self.target}: {self.message}"


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "path" or "query"
    required: bool
    schema: dict[str, Any]
    maximum: int | None
    # ``x-multi-segment``: a path parameter that may contain "/" (a file's path).
    multi_segment: bool = False

    def problem(self, raw: str) -> str | None:
        """Why ``raw`` is not a valid value, or None."""
        return _value_problem(self.schema, raw, self.maximum)


def _value_problem(schema: dict[str, Any], raw: str, maximum: int | None) -> str | None:
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        problems = [_value_problem(branch, raw, maximum) for branch in branches]
        return None if None in problems else problems[0]
    kind = schema.get("type", "string")
    if kind == "integer":
        if not _INTEGER.fullmatch(raw):
            return f"{raw!r} is not an integer"
        number = int(raw)
        top = schema.get("maximum", maximum)
        if top is not None and number > top:
            return f"{number} is above the maximum {top}"
        bottom = schema.get("minimum")
        if bottom is not None and number < bottom:
            return f"{number} is below the minimum {bottom}"
    elif kind == "boolean" and raw not in ("true", "false"):
        return f"{raw!r} is not a boolean (true or false)"
    elif kind == "array":
        items = schema.get("items", {})
        for item in raw.split(","):
            problem = _value_problem(items, item, maximum)
            if problem is not None:
                return problem
    if "enum" in schema and raw not in schema["enum"]:
        return f"{raw!r} is not one of {schema['enum']}"
    if schema.get("format") == "date-time" and not _DATE_TIME.fullmatch(raw):
        return f"{raw!r} is not an ISO 8601 date-time"
    return None


@dataclass
class Operation:
    method: str  # upper case
    template: str
    operation_id: str
    parameters: dict[tuple[str, str], Parameter]
    responses: dict[str, Any]
    request_body: dict[str, Any] | None
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        multi = {name for (where, name), p in self.parameters.items() if p.multi_segment}
        self.pattern = _template_pattern(self.template, multi)

    @property
    def error_statuses(self) -> set[int]:
        return {int(status) for status in self.responses if status.isdigit()}


def _correct(document: dict[str, Any]) -> None:
    """Apply :data:`ERRATA` (a path that is no longer there is left alone)."""
    for path, wrong, right in ERRATA:
        node: Any = document
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and wrong in node:
            node[right] = node.pop(wrong)


def _template_pattern(template: str, multi_segment: set[str] | None = None) -> re.Pattern[str]:
    """A path template as a regex; a parameter in ``multi_segment`` may span "/"."""
    parts = re.split(r"(\{[^}]+\})", template)

    def piece(part: str) -> str:
        if not part.startswith("{"):
            return re.escape(part)
        name = part[1:-1]
        return f"(?P<{name}>.+)" if name in (multi_segment or set()) else f"(?P<{name}>[^/]+)"

    return re.compile(f"^{''.join(piece(part) for part in parts)}$")


class Description:
    """The vendored description: operations by method and path, compiled validators."""

    def __init__(self, document: dict[str, Any]) -> None:
        _correct(document)
        self.document = document
        self.components: dict[str, dict[str, Any]] = document["components"]
        self.vendored: dict[str, Any] = document["info"].get("x-vendored", {})
        self.operations: list[Operation] = []
        for template, item in document["paths"].items():
            for method, operation in item.items():
                self.operations.append(self._operation(method, template, operation))
        by_template = {(op.method, op.template): op for op in self.operations}
        self.aliases: list[Operation] = []
        for alias, template in ALIASES.items():
            for (method, documented), op in by_template.items():
                if documented == template:
                    self.aliases.append(
                        Operation(
                            method,
                            alias,
                            op.operation_id,
                            {k: p for k, p in op.parameters.items() if k[0] == "query"},
                            op.responses,
                            op.request_body,
                        )
                    )
        self.defs = {
            name: to_json_schema(schema, close=name not in OPEN_SCHEMAS)
            for name, schema in self.schemas().items()
        }
        self._lock = threading.Lock()
        self._validators: dict[tuple[str, str, str], jsonschema.protocols.Validator | None] = {}
        self._valid_items: set[tuple[str, int, bytes]] = set()

    # -- lookups -------------------------------------------------------

    def schemas(self) -> dict[str, Any]:
        return self.components.get("schemas", {})

    def resolve(self, node: Any) -> Any:
        """``node`` with its ``$ref`` (to any component) followed."""
        while isinstance(node, dict) and "$ref" in node:
            _, kind, name = node["$ref"].rsplit("/", 2)
            node = self.components[kind][name]
        return node

    def _operation(self, method: str, template: str, operation: dict[str, Any]) -> Operation:
        parameters: dict[tuple[str, str], Parameter] = {}
        for raw in operation.get("parameters", []):
            spec = self.resolve(raw)
            text = spec.get("description", "")
            found = _MAX_IN_TEXT.search(text)
            parameters[(spec["in"], spec["name"])] = Parameter(
                name=spec["name"],
                location=spec["in"],
                required=bool(spec.get("required")),
                schema=self.resolve(spec.get("schema", {})),
                maximum=int(found.group(1)) if found else None,
                multi_segment=bool(spec.get("x-multi-segment")),
            )
        body = self.resolve(operation.get("requestBody")) if "requestBody" in operation else None
        responses = {status: self.resolve(r) for status, r in operation["responses"].items()}
        return Operation(
            method.upper(), template, operation["operationId"], parameters, responses, body
        )

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation (documented first, then an alias) and its path parameters."""
        for op in (*self.operations, *self.aliases):
            if op.method != method:
                continue
            found = op.pattern.match(path)
            if found:
                return op, found.groupdict()
        return None

    # -- validators ----------------------------------------------------

    def validator(
        self, op: Operation, status: int
    ) -> tuple[bool, jsonschema.protocols.Validator | None]:
        """(documented?, validator of the JSON body or None when no body is documented)."""
        key = (op.method, op.template, str(status))
        documented = str(status) in op.responses or "default" in op.responses
        with self._lock:
            if key in self._validators:
                return documented, self._validators[key]
        response = op.responses.get(str(status)) or op.responses.get("default")
        if response is None and status >= 400:
            schema: dict[str, Any] | None = {"$ref": "#/components/schemas/basic-error"}
        elif response is None:
            schema = None
        else:
            schema = response.get("content", {}).get("application/json", {}).get("schema")
        compiled = None if schema is None else self.compile(schema)
        with self._lock:
            self._validators[key] = compiled
        return documented, compiled

    def body_errors(self, op: Operation, status: int, payload: Any) -> list[str]:
        """Where an answer's JSON body breaks its schema (bodies and items seen valid skipped).

        Validation costs 1-3 ms an object; the same repository or alert is served
        again and again (pages, runs, tests), so each list item is checked once per
        process: a valid item's canonical JSON is remembered (a bounded set).
        """
        _, validator = self.validator(op, status)
        if validator is None:
            return []
        items = self._item_validator(op, status) if isinstance(payload, list) else None
        if items is None:  # one object: remembered whole when valid
            items, payload = validator, [payload]
            at: Callable[[int], str] = lambda index: ""  # noqa: E731
        else:
            at = str
        found: list[str] = []
        for index, item in enumerate(payload):
            text = json.dumps(item, sort_keys=True, separators=(",", ":"))
            key = (op.operation_id, status, hashlib.blake2b(text.encode(), digest_size=16).digest())
            if key in self._valid_items:
                continue
            errors = list(_errors(items, item, at(index)))
            if errors:
                found.extend(errors)
                continue
            with self._lock:
                if len(self._valid_items) >= _VALID_ITEMS_MAX:
                    self._valid_items.clear()
                self._valid_items.add(key)
        return found

    def _item_validator(self, op: Operation, status: int) -> jsonschema.protocols.Validator | None:
        key = (op.method, op.template, f"{status} items")
        with self._lock:
            if key in self._validators:
                return self._validators[key]
        response = op.responses.get(str(status)) or {}
        schema = response.get("content", {}).get("application/json", {}).get("schema") or {}
        schema = self.resolve(schema)
        compiled = None
        if schema.get("type") == "array" and "items" in schema:
            compiled = self.compile(schema["items"])
        with self._lock:
            self._validators[key] = compiled
        return compiled

    def request_body_validator(self, op: Operation) -> jsonschema.protocols.Validator | None:
        if op.request_body is None:
            return None
        schema = op.request_body.get("content", {}).get("application/json", {}).get("schema")
        return None if schema is None else self.compile(schema)

    def compile(self, schema: dict[str, Any]) -> jsonschema.protocols.Validator:
        root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": self.defs}
        root.update(to_json_schema(schema))
        return jsonschema.Draft202012Validator(root, format_checker=FORMATS)


@cache
def description(path: Path = DESCRIPTION_FILE) -> Description:
    """The vendored description, loaded and indexed once per process."""
    return Description(json.loads(path.read_text(encoding="utf-8")))


def to_json_schema(schema: Any, close: bool = True) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema 2020-12, every object closed.

    ``nullable`` becomes a ``null`` type, ``$ref`` points into ``$defs``, ``allOf``
    of objects is merged (so that the merged object can be closed) and an object
    with ``properties`` but no ``additionalProperties`` admits no other field:
    a fake that invents a field fails. Annotations are dropped.
    """
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        converted: dict[str, Any] = {"$ref": "#/$defs/" + schema["$ref"].rsplit("/", 1)[1]}
    elif "allOf" in schema and all("$ref" not in part for part in schema["allOf"]):
        converted = to_json_schema(_merge_all_of(schema), close)
    else:
        converted = {}
        for key, value in schema.items():
            if key in _ANNOTATIONS or key.startswith("x-"):
                continue
            if key == "properties":
                converted[key] = {name: to_json_schema(sub, close) for name, sub in value.items()}
            elif key in ("items", "additionalProperties", "not"):
                converted[key] = to_json_schema(value, close)
            elif key in ("oneOf", "anyOf", "allOf"):
                converted[key] = [to_json_schema(sub, close) for sub in value]
            else:
                converted[key] = value
        if close and "properties" in schema and "additionalProperties" not in schema:
            converted["additionalProperties"] = False
    if schema.get("nullable"):
        if "type" in converted and "$ref" not in converted:
            converted["type"] = [converted["type"], "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in schema["allOf"]:
        merged["properties"].update(part.get("properties", {}))
        merged["required"].extend(part.get("required", []))
    merged["required"] = sorted(set(merged["required"]))
    return merged


def _errors(validator: jsonschema.protocols.Validator, value: Any, at: str = "") -> Iterator[str]:
    for error in validator.iter_errors(value):
        where = "/".join(
            [at, *(str(part) for part in error.absolute_path)]
            if at
            else [str(part) for part in error.absolute_path]
        )
        yield f"{where or '(root)'}: {error.message[:300]}"


class RestContract:
    """Checks one fake's REST traffic against the description; keeps what it broke."""

    def __init__(self, sparse: str | None = None, spec: Description | None = None) -> None:
        from tests.fake_github import sparse as sparse_module  # noqa: PLC0415 - no cycle at import

        if sparse is not None and sparse not in sparse_module.MODES:
            raise ValueError(f"sparse must be one of {sparse_module.MODES} or None, not {sparse!r}")
        self.sparse = sparse
        # Thin only these operations (operationIds, e.g. "repos/list-for-org"); None: all.
        self.sparse_operations: set[str] | None = None
        self.spec = spec if spec is not None else description()
        self._thin = sparse_module.thin
        self._lock = threading.Lock()
        self._violations: list[Violation] = []

    # -- what went wrong -----------------------------------------------

    @property
    def violations(self) -> list[Violation]:
        with self._lock:
            return list(self._violations)

    def take(self) -> list[Violation]:
        """Every violation so far, forgotten here (a test that plants them asserts on these)."""
        with self._lock:
            taken, self._violations = self._violations, []
        with _PENDING_LOCK:
            _PENDING.discard(self)
        return taken

    def record(self, kind: str, request: FakeRequest, message: str) -> None:
        with self._lock:
            self._violations.append(Violation(kind, request.method, request.target, message))
        with _PENDING_LOCK:
            _PENDING.add(self)

    # -- the hooks -----------------------------------------------------

    def unknown_operation(self, request: FakeRequest) -> None:
        """A request for a path or method the fake does not serve (it answers 404)."""
        if self.spec.match(request.method, request.path) is None:
            message = "no such operation in GitHub's REST description"
        else:
            message = "a documented operation the fake does not serve"
        self.record("operation", request, message)

    def check_request(self, request: FakeRequest) -> FakeResponse | None:
        """Record what breaks the description; the 422/400 GitHub would answer, or None."""
        matched = self.spec.match(request.method, request.path)
        if matched is None:
            self.record("operation", request, "no such operation in GitHub's REST description")
            return None
        op, path_params = matched
        problems: list[str] = []
        for name, value in path_params.items():
            parameter = op.parameters.get(("path", name))
            problem = parameter.problem(value) if parameter else None
            if problem:
                problems.append(f"path parameter {name}: {problem}")
        seen: set[str] = set()
        for name, value in request.query:
            parameter = op.parameters.get(("query", name))
            if parameter is None:
                self.record("parameter", request, f"{op.operation_id} takes no {name!r} parameter")
                continue
            if name in seen:
                problems.append(f"{name!r} given more than once")
            seen.add(name)
            problem = parameter.problem(value)
            if problem:
                problems.append(f"{name}: {problem}")
        for (location, name), parameter in op.parameters.items():
            if location == "query" and parameter.required and name not in seen:
                problems.append(f"required parameter {name!r} missing")
        problems.extend(self._body_problems(op, request))
        for problem in problems:
            self.record("parameter", request, f"{op.operation_id}: {problem}")
        if not problems:
            return None
        return _rejection(op, problems[0])

    def _body_problems(self, op: Operation, request: FakeRequest) -> list[str]:
        if not request.body:
            return []
        validator = self.spec.request_body_validator(op)
        if validator is None:
            return [f"{op.operation_id} documents no request body"]
        try:
            body = json.loads(request.body)
        except ValueError:
            return ["the request body is not JSON"]
        return [f"body {error}" for error in _errors(validator, body)]

    def check_response(self, request: FakeRequest, response: FakeResponse) -> FakeResponse:
        """Thin the answer in sparse mode, then record where it breaks its schema."""
        matched = self.spec.match(request.method, request.path)
        if matched is None:
            return response
        op = matched[0]
        documented, validator = self.spec.validator(op, response.status)
        if not documented and response.status < 400:
            documented_statuses = sorted(op.responses)
            self.record(
                "response",
                request,
                f"{op.operation_id} documents no status {response.status} "
                f"(only {', '.join(documented_statuses)})",
            )
            return response
        if response.raw is not None or validator is None:
            return response
        thinned = self.sparse_operations is None or op.operation_id in self.sparse_operations
        if self.sparse is not None and thinned and response.status < 300:
            schema = op.responses[str(response.status)]["content"]["application/json"]["schema"]
            response.payload = self._thin(self.spec, schema, response.payload, self.sparse)
        for error in self.spec.body_errors(op, response.status, response.payload):
            self.record("response", request, f"{op.operation_id} answer {response.status}: {error}")
        return response


def _rejection(op: Operation, problem: str) -> FakeResponse | None:
    """GitHub's answer to a bad parameter: 422, else 400, when the operation documents it."""
    statuses = op.error_statuses
    if 422 in statuses:
        response = error_response(422, "Validation Failed")
        response.payload["errors"] = [problem]
        return response
    if 400 in statuses:
        return error_response(400, f"Bad request: {problem}")
    return None


# Contracts holding violations no test has taken yet (tests/conftest.py reports them).
_PENDING: set[RestContract] = set()
_PENDING_LOCK = threading.Lock()


def pending() -> list[RestContract]:
    """Contracts with violations nobody took (strong references until taken)."""
    with _PENDING_LOCK:
        return list(_PENDING)
