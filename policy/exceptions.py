"""Exceptions: accepted risk, with an owner and an end date (spec ``findings.md``).

An organisation keeps its exceptions in one TOML file in one of its own
repositories; :mod:`collectors.exceptions_file` reads its text. This module
is pure judgement over that text: no I/O, no clock (``today`` is the run's
UTC date, an argument).

- :func:`parse_exceptions` turns the text into valid entries and invalid ones
  (index and why). A file that is not TOML gives no entry and one warning
  naming the file and the line.
- :func:`active_entries` keeps the valid entries that have not expired: an
  exception is active through its ``expires`` date (UTC).
- :func:`grants_for` is what one repository's record shows (``datalogger.records``
  builds ``failing`` from it); :func:`apply_exceptions` does the same to a whole
  record. The ``checklist`` booleans never change.
- :func:`summary_block` is the run summary's ``exceptions`` object.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from policy.checks import CHECK_NAMES, failing

DEFAULT_MAX_EXCEPTION_DAYS: Final = 366
EXPIRING_SOON_DAYS: Final = 30
ENTRY_KEYS: Final[tuple[str, ...]] = (
    "repositories",
    "checks",
    "reason",
    "approved_by",
    "expires",
)
TABLE: Final = "exception"
_KNOWN_CHECKS: Final = frozenset(CHECK_NAMES)
_AT_LINE: Final = re.compile(r"\(at line \d+, column \d+\)")
_AT_END: Final = re.compile(r"\(at end of document\)")


@dataclass(frozen=True)
class ExceptionEntry:
    """One well-formed ``[[exception]]`` entry of the file."""

    index: int  # 0-based position in the file's ``[[exception]]`` array
    repositories: tuple[str, ...]  # names or fnmatch globs, matched case-insensitively
    checks: tuple[str, ...]  # checklist keys, in the file's order, without repeats
    reason: str
    approved_by: str
    expires: date  # active through this date (UTC)

    def matches(self, repository: str) -> bool:
        """Whether ``repository`` is one of the entry's names or globs (any case)."""
        name = repository.casefold()
        return any(fnmatch.fnmatchcase(name, pattern.casefold()) for pattern in self.repositories)

    def is_active(self, today: date) -> bool:
        return today <= self.expires

    def grant(self) -> dict[str, str]:
        """What a record shows for each check the entry names."""
        return {
            "reason": self.reason,
            "approved_by": self.approved_by,
            "expires": self.expires.isoformat(),
        }


@dataclass(frozen=True)
class InvalidEntry:
    """An entry that is not applied, and why (one sentence)."""

    index: int
    repositories: tuple[str, ...]  # as far as the entry gave them (may be empty)
    why: str


@dataclass(frozen=True)
class ParsedExceptions:
    """The exceptions file read as far as it could be."""

    entries: tuple[ExceptionEntry, ...] = ()  # well-formed, expired or not
    invalid: tuple[InvalidEntry, ...] = ()
    # File-level problems (not TOML, no ``[[exception]]`` array...): nothing applies.
    warnings: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- parsing


def parse_exceptions(
    text: str, source: str, today: date, max_days: int = DEFAULT_MAX_EXCEPTION_DAYS
) -> ParsedExceptions:
    """Every entry of the file ``source`` (``"repo:path"``), judged on ``today``.

    A malformed entry (a key missing or unknown, an unknown check, a bad date,
    or ``expires`` more than ``max_days`` after ``today``) is listed as
    invalid; the others are kept. Nothing here raises on the file's content.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return ParsedExceptions(
            warnings=(
                f"exceptions file {source} is not valid TOML: {_toml_problem(err, text)}; "
                "no exception applies. Fix it in a pull request on that repository.",
            )
        )
    warnings: list[str] = []
    for key in sorted(set(document) - {TABLE}):
        warnings.append(
            f"exceptions file {source}: top-level key '{key}' is not understood and is ignored; "
            "write every exception as an [[exception]] table."
        )
    raw_entries = document.get(TABLE, [])
    if not isinstance(raw_entries, list):
        warnings.append(
            f"exceptions file {source}: '{TABLE}' must be an array of tables "
            "(write [[exception]], with two brackets); no exception applies."
        )
        return ParsedExceptions(warnings=tuple(warnings))
    entries: list[ExceptionEntry] = []
    invalid: list[InvalidEntry] = []
    for index, raw in enumerate(raw_entries):
        judged = parse_entry(index, raw, today, max_days)
        if isinstance(judged, InvalidEntry):
            invalid.append(judged)
        else:
            entries.append(judged)
    return ParsedExceptions(tuple(entries), tuple(invalid), tuple(warnings))


def _toml_problem(err: tomllib.TOMLDecodeError, text: str) -> str:
    """tomllib's message, always with a line: "at end of document" names the last line."""
    message = str(err)
    if _AT_LINE.search(message):
        return message
    last_line = max(len(text.splitlines()), 1)
    return _AT_END.sub(f"(at line {last_line}, the end of the file)", message)


