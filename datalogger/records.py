"""The one module that builds dataset records from facts and the policy's judgement.

A repository record is, in the schema's field order: ``name``, ``type``,
``url``, ``created_at``, ``checklist`` (14 booleans; an unknown check stays
``true``: fail-closed), ``unknown`` (check -> why), ``exceptions`` (check ->
active exception; ``{}`` until exceptions are configured) and ``failing``
(sorted checks that are ``true`` and not excepted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from collectors.facts import PeopleFacts, RepoFacts
from policy.checks import failing, judge


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
    repositories: Iterable[RepoFacts], people: PeopleFacts, inactivity_years: int, now: datetime
) -> list[dict[str, Any]]:
    """Every repository's record, sorted by name."""
    records = [repository_record(item, people, inactivity_years, now) for item in repositories]
    return sorted(records, key=lambda record: str(record["name"]))
