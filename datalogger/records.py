"""The one module that builds dataset records from facts and the policy's judgement.

Pure functions: facts and judgements in, plain dicts out (spec/checks.md),
fields in the schemas' order. Nothing here reads GitHub or the clock. A record
never carries a field it does not name, so nothing GitHub sends beyond those
fields (a secret above all) can reach a dataset.

A repository record is, in the schema's field order: ``name``, ``type``,
``url``, ``created_at``, ``checklist`` (14 booleans; an unknown check stays
``true``: fail-closed), ``unknown`` (check -> why), ``exceptions`` (check ->
active exception; ``{}`` until exceptions are configured) and ``failing``
(sorted checks that are ``true`` and not excepted).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from collectors.alerts import KeptAlert
from collectors.facts import (
    DependabotAlertFacts,
    PeopleFacts,
    RepoFacts,
    SecretScanningAlertFacts,
)
from policy.alerts import Overdue, cvss_score
from policy.checks import failing, judge
from policy.exceptions import ExceptionEntry, grants_for

T = TypeVar("T")


def taken(items: list[T]) -> Iterator[T]:
    """The items of ``items`` in order, each removed from the list as it is handed out.

    Records are built from facts this way: the facts of a repository or an alert
    are freed once its record exists, instead of every fact and every record of a
    large organisation being held at once.
    """
    items.reverse()
    while items:
        yield items.pop()


def repository_record(
    facts: RepoFacts,
    people: PeopleFacts,
    inactivity_years: int,
    now: datetime,
    exceptions: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """One repositories.json entry, fields in the schema's order."""
    judgement = judge(facts, people, inactivity_years, now)
    excepted = dict(exceptions or {})
    if facts.created_at is None:
        raise ValueError(f"repository {facts.name} has no creation time to write")
    return {
        "name": facts.name,
        "type": facts.visibility,
        "url": facts.url,
        "created_at": facts.created_at,
        "checklist": judgement.checklist,
        "unknown": judgement.unknown,
        "exceptions": {name: dict(value) for name, value in excepted.items()},
        "failing": failing(judgement.checklist, excepted),
    }


def repository_records(
    repositories: Iterable[RepoFacts],
    people: PeopleFacts,
    inactivity_years: int,
    now: datetime,
    exceptions: Sequence[ExceptionEntry] = (),
) -> list[dict[str, Any]]:
    """Every repository's record, sorted by name; ``exceptions`` are the active entries
    of the exceptions file (each record gets the ones matching its name)."""
    records = [
        repository_record(item, people, inactivity_years, now, grants_for(item.name, exceptions))
        for item in repositories
    ]
    return sorted(records, key=lambda record: str(record["name"]))


# --- dependabot.json / secret_scanning.json ---------------------------------------


def dependabot_record(alert: KeptAlert[DependabotAlertFacts], overdue: Overdue) -> dict[str, Any]:
    """The dependabot.json entry of an overdue alert."""
    facts, listing = alert.facts, alert.listing
    return {
        "repository": facts.repository,
        "repository_url": facts.repository_url,
        "created_at": facts.created_at,
        "severity": facts.severity,
        "alert_url": facts.html_url,
        "repository_visibility": listing.visibility,
        "repository_archived": listing.archived,
        "number": facts.number,
        "ghsa_id": facts.ghsa_id,
        "cve_id": facts.cve_id,
        "summary": facts.summary,
        "package_ecosystem": facts.package_ecosystem,
        "package_name": facts.package_name,
        "manifest_path": facts.manifest_path,
        "scope": facts.scope,
        "patched_version": facts.patched_version,
        "cvss_score": cvss_score(facts.cvss_v4, facts.cvss_v3, facts.cvss),
        "epss_percentage": facts.epss_percentage,
        "age_days": overdue.age_days,
        "days_overdue": overdue.days_overdue,
    }


def secret_scanning_record(
    alert: KeptAlert[SecretScanningAlertFacts], overdue: Overdue
) -> dict[str, Any]:
    """The secret_scanning.json entry of an overdue alert (never the secret)."""
    facts, listing = alert.facts, alert.listing
    return {
        "repository": facts.repository,
        "repository_url": facts.repository_url,
        "creation_date": facts.created_at,
        "alert_url": facts.html_url,
        "repository_visibility": listing.visibility,
        "repository_archived": listing.archived,
        "number": facts.number,
        "secret_type": facts.secret_type,
        "secret_type_display_name": facts.secret_type_display_name,
        "provider": facts.provider,
        "validity": facts.validity,
        "publicly_leaked": facts.publicly_leaked,
        "multi_repo": facts.multi_repo,
        "push_protection_bypassed": facts.push_protection_bypassed,
        "age_days": overdue.age_days,
        "days_overdue": overdue.days_overdue,
    }


def alert_sort_key(record: Mapping[str, Any], created_field: str) -> tuple[str, str, str]:
    """repository, then creation time, then alert URL (interface.md "Outputs")."""
    return (record["repository"], record[created_field], record["alert_url"])
