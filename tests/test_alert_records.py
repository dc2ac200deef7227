"""Alert facts from GitHub's JSON, and the records built from them (no I/O).

The JSON below follows the examples of GitHub's REST description of
``GET /orgs/{org}/dependabot/alerts`` and ``GET /orgs/{org}/secret-scanning/alerts``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from collectors.alerts import KeptAlert, dependabot_facts, secret_scanning_facts
from collectors.errors import UnexpectedAnswerError
from collectors.inventory import RepoListing
from datalogger.records import dependabot_record, secret_scanning_record, taken
from policy.alerts import Overdue

WHERE = "GET /orgs/acme/dependabot/alerts"
LISTING = RepoListing(
    name="svc",
    html_url="https://github.com/acme/svc",
    visibility="INTERNAL",
    archived=True,
    created_at="2020-01-01T00:00:00Z",
    pushed_at="2026-11-01T00:00:00Z",
    default_branch="main",
    secret_scanning="enabled",
    push_protection=None,
)
REPOSITORY = {"name": "svc", "html_url": "https://github.com/acme/svc", "private": True}

DEPENDABOT: dict[str, Any] = {
    "number": 2,
    "state": "open",
    "dependency": {
        "package": {"ecosystem": "pip", "name": "django"},
        "manifest_path": "path/to/requirements.txt",
        "scope": "runtime",
        "relationship": "direct",
    },
    "security_advisory": {
        "ghsa_id": "GHSA-rf4j-j272-fj86",
        "cve_id": "CVE-2018-6188",
        "summary": "Django allows remote attackers to obtain sensitive information",
        "severity": "high",
        "cvss": {"vector_string": "CVSS:3.0/AV:N", "score": 7.5},
        "cvss_severities": {
            "cvss_v3": {"vector_string": "CVSS:3.0/AV:N", "score": 7.5},
            "cvss_v4": {"vector_string": "CVSS:4.0/AV:N", "score": 8.7},
        },
        "epss": {"percentage": 0.00045, "percentile": "0.16001e0"},
    },
    "security_vulnerability": {
        "package": {"ecosystem": "pip", "name": "django"},
        "severity": "high",
        "vulnerable_version_range": ">= 2.0.0, < 2.0.2",
        "first_patched_version": {"identifier": "2.0.2"},
    },
    "html_url": "https://github.com/acme/svc/security/dependabot/2",
    "created_at": "2022-06-15T07:43:03Z",
    "repository": REPOSITORY,
}

SECRET: dict[str, Any] = {
    "number": 2,
    "created_at": "2020-11-06T18:48:51Z",
    "html_url": "https://github.com/acme/svc/security/secret-scanning/2",
    "state": "open",
    "secret_type": "adafruit_io_key",
    "secret_type_display_name": "Adafruit IO Key",
    "provider": "Adafruit",
    "provider_slug": "adafruit",
    "secret": "aio_XXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "validity": "active",
    "publicly_leaked": True,
    "multi_repo": False,
    "push_protection_bypassed": True,
    "repository": REPOSITORY,
}

OVERDUE = Overdue(age_days=40, days_overdue=25)


def without(data: dict[str, Any], *paths: str) -> dict[str, Any]:
    """A deep copy of ``data`` with the dotted ``paths`` removed."""
    copied = copy.deepcopy(data)
    for path in paths:
        *parents, last = path.split(".")
        node = copied
        for key in parents:
            node = node[key]
        del node[last]
    return copied


def replaced(data: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    copied = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = copied
    for key in parents:
        node = node[key]
    node[last] = value
    return copied


def test_dependabot_record_field_by_field() -> None:
    facts = dependabot_facts(DEPENDABOT, WHERE)
    assert dependabot_record(KeptAlert(facts, LISTING), OVERDUE) == {
        "repository": "svc",
        "repository_url": "https://github.com/acme/svc",
        "created_at": "2022-06-15T07:43:03Z",
        "severity": "high",
        "alert_url": "https://github.com/acme/svc/security/dependabot/2",
        "repository_visibility": "INTERNAL",
        "repository_archived": True,
        "number": 2,
        "ghsa_id": "GHSA-rf4j-j272-fj86",
        "cve_id": "CVE-2018-6188",
        "summary": "Django allows remote attackers to obtain sensitive information",
        "package_ecosystem": "pip",
        "package_name": "django",
        "manifest_path": "path/to/requirements.txt",
        "scope": "runtime",
        "patched_version": "2.0.2",
        "cvss_score": 8.7,
        "epss_percentage": 0.00045,
        "age_days": 40,
        "days_overdue": 25,
    }


# (the alert JSON, the record fields it changes)
DEPENDABOT_GAPS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        without(DEPENDABOT, "dependency"),
        {"package_ecosystem": None, "package_name": None, "manifest_path": None, "scope": None},
    ),
    (
        without(DEPENDABOT, "dependency.package"),
        {"package_ecosystem": None, "package_name": None},
    ),
    (replaced(DEPENDABOT, "dependency.scope", None), {"scope": None}),
    (without(DEPENDABOT, "dependency.manifest_path"), {"manifest_path": None}),
    (replaced(DEPENDABOT, "security_advisory.cve_id", None), {"cve_id": None}),
    (without(DEPENDABOT, "security_advisory.ghsa_id"), {"ghsa_id": None}),
    (without(DEPENDABOT, "security_advisory.summary"), {"summary": None}),
    (
        replaced(DEPENDABOT, "security_vulnerability.first_patched_version", None),
        {"patched_version": None},
    ),
    (without(DEPENDABOT, "security_vulnerability"), {"patched_version": None}),
    (without(DEPENDABOT, "security_advisory.cvss_severities.cvss_v4"), {"cvss_score": 7.5}),
    (
        replaced(DEPENDABOT, "security_advisory.cvss_severities.cvss_v4.score", None),
        {"cvss_score": 7.5},
    ),
    (replaced(DEPENDABOT, "security_advisory.cvss_severities", None), {"cvss_score": 7.5}),
    (
        without(DEPENDABOT, "security_advisory.cvss_severities", "security_advisory.cvss"),
        {"cvss_score": None},
    ),
    (replaced(DEPENDABOT, "security_advisory.epss", None), {"epss_percentage": None}),
    (without(DEPENDABOT, "security_advisory.epss"), {"epss_percentage": None}),
]


@pytest.mark.parametrize(("alert", "changes"), DEPENDABOT_GAPS)
def test_a_dependabot_field_github_omits_is_null(
    alert: dict[str, Any], changes: dict[str, Any]
) -> None:
    full = dependabot_record(KeptAlert(dependabot_facts(DEPENDABOT, WHERE), LISTING), OVERDUE)
    record = dependabot_record(KeptAlert(dependabot_facts(alert, WHERE), LISTING), OVERDUE)
    assert record == {**full, **changes}


def test_secret_scanning_record_field_by_field_never_the_secret() -> None:
    facts = secret_scanning_facts(SECRET, "GET x")
    record = secret_scanning_record(KeptAlert(facts, LISTING), OVERDUE)
    assert record == {
        "repository": "svc",
        "repository_url": "https://github.com/acme/svc",
        "creation_date": "2020-11-06T18:48:51Z",
        "alert_url": "https://github.com/acme/svc/security/secret-scanning/2",
        "repository_visibility": "INTERNAL",
        "repository_archived": True,
        "number": 2,
        "secret_type": "adafruit_io_key",
        "secret_type_display_name": "Adafruit IO Key",
        "provider": "Adafruit",
        "validity": "active",
        "publicly_leaked": True,
        "multi_repo": False,
        "push_protection_bypassed": True,
        "age_days": 40,
        "days_overdue": 25,
    }
    assert SECRET["secret"] not in repr(facts) + repr(record)


@pytest.mark.parametrize(
    "field",
    [
        "secret_type_display_name",
        "provider",
        "validity",
        "publicly_leaked",
        "multi_repo",
        "push_protection_bypassed",
    ],
)
@pytest.mark.parametrize("how", ["absent", "null"])
def test_a_secret_scanning_field_github_omits_is_null(field: str, how: str) -> None:
    alert = without(SECRET, field) if how == "absent" else replaced(SECRET, field, None)
    record = secret_scanning_record(
        KeptAlert(secret_scanning_facts(alert, "GET x"), LISTING), OVERDUE
    )
    assert record[field] is None
    assert sum(value is None for value in record.values()) == 1


@pytest.mark.parametrize(
    ("alert", "message"),
    [
        (without(DEPENDABOT, "security_advisory"), "'security_advisory'"),
        (replaced(DEPENDABOT, "security_advisory.severity", None), "'severity'"),
        (without(DEPENDABOT, "repository.html_url"), "'html_url'"),
        (replaced(DEPENDABOT, "created_at", 5), "'created_at'"),
        (replaced(DEPENDABOT, "number", "2"), "'number'"),
        (replaced(DEPENDABOT, "security_advisory.epss.percentage", "high"), "'percentage'"),
        (replaced(DEPENDABOT, "dependency.scope", 1), "'scope'"),
        (replaced(DEPENDABOT, "security_advisory.severity", "moderate"), "'moderate' is none"),
    ],
)
def test_a_wrong_dependabot_alert_names_the_alert(alert: dict[str, Any], message: str) -> None:
    with pytest.raises(UnexpectedAnswerError) as caught:
        dependabot_facts(alert, WHERE)
    assert message in str(caught.value) and "dependabot/2" in str(caught.value)


@pytest.mark.parametrize(
    ("alert", "message"),
    [
        (without(SECRET, "secret_type"), "'secret_type'"),
        (replaced(SECRET, "publicly_leaked", "yes"), "'publicly_leaked'"),
        (without(SECRET, "repository"), "'repository'"),
    ],
)
def test_a_wrong_secret_alert_names_the_alert_not_the_secret(
    alert: dict[str, Any], message: str
) -> None:
    with pytest.raises(UnexpectedAnswerError) as caught:
        secret_scanning_facts(alert, "GET x")
    text = str(caught.value)
    assert message in text and "secret-scanning/2" in text
    assert SECRET["secret"] not in text


def test_taken_hands_out_each_item_in_order_and_lets_go_of_it() -> None:
    items = [{"n": 1}, {"n": 2}, {"n": 3}]
    left = []
    for item in taken(items):
        left.append(len(items))  # the list no longer holds what was handed out
        assert item not in items
    assert left == [2, 1, 0]
    assert items == []
    assert list(taken([])) == []


def test_a_shared_word_is_one_object_for_every_answer_that_repeats_it() -> None:
    # Two answers decoded apart: the decoder gives each its own string objects.
    answers = [json.loads(json.dumps(DEPENDABOT)) for _ in range(2)]
    assert answers[0]["state"] is not answers[1]["state"]
    first, second = (dependabot_facts(answer, WHERE) for answer in answers)
    assert first.package_ecosystem is second.package_ecosystem
    assert first.repository is second.repository
    assert first.state is second.state
    assert first.html_url == second.html_url
