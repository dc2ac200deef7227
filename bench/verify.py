"""Compare the datasets a run wrote with the ones the generator expects.

Every difference is reported per repository and check (or per alert), with
the generator's notes on how that repository was built, so that a mismatch
points straight at the collector rule or the fake answer to look at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.generate import (
    CHECKS,
    DEPENDABOT_FIELDS,
    REPOSITORY_FIELDS,
    SECRET_SCANNING_FIELDS,
    RepoPlan,
)
from bench.runner import COLLECTIONS
from datalogger import registry

_FIELD_ORDER = {
    "repositories": REPOSITORY_FIELDS,
    "dependabot": DEPENDABOT_FIELDS,
    "secret_scanning": SECRET_SCANNING_FIELDS,
}
_ALERT_SORT = {
    name: registry.REGISTRY[name].sort_fields for name in ("dependabot", "secret_scanning")
}


@dataclass
class Comparison:
    """Mismatches found, and counts by kind (``repositories.json unsigned_commits``...)."""

    mismatches: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def exact(self) -> bool:
        return not self.mismatches

    def add(self, kind: str, message: str) -> None:
        self.kinds[kind] += 1
        self.mismatches.append(message)


def compare(
    expected: Mapping[str, list[dict[str, Any]]],
    actual: Mapping[str, list[dict[str, Any]] | None],
    plans: Mapping[str, RepoPlan],
    datasets: Sequence[str] = COLLECTIONS,
) -> Comparison:
    """Every difference between the expected and the written ``datasets``."""
    result = Comparison()
    for dataset in datasets:
        records = actual.get(dataset)
        if records is None:
            result.add(f"{dataset}.json missing", f"{dataset}.json: not written")
            continue
        _check_shape(dataset, records, result)
        if dataset == "repositories":
            _compare_repositories(expected[dataset], records, plans, result)
        else:
            _compare_alerts(dataset, expected[dataset], records, result)
    return result


def _check_shape(dataset: str, records: Sequence[dict[str, Any]], result: Comparison) -> None:
    """Field order of every record, and the documented sort order of the list."""
    order = _FIELD_ORDER[dataset]
    for record in records:
        if tuple(record) != order:
            result.add(
                f"{dataset}.json field order",
                f"{dataset}.json: fields {list(record)} instead of {list(order)}",
            )
            break
        if dataset == "repositories" and tuple(record.get("checklist", {})) != CHECKS:
            result.add(
                f"{dataset}.json checklist order",
                f"{dataset}.json: checklist keys {list(record['checklist'])} not in schema order",
            )
            break
    keys = [_sort_key(dataset, record) for record in records]
    if keys != sorted(keys):
        result.add(f"{dataset}.json sort order", f"{dataset}.json: records are not sorted")


def _sort_key(dataset: str, record: Mapping[str, Any]) -> tuple[str, ...]:
    if dataset == "repositories":
        return (str(record.get("name")),)
    return tuple(str(record.get(key)) for key in _ALERT_SORT[dataset])


def _compare_repositories(
    expected: Sequence[dict[str, Any]],
    actual: Sequence[dict[str, Any]],
    plans: Mapping[str, RepoPlan],
    result: Comparison,
) -> None:
    wanted = {record["name"]: record for record in expected}
    got = {str(record.get("name")): record for record in actual}
    if len(got) != len(actual):
        result.add("repositories.json duplicate", "repositories.json: duplicate names")
    for name in sorted(wanted.keys() - got.keys()):
        result.add("repositories.json missing repository", f"repositories.json: {name}: missing")
    for name in sorted(got.keys() - wanted.keys()):
        result.add("repositories.json extra repository", f"repositories.json: {name}: not expected")
    for name in sorted(wanted.keys() & got.keys()):
        _compare_repository(wanted[name], got[name], plans.get(name), result)


def _compare_repository(
    wanted: Mapping[str, Any],
    got: Mapping[str, Any],
    plan: RepoPlan | None,
    result: Comparison,
) -> None:
    name = wanted["name"]
    for key in ("type", "url", "created_at"):
        if got.get(key) != wanted[key]:
            result.add(
                f"repositories.json {key}",
                f"repositories.json: {name}: {key} expected {wanted[key]!r}, got {got.get(key)!r}",
            )
    checklist = got.get("checklist")
    if not isinstance(checklist, Mapping):
        result.add("repositories.json checklist", f"repositories.json: {name}: no checklist")
        return
    notes = "; ".join(plan.variants) if plan else "no plan"
    if got.get("failing") != sorted(c for c in CHECKS if checklist.get(c)):
        result.add(
            "repositories.json failing",
            f"repositories.json: {name}: failing {got.get('failing')} is not the true checks",
        )
    for check in CHECKS:
        if checklist.get(check) != wanted["checklist"][check]:
            result.add(
                f"repositories.json {check}",
                f"repositories.json: {name}: {check} expected "
                f"{wanted['checklist'][check]}, got {checklist.get(check)} [{notes}]",
            )


def _compare_alerts(
    dataset: str,
    expected: Sequence[dict[str, Any]],
    actual: Sequence[dict[str, Any]],
    result: Comparison,
) -> None:
    wanted = {record["alert_url"]: record for record in expected}
    got = {str(record.get("alert_url")): record for record in actual}
    if len(got) != len(actual):
        result.add(f"{dataset}.json duplicate", f"{dataset}.json: duplicate alert_url values")
    for url in sorted(wanted.keys() - got.keys()):
        record = wanted[url]
        date = record.get("created_at", record.get("creation_date"))
        result.add(f"{dataset}.json missing alert", f"{dataset}.json: {url}: missing ({date})")
    for url in sorted(got.keys() - wanted.keys()):
        result.add(f"{dataset}.json extra alert", f"{dataset}.json: {url}: not expected")
    for url in sorted(wanted.keys() & got.keys()):
        for key, value in wanted[url].items():
            if got[url].get(key) != value:
                result.add(
                    f"{dataset}.json {key}",
                    f"{dataset}.json: {url}: {key} expected {value!r}, got {got[url].get(key)!r}",
                )
        if "secret" in got[url]:
            result.add(f"{dataset}.json secret", f"{dataset}.json: {url}: contains the secret")
