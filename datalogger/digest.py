"""``digest.md``: the week's page for people, and for the optional e-mail.

Pure text from what the run already built: the trend point and the one it
follows, ``changes.json``, the alert datasets (for severity and repository),
the exceptions expiring soon and the missing permissions. Never a secret:
alerts appear as repository and link only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from datalogger.changes import COMPARED, NO_PREVIOUS
from datalogger.summary import iso_utc
from policy.checks import CHECK_NAMES
from policy.exceptions import ExceptionEntry

DIGEST_FILE: Final = "digest.md"
LIST_LIMIT: Final = 20
DIGEST_SEVERITIES: Final[tuple[str, ...]] = ("critical", "high")
SUBJECT_LIMIT: Final = 100  # SNS: at most 100 printable ASCII characters

Records = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class DigestInput:
    """Everything one digest says; built by the run from its own outputs."""

    org: str
    started_at: datetime
    status: str  # the run's status: succeeded | partial | failed
    point: Mapping[str, Any]  # this run's trend point
    previous_point: Mapping[str, Any] | None  # the newest point before this run's
    changes: Mapping[str, Any]  # the changes.json document
    dependabot: Records | None = None  # this run's dataset (None: not collected)
    secret_scanning: Records | None = None
    expiring: Sequence[ExceptionEntry] = ()
    # Missing permission ("administration:read") -> what it affects.
    missing_permissions: Mapping[str, Sequence[str]] = field(default_factory=dict)


def subject(org: str, started_at: datetime) -> str:
    """The e-mail subject: short, ASCII, one line."""
    text = f"GitHub policy digest: {org}, {started_at.date().isoformat()}"
    return text.encode("ascii", "replace").decode("ascii")[:SUBJECT_LIMIT]


def render(data: DigestInput) -> str:
    """The digest's Markdown text."""
    lines = [
        f"# {subject(data.org, data.started_at)}",
        "",
        f"Run started {iso_utc(data.started_at)}: **{data.status}**.",
        "",
        "## Compliance",
        "",
        *_compliance(data.point, data.previous_point),
        "",
        *_repository_changes(data.changes["repositories"]),
        *_alert_changes(data),
        "## Exceptions expiring within 30 days",
        "",
        *_expiring(data.expiring),
        "",
        "## Missing permissions",
        "",
        *_permissions(data.missing_permissions),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- sections


def _share(point: Mapping[str, Any]) -> float | None:
    total, non_compliant = point.get("repositories"), point.get("non_compliant")
    if not isinstance(total, int) or not isinstance(non_compliant, int) or total == 0:
        return None
    return 100.0 * (total - non_compliant) / total


def _compliance(point: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    total = point.get("repositories")
    if not isinstance(total, int):
        return ["Repositories were not collected this run."]
    compliant = total - int(point.get("non_compliant") or 0)
    share = _share(point)
    line = f"- {compliant} of {total} repositories compliant"
    line += f" ({share:.1f} %)" if share is not None else ""
    before = _share(previous) if previous is not None else None
    if previous is None:
        line += "; the trend has no earlier point to compare with."
    elif before is None or share is None:
        line += f"; the point of {previous['date']} has no share to compare with."
    else:
        delta = round(share - before, 1)
        direction = "up" if delta > 0 else "down"
        movement = "unchanged" if delta == 0 else f"{direction} {abs(delta):.1f} points"
        line += f", {movement} since {previous['date']}."
    lines = [line]
    unknown, excepted = point.get("unknown"), point.get("excepted")
    lines.append(f"- {unknown} with unknown checks, {excepted} with an active exception.")
    worse, better = _check_moves(point, previous)
    lines.append("- Checks that got worse: " + (", ".join(worse) or "none") + ".")
    lines.append("- Checks that improved: " + (", ".join(better) or "none") + ".")
    return lines


def _check_moves(
    point: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> tuple[list[str], list[str]]:
    now = point.get("failing")
    before = previous.get("failing") if previous is not None else None
    if not isinstance(now, Mapping) or not isinstance(before, Mapping):
        return [], []
    worse: list[str] = []
    better: list[str] = []
    for check in CHECK_NAMES:
        old, new = int(before.get(check, 0)), int(now.get(check, 0))
        text = f"`{check}` {old} → {new} ({new - old:+d})"
        if new > old:
            worse.append(text)
        elif new < old:
            better.append(text)
    return worse, better


def _status_note(section: Mapping[str, Any]) -> str | None:
    if section["status"] == COMPARED:
        return None
    if section["status"] == NO_PREVIOUS:
        return "No previous copy: this run is the baseline."
    return "Not compared: not collected this run."


def _limited(items: Sequence[str]) -> list[str]:
    lines = [f"- {item}" for item in items[:LIST_LIMIT]]
    if len(items) > LIST_LIMIT:
        lines.append(f"- … and {len(items) - LIST_LIMIT} more (changes.json lists them all)")
    return lines or ["None."]


def _repository_changes(section: Mapping[str, Any]) -> list[str]:
    failing = [
        f"`{item['repository']}`: {', '.join(item['checks'])}" for item in section["newly_failing"]
    ]
    passing = [
        f"`{item['repository']}`: {', '.join(item['checks'])}" for item in section["newly_passing"]
    ]
    note = _status_note(section)
    lines = [f"## Newly failing repositories ({len(failing)})", ""]
    lines += [note] if note else _limited(failing)
    lines += ["", f"## Fixed since the previous run ({len(passing)})", ""]
    lines += [note] if note else _limited(passing)
    if section["added"] or section["removed"]:
        lines += [
            "",
            f"{len(section['added'])} repositories added, {len(section['removed'])} removed "
            "(changes.json names them).",
        ]
    return [*lines, ""]


def _alert_changes(data: DigestInput) -> list[str]:
    dependabot = data.changes["dependabot"]
    secrets = data.changes["secret_scanning"]
    by_url = {str(alert["alert_url"]): alert for alert in data.dependabot or ()}
    new_dependabot = [
        f"{by_url[url]['severity']}: `{by_url[url]['repository']}` {url}"
        for url in dependabot["new"]
        if url in by_url and by_url[url]["severity"] in DIGEST_SEVERITIES
    ]
    repo_of = {str(alert["alert_url"]): alert["repository"] for alert in data.secret_scanning or ()}
    new_secrets = [f"`{repo_of.get(url, '?')}` {url}" for url in secrets["new"]]
    gone = [f"Dependabot: {url}" for url in dependabot["gone"]]
    gone += [f"secret scanning: {url}" for url in secrets["gone"]]
    lines = ["## New overdue alerts", ""]
    for title, section, items in (
        ("Dependabot, critical and high", dependabot, new_dependabot),
        ("Secret scanning", secrets, new_secrets),
    ):
        lines += [f"### {title} ({len(items)})", ""]
        note = _status_note(section)
        lines += [note] if note else _limited(items)
        lines.append("")
    lines += [f"### No longer overdue ({len(gone)})", ""]
    compared = dependabot["status"] == COMPARED or secrets["status"] == COMPARED
    lines += _limited(gone) if compared else ["Not compared this run."]
    return [*lines, ""]


def _expiring(entries: Sequence[ExceptionEntry]) -> list[str]:
    lines = [
        f"- {', '.join(f'`{name}`' for name in entry.repositories)}: "
        f"{', '.join(entry.checks)}, until {entry.expires.isoformat()} "
        f"(approved by {entry.approved_by}; entry {entry.index})"
        for entry in entries
    ]
    return lines or ["None."]


def _permissions(missing: Mapping[str, Sequence[str]]) -> list[str]:
    lines = []
    for permission in sorted(missing):
        affected = ", ".join(missing[permission]) or "nothing the run reads"
        lines.append(f"- `{permission}`: affects {affected}")
    return lines or ["None."]