def parse_entry(
    index: int, raw: object, today: date, max_days: int
) -> ExceptionEntry | InvalidEntry:
    """One ``[[exception]]`` table: a valid entry, or why it is not one."""
    if not isinstance(raw, dict):
        return InvalidEntry(index, (), "not a table; write each exception as [[exception]]")
    repositories = _string_list(raw.get("repositories")) or ()

    def invalid(why: str) -> InvalidEntry:
        return InvalidEntry(index, repositories, why)

    missing = [key for key in ENTRY_KEYS if key not in raw]
    if missing:
        return invalid(f"missing key{'s' if len(missing) > 1 else ''} {_quoted(missing)}")
    unknown = sorted(set(raw) - set(ENTRY_KEYS))
    if unknown:
        return invalid(
            f"unknown key{'s' if len(unknown) > 1 else ''} {_quoted(unknown)} "
            f"(the keys are {', '.join(ENTRY_KEYS)})"
        )
    problem = _text_problem(raw, "reason") or _text_problem(raw, "approved_by")
    if problem:
        return invalid(problem)
    if not repositories:
        return invalid("'repositories' must be a non-empty list of names or globs")
    checks = _string_list(raw["checks"])
    if not checks:
        return invalid("'checks' must be a non-empty list of checklist keys")
    unknown_checks = [check for check in checks if check not in _KNOWN_CHECKS]
    if unknown_checks:
        return invalid(
            f"unknown check{'s' if len(unknown_checks) > 1 else ''} {_quoted(unknown_checks)} "
            "(name checklist keys exactly; there is no wildcard)"
        )
    expires = _expiry(raw["expires"], today, max_days)
    if isinstance(expires, str):
        return invalid(expires)
    return ExceptionEntry(
        index=index,
        repositories=repositories,
        checks=tuple(dict.fromkeys(checks)),
        reason=str(raw["reason"]).strip(),
        approved_by=str(raw["approved_by"]).strip(),
        expires=expires,
    )


def _string_list(value: object) -> tuple[str, ...] | None:
    """A non-empty list of non-blank strings as a tuple, else None."""
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(item, str) and item.strip() for item in value):
        return None
    return tuple(item.strip() for item in value)


def _text_problem(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        return f"'{key}' must be a non-empty string"
    return None


def _expiry(value: object, today: date, max_days: int) -> date | str:
    """The ``expires`` date, or why it is not acceptable."""
    if isinstance(value, datetime) or not isinstance(value, date):
        return (
            f"'expires' must be a TOML date such as {today.replace(month=12, day=31)} "
            "(unquoted, no time of day)"
        )
    horizon = today + timedelta(days=max_days)
    if value > horizon:
        return (
            f"'expires' {value.isoformat()} is more than {max_days} days after the run's date "
            f"{today.isoformat()} (settings.max_exception_days); the latest allowed is "
            f"{horizon.isoformat()}"
        )
    return value


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


# --------------------------------------------------------------------------- judgement


def active_entries(parsed: ParsedExceptions, today: date) -> tuple[ExceptionEntry, ...]:
    """The well-formed entries still in force on ``today``."""
    return tuple(entry for entry in parsed.entries if entry.is_active(today))


def grants_for(repository: str, entries: Sequence[ExceptionEntry]) -> dict[str, dict[str, str]]:
    """Check -> grant for every check an active entry matching ``repository`` names.

    When two entries name the same check, the one that expires last applies
    (the file's order breaks a tie). Keys follow the checklist's order.
    """
    chosen: dict[str, ExceptionEntry] = {}
    for entry in entries:
        if not entry.matches(repository):
            continue
        for check in entry.checks:
            current = chosen.get(check)
            if current is None or entry.expires > current.expires:
                chosen[check] = entry
    return {check: chosen[check].grant() for check in CHECK_NAMES if check in chosen}


def apply_exceptions(
    record: Mapping[str, Any], entries: Sequence[ExceptionEntry]
) -> dict[str, Any]:
    """A copy of a repository record with ``exceptions`` and ``failing`` set.

    ``checklist`` and every other field are left as they are.
    """
    grants = grants_for(str(record["name"]), entries)
    updated = dict(record)
    updated["exceptions"] = grants
    updated["failing"] = failing(record["checklist"], grants)
    return updated


def expiring_within(
    entries: Sequence[ExceptionEntry], today: date, days: int = EXPIRING_SOON_DAYS
) -> list[ExceptionEntry]:
    """Active entries whose last day is at most ``days`` after ``today``, soonest first."""
    last = today + timedelta(days=days)
    soon = [entry for entry in entries if entry.is_active(today) and entry.expires <= last]
    return sorted(soon, key=lambda entry: (entry.expires, entry.index))


# --------------------------------------------------------------------------- run summary


def empty_summary(source: str | None = None) -> dict[str, Any]:
    """The block when no exception applies (none configured, or the file unreadable)."""
    return {
        "source": source,
        "active": 0,
        "expired": [],
        "invalid": [],
        "unmatched": [],
        "unused": [],
    }


def summary_block(
    source: str,
    parsed: ParsedExceptions,
    today: date,
    records: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """The run summary's ``exceptions`` object.

    ``records`` are this run's repository records (with their ``checklist``),
    or None when the repositories collection did not succeed: then nothing can
    be said about ``unmatched`` and ``unused``, and both stay empty.
    """
    active = active_entries(parsed, today)
    block = empty_summary(source)
    block["active"] = len(active)
    block["expired"] = [
        {**_named(entry), "expires": entry.expires.isoformat()}
        for entry in parsed.entries
        if not entry.is_active(today)
    ]
    block["invalid"] = [
        {"index": bad.index, "repositories": list(bad.repositories), "why": bad.why}
        for bad in parsed.invalid
    ]
    if records is not None:
        block["unmatched"] = [_named(entry) for entry in active if not _matched(entry, records)]
        block["unused"] = [_named(entry) for entry in active if _is_unused(entry, records)]
    return block


def _named(entry: ExceptionEntry) -> dict[str, Any]:
    return {"index": entry.index, "repositories": list(entry.repositories)}


def _matched(
    entry: ExceptionEntry, records: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    return [record for record in records if entry.matches(str(record["name"]))]


def _is_unused(entry: ExceptionEntry, records: Sequence[Mapping[str, Any]]) -> bool:
    """Matched, and every check it names passes for every repository it matches."""
    matched = _matched(entry, records)
    return bool(matched) and not any(
        record["checklist"].get(check, False) for record in matched for check in entry.checks
    )
