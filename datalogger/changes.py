"""``changes.json``: what changed since the previous run (spec ``findings.md``).

Pure builders. The run reads each dataset's latest copy before replacing it
(:meth:`datalogger.writers.Writer.read_latest`) and hands both versions here
as a :class:`Comparison`; nothing in this module reads or writes.

- ``compared``: an earlier copy was read; the lists say what changed.
- ``no_previous``: there was no earlier copy. Everything is new, and the lists
  stay empty rather than listing the whole organisation.
- ``not_collected``: the collection was disabled or failed this run, or its
  earlier copy could not be read: nothing is compared, nothing claimed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from datalogger.summary import iso_utc

SCHEMA_VERSION: Final = 1
CHANGES_FILE: Final = "changes.json"

COMPARED: Final = "compared"
NO_PREVIOUS: Final = "no_previous"
NOT_COLLECTED: Final = "not_collected"

REPOSITORIES: Final = "repositories"
ALERT_DATASETS: Final[tuple[str, ...]] = ("dependabot", "secret_scanning")

Records = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Comparison:
    """One dataset as this run wrote it and as the copy it replaced.

    ``current`` is None when the dataset was not collected (disabled, failed,
    or its earlier copy unreadable); ``previous`` is None when no earlier copy
    existed.
    """

    current: Records | None
    previous: Records | None = None
    previous_written_at: datetime | None = None

    @property
    def status(self) -> str:
        if self.current is None:
            return NOT_COLLECTED
        if self.previous is None:
            return NO_PREVIOUS
        return COMPARED


NOT_COLLECTED_COMPARISON: Final = Comparison(current=None)


def failing_of(record: Mapping[str, Any]) -> frozenset[str]:
    """The record's ``failing`` checks; a copy written before ``failing``
    existed falls back to its ``true`` checklist booleans."""
    failing = record.get("failing")
    if isinstance(failing, list):
        return frozenset(str(check) for check in failing)
    checklist = record.get("checklist")
    if isinstance(checklist, Mapping):
        return frozenset(str(check) for check, broken in checklist.items() if broken is True)
    return frozenset()


def _header(comparison: Comparison) -> dict[str, Any]:
    written = comparison.previous_written_at
    compared = comparison.status == COMPARED
    return {
        "status": comparison.status,
        "previous_written_at": iso_utc(written) if compared and written is not None else None,
    }


def repositories_section(comparison: Comparison) -> dict[str, Any]:
    """Added and removed repositories (by name); newly failing and newly
    passing checks (by ``failing``) of repositories present in both runs."""
    section: dict[str, Any] = {
        **_header(comparison),
        "added": [],
        "removed": [],
        "newly_failing": [],
        "newly_passing": [],
    }
    current, previous = comparison.current, comparison.previous
    if current is None or previous is None:
        return section
    before = {str(record["name"]): failing_of(record) for record in previous}
    now = {str(record["name"]): failing_of(record) for record in current}
    section["added"] = sorted(set(now) - set(before))
    section["removed"] = sorted(set(before) - set(now))
    for name in sorted(set(now) & set(before)):
        worse = sorted(now[name] - before[name])
        better = sorted(before[name] - now[name])
        if worse:
            section["newly_failing"].append({"repository": name, "checks": worse})
        if better:
            section["newly_passing"].append({"repository": name, "checks": better})
    return section


def alert_urls(records: Records) -> set[str]:
    return {str(record["alert_url"]) for record in records}


def alerts_section(comparison: Comparison) -> dict[str, Any]:
    """Alerts by ``alert_url``: ``new`` are overdue now and were not listed
    before; ``gone`` were listed before and are not now."""
    section: dict[str, Any] = {**_header(comparison), "new": [], "gone": []}
    if comparison.current is None or comparison.previous is None:
        return section
    now, before = alert_urls(comparison.current), alert_urls(comparison.previous)
    section["new"] = sorted(now - before)
    section["gone"] = sorted(before - now)
    return section


def build_changes(
    org: str, run_started_at: datetime, comparisons: Mapping[str, Comparison]
) -> dict[str, Any]:
    """The ``changes.json`` document; a dataset missing from ``comparisons`` is not collected."""
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "org": org,
        "run_started_at": iso_utc(run_started_at),
        REPOSITORIES: repositories_section(comparisons.get(REPOSITORIES, NOT_COLLECTED_COMPARISON)),
    }
    for name in ALERT_DATASETS:
        document[name] = alerts_section(comparisons.get(name, NOT_COLLECTED_COMPARISON))
    return document
