"""What a run keeps of its datasets for changes, trend and digest, and how a previous
copy is read back one record at a time (datalogger.outputs)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from datalogger import changes, trend
from datalogger.outputs import NotRecordsError, json_array_items, retained_records
from datalogger.writers import json_bytes
from policy.checks import CHECK_NAMES

CHECKLIST = dict.fromkeys(CHECK_NAMES, False) | {"description_missing": True, "no_codeowners": True}


def repository(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "PRIVATE",
        "url": f"https://github.com/acme/{name}",
        "created_at": "2024-01-01T00:00:00Z",
        "checklist": CHECKLIST,
        "unknown": {},
        "exceptions": {"no_codeowners": {"approved_by": "a", "expires": "2027-01-01"}},
        "failing": ["description_missing"],
        **extra,
    }


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        " [ ] \n",
        "[1]",
        '[{"a": [1, {"b": null}]}, {"c": "é,]"}]',
        '\n[\n  {"x": "]"} ,\n\t{"y": 2}\n]\n',
        json_bytes([repository("a"), repository("b")]).decode(),
    ],
)
def test_array_items_are_what_json_loads_reads(text: str) -> None:
    assert list(json_array_items(text)) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    ["", "[", "[1,", "[1 2]", "[1,]", "[1] x", "[1][2]", "{not json", "[{truncated", "nul"],
)
def test_text_that_is_not_json_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"Expecting|Extra data|Unterminated"):
        list(json_array_items(text))
    with pytest.raises(ValueError):  # what json.loads says as well
        json.loads(text)


@pytest.mark.parametrize(
    ("text", "kind"), [('{"a": 1}', "dict"), ('"x"', "str"), ("3", "int"), ("null", "NoneType")]
)
def test_json_that_is_not_an_array_is_not_records(text: str, kind: str) -> None:
    with pytest.raises(NotRecordsError, match=f"JSON {kind}, not an array"):
        list(json_array_items(text))


def test_a_repository_keeps_what_the_findings_read() -> None:
    kept = retained_records("repositories", [repository("a")])
    assert kept == [
        {
            "name": "a",
            "failing": ["description_missing"],
            "unknown": {},
            "exceptions": {"no_codeowners": {"approved_by": "a", "expires": "2027-01-01"}},
            "checklist": {"description_missing": True, "no_codeowners": True},
        }
    ]
    # The trend counts the same from the kept records as from the whole ones.
    whole = [repository("a"), repository("b", failing=[], unknown={"x": "why"}, exceptions={})]
    assert trend.repository_counts(retained_records("repositories", whole)) == (
        trend.repository_counts(whole)
    )


def test_a_copy_written_before_failing_existed_falls_back_to_its_checklist() -> None:
    old = repository("a")
    del old["failing"]
    kept = retained_records("repositories", [old])
    assert kept[0]["failing"] == ["description_missing", "no_codeowners"]
    assert kept[0]["failing"] == sorted(changes.failing_of(old))


def test_alerts_keep_their_url_severity_and_repository() -> None:
    alert = {
        "repository": "a",
        "alert_url": "https://github.com/acme/a/security/dependabot/1",
        "severity": "high",
        "summary": "long text the findings never read",
    }
    assert retained_records("dependabot", [alert]) == [
        {"alert_url": alert["alert_url"], "severity": "high", "repository": "a"}
    ]
    assert retained_records("secret_scanning", [alert]) == [
        {"alert_url": alert["alert_url"], "repository": "a"}
    ]


@pytest.mark.parametrize(
    ("name", "items", "message"),
    [
        ("repositories", [repository("a"), 3], "item 1 is not a record with a 'name' string"),
        ("repositories", [{"checklist": {}}], "item 0 is not a record with a 'name' string"),
        ("dependabot", [{"alert_url": None}], "item 0 is not a record with a 'alert_url' string"),
        ("secret_scanning", [["x"]], "item 0 is not a record with a 'alert_url' string"),
    ],
)
def test_items_without_their_key_are_not_records(
    name: str, items: list[object], message: str
) -> None:
    with pytest.raises(NotRecordsError, match=message):
        retained_records(name, items)
