"""Reading GitHub's JSON defensively: a wrong shape is a named CollectionError, never a KeyError.

``where`` always names the endpoint and, when known, the repository, so the
message tells an operator which answer was wrong.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from collectors.errors import CollectionError, UnexpectedAnswerError


def wrong_shape(where: str, key: str, expected: str, value: object) -> UnexpectedAnswerError:
    """The error for a field that is missing or of the wrong type."""
    found = "missing" if value is _MISSING else f"a {type(value).__name__}"
    return UnexpectedAnswerError(
        f"{where}: GitHub's answer has {found} where '{key}' should be {expected}; "
        "the collection stops rather than guess (retry the run; if it persists, "
        "GitHub's API may have changed)"
    )


_MISSING = object()


def as_object(value: object, where: str, key: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object."""
    if not isinstance(value, Mapping):
        raise wrong_shape(where, key, "an object", value)
    return value


def as_list(value: object, where: str, key: str) -> list[Any]:
    """``value`` if it is a JSON array."""
    if not isinstance(value, list):
        raise wrong_shape(where, key, "an array", value)
    return value


def field_object(obj: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """A required object field."""
    return as_object(obj.get(key, _MISSING), where, key)


def field_object_or_none(obj: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    """An object field that may be null (but must be present)."""
    value = obj.get(key, _MISSING)
    return None if value is None else as_object(value, where, key)


def field_list(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    """A required array field."""
    return as_list(obj.get(key, _MISSING), where, key)


def field_str(obj: Mapping[str, Any], key: str, where: str) -> str:
    """A required string field."""
    value = obj.get(key, _MISSING)
    if not isinstance(value, str):
        raise wrong_shape(where, key, "a string", value)
    return value


def shared(value: str) -> str:
    """``value`` as the one copy that every answer repeating it shares (``sys.intern``).

    The JSON decoder gives each occurrence of a string its own object. Facts kept
    for a whole run hold words GitHub repeats across thousands of answers (the
    names and types of directory entries, branch names, logins, states,
    severities, package names, repository names in alerts): at 20,000
    repositories, about 650,000 directory-entry strings alone. Only such words
    are shared; values unique to one answer (URLs of alerts, timestamps) are not.
    """
    return sys.intern(value)


def field_word(obj: Mapping[str, Any], key: str, where: str) -> str:
    """A required string field whose value many answers repeat (see :func:`shared`)."""
    return shared(field_str(obj, key, where))


def optional_word(obj: Mapping[str, Any] | None, key: str, where: str) -> str | None:
    """An optional string field whose value many answers repeat (see :func:`shared`)."""
    value = optional_str(obj, key, where)
    return None if value is None else shared(value)


def field_str_or_none(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    """A string field that may be null (but must be present)."""
    value = obj.get(key, _MISSING)
    if value is None:
        return None
    if not isinstance(value, str):
        raise wrong_shape(where, key, "a string or null", value)
    return value


def field_bool(obj: Mapping[str, Any], key: str, where: str) -> bool:
    """A required boolean field."""
    value = obj.get(key, _MISSING)
    if not isinstance(value, bool):
        raise wrong_shape(where, key, "a boolean", value)
    return value


def field_int(obj: Mapping[str, Any], key: str, where: str) -> int:
    """A required integer field."""
    value = obj.get(key, _MISSING)
    if not isinstance(value, int) or isinstance(value, bool):
        raise wrong_shape(where, key, "an integer", value)
    return value


def next_cursor(connection: Mapping[str, Any], where: str) -> str | None:
    """The ``endCursor`` of a GraphQL connection's next page, None on the last page."""
    page_info = field_object(connection, "pageInfo", where)
    if not field_bool(page_info, "hasNextPage", where):
        return None
    cursor = field_str_or_none(page_info, "endCursor", where)
    if cursor is None:
        raise CollectionError(f"{where}: hasNextPage is true but endCursor is null")
    return cursor


# --- optional fields: absent or null is None, a wrong type is still an error -------


def optional_object(
    obj: Mapping[str, Any] | None, key: str, where: str
) -> Mapping[str, Any] | None:
    """An object field that GitHub may omit or send as null (None when ``obj`` is None)."""
    value = None if obj is None else obj.get(key)
    return None if value is None else as_object(value, where, key)


def optional_str(obj: Mapping[str, Any] | None, key: str, where: str) -> str | None:
    """A string field GitHub may omit or send as null (optional or nullable in its
    REST description): None then (also when ``obj`` itself is None)."""
    value = None if obj is None else obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise wrong_shape(where, key, "a string or null", value)


def optional_bool(obj: Mapping[str, Any] | None, key: str, where: str) -> bool | None:
    """A boolean field that GitHub may omit or send as null."""
    value = None if obj is None else obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise wrong_shape(where, key, "a boolean or null", value)


def optional_number(obj: Mapping[str, Any] | None, key: str, where: str) -> float | None:
    """A number field that GitHub may omit or send as null."""
    value = None if obj is None else obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong_shape(where, key, "a number or null", value)
    return float(value)


def optional_path(obj: Mapping[str, Any], path: str, where: str) -> Mapping[str, Any] | None:
    """The object at a dotted ``path`` of nested optional objects, or None."""
    node: Mapping[str, Any] | None = obj
    for key in path.split("."):
        node = optional_object(node, key, where)
    return node
