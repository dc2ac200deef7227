"""Sparse answers: only what GitHub's REST description guarantees.

GitHub documents many answer fields the logger reads as optional or nullable
(``visibility``, ``created_at``, ``security_and_analysis`` and its statuses,
every secret scanning alert field). A fake that always sends them lets code
that requires them pass every test. ``FakeGitHub(..., sparse=MODE)`` thins every
successful REST answer, following the operation's response schema:

- ``"omit"``: every optional field is left out, at every depth, and every
  required nullable field is ``null`` (the least GitHub may send);
- ``"null"``: every field stays, and every nullable one is ``null``.

The thinned answer still validates against the schema (the contract checks it
after thinning). GraphQL answers are not affected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fake_github.openapi import Description

OMIT = "omit"
NULL = "null"
MODES = (OMIT, NULL)


def thin(spec: Description, schema: Any, value: Any, mode: str) -> Any:
    """``value`` reduced to what ``schema`` guarantees (see the module docstring)."""
    schema = spec.resolve(schema)
    if value is None or not isinstance(schema, dict):
        return value
    if schema.get("nullable"):
        return None
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for branch in schema["allOf"]:
            part = spec.resolve(branch)
            merged["properties"].update(part.get("properties", {}))
            merged["required"].extend(part.get("required", []))
        return thin(spec, merged, value, mode)
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        return thin(spec, _branch_of(spec, branches, value), value, mode)
    if isinstance(value, list):
        return [thin(spec, schema.get("items", {}), item, mode) for item in value]
    if isinstance(value, dict) and "properties" in schema:
        properties: dict[str, Any] = schema["properties"]
        required = set(schema.get("required", ()))
        return {
            name: thin(spec, properties.get(name, {}), item, mode)
            for name, item in value.items()
            if mode == NULL or name in required
        }
    return value


def _branch_of(spec: Description, branches: list[Any], value: Any) -> Any:
    """The first branch whose required fields ``value`` has (the one it was built from)."""
    for branch in branches:
        resolved = spec.resolve(branch)
        if not isinstance(value, dict):
            return resolved
        if set(resolved.get("required", ())) <= set(value):
            return resolved
    return {}
