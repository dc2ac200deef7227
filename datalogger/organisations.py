"""Many organisations from one deployment: which to audit, and the roll-up.

Three steps, the same in AWS Step Functions (``serverless.yml``) and in the
local fan-out (``organisations_handler.fan_out``):

1. **list**: ``GET /app/installations`` with the App JWT; accounts of type
   ``Organization`` whose installation is not suspended, intersected with the
   ``orgs`` deployment parameter (``*``: all of them). Gives the items the
   ``Map`` state runs the data logger on: ``{"org", "output_prefix"}``.
2. **run**: the data logger once per item (not here).
3. **roll-up**: ``organisations.json`` at the root, one entry per organisation
   from its ``orgs/<login>/run_summary.json``.

The selection and the roll-up are pure functions over plain values; the
GitHub and storage calls are small and separate.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from datalogger.config import ORG_LOGIN_PATTERN
from datalogger.errors import ConfigError
from datalogger.registry import COLLECTIONS
from github_client import GitHubClient

logger = logging.getLogger(__name__)

ORGANISATIONS_FILE = "organisations.json"
ORGS_PREFIX = "orgs/"
SCHEMA_VERSION = 1
ALL_ORGS = "*"
NOT_INSTALLED = (
    "The GitHub App has no active installation on this organisation (named in the orgs "
    "parameter). Install the App on it, or remove it from orgs."
)


# --------------------------------------------------------------------------- list


@dataclass(frozen=True)
class Installation:
    """One installation of the App, as ``GET /app/installations`` describes it."""

    login: str | None  # account login; None for an enterprise account (it has a slug)
    account_type: str | None  # "Organization", "User"; None when GitHub does not say
    suspended: bool


@dataclass(frozen=True)
class Selection:
    """What the list step found: the organisations to audit and those named but absent."""

    organisations: tuple[str, ...]
    not_installed: tuple[str, ...]

    def as_event(self) -> dict[str, Any]:
        """The list step's output, which the ``Map`` state and the roll-up consume."""
        return {
            "organisations": [map_item(login) for login in self.organisations],
            "not_installed": list(self.not_installed),
        }


def parse_orgs(value: str, where: str = "orgs parameter (GITHUB_ORGS)") -> tuple[str, ...]:
    """``*`` or a comma-separated list of organisation logins, validated.

    Returns ``("*",)`` for every organisation, else the logins in the given
    order without duplicates (GitHub logins compare case-insensitively).
    """
    text = value.strip()
    fix = (
        'Give "*" for every organisation where the App is installed, or logins like "acme,globex".'
    )
    if text == ALL_ORGS:
        return (ALL_ORGS,)
    logins: list[str] = []
    for part in text.split(","):
        login = part.strip()
        if not ORG_LOGIN_PATTERN.fullmatch(login):
            shown = json.dumps(login)
            raise ConfigError(f"Invalid {where}: {shown} is not an organisation login. {fix}")
        if login.lower() not in {known.lower() for known in logins}:
            logins.append(login)
    return tuple(logins)


def select_organisations(installations: Iterable[Installation], wanted: Sequence[str]) -> Selection:
    """Active organisation installations, intersected with ``wanted`` (``("*",)``: all).

    Sorted by login, case-insensitively, in GitHub's spelling of the login.
    """
    active = {
        item.login.lower(): item.login
        for item in installations
        if item.login and item.account_type == "Organization" and not item.suspended
    }
    if tuple(wanted) == (ALL_ORGS,):
        chosen = list(active.values())
        missing: list[str] = []
    else:
        chosen = [active[login.lower()] for login in wanted if login.lower() in active]
        missing = [login for login in wanted if login.lower() not in active]
    return Selection(
        organisations=tuple(sorted(chosen, key=str.lower)),
        not_installed=tuple(sorted(missing, key=str.lower)),
    )


def map_item(login: str) -> dict[str, str]:
    """The event the data logger gets for one organisation."""
    return {"org": login, "output_prefix": prefix_of(login)}


def prefix_of(login: str) -> str:
    return f"{ORGS_PREFIX}{login}/"


def installation_from(item: object) -> Installation:
    """One list item as a fact; fields GitHub may leave out or null become None."""
    data = item if isinstance(item, Mapping) else {}
    account = data.get("account")
    account = account if isinstance(account, Mapping) else {}
    login = account.get("login")
    account_type = account.get("type") or data.get("target_type")
    return Installation(
        login=login if isinstance(login, str) and login else None,
        account_type=account_type if isinstance(account_type, str) else None,
        suspended=data.get("suspended_at") is not None,
    )


def list_installations(client: GitHubClient) -> list[Installation]:
    """Every installation of the App (``GET /app/installations``, paged, App JWT)."""
    items = client.paginate_as_app("/app/installations", {"per_page": 100})
    return [installation_from(item) for item in items]


# --------------------------------------------------------------------------- roll-up


@dataclass(frozen=True)
class OrgRun:
    """What the roll-up knows of one organisation's run.

    ``summary`` is its ``run_summary.json`` (None when absent or older than
    this execution); ``error`` what the run step reported when it failed.
    """

    org: str
    summary: Mapping[str, Any] | None
    error: str | None = None


def rollup(runs: Sequence[OrgRun], not_installed: Sequence[str], now: datetime) -> dict[str, Any]:
    """The ``organisations.json`` document (``schemas/organisations.schema.json``)."""
    entries = [_entry(run) for run in runs]
    entries += [_absent_entry(login, NOT_INSTALLED) for login in not_installed]
    entries.sort(key=lambda entry: (entry["org"].lower(), entry["org"]))
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso_z(now),
        "organisations": entries,
    }


def failed_organisations(document: Mapping[str, Any]) -> list[str]:
    """Organisations whose run did not succeed: the execution fails when there is one."""
    return [entry["org"] for entry in document["organisations"] if entry["status"] != "succeeded"]


def is_fresh(summary: Mapping[str, Any], execution_started_at: datetime | None) -> bool:
    """Whether ``summary`` is from this execution (not last week's copy)."""
    if execution_started_at is None:
        return True
    started = parse_iso(summary.get("started_at"))
    return started is not None and started >= execution_started_at.replace(microsecond=0)


def _entry(run: OrgRun) -> dict[str, Any]:
    summary = run.summary
    if summary is None:
        reason = run.error or "no run_summary.json from this run"
        return _absent_entry(run.org, reason)
    collections = summary.get("collections")
    collections = collections if isinstance(collections, Mapping) else {}
    status = summary.get("status")
    return {
        "org": run.org,
        "status": status if status in ("succeeded", "partial", "failed") else "failed",
        "prefix": prefix_of(run.org),
        "started_at": summary.get("started_at"),
        "records": {name: _records(collections.get(name)) for name in COLLECTIONS},
        # run_summary.json does not count non-compliant repositories (yet): unknown here.
        "non_compliant": _non_compliant(summary),
        "error": _errors(collections) or run.error,
    }


def _absent_entry(login: str, reason: str) -> dict[str, Any]:
    return {
        "org": login,
        "status": "failed",
        "prefix": prefix_of(login),
        "started_at": None,
        "records": dict.fromkeys(COLLECTIONS),
        "non_compliant": None,
        "error": reason,
    }


def _records(collection: object) -> int | None:
    if not isinstance(collection, Mapping) or collection.get("status") != "succeeded":
        return None
    records = collection.get("records")
    return records if isinstance(records, int) and not isinstance(records, bool) else None


def _non_compliant(summary: Mapping[str, Any]) -> int | None:
    """The summary's count of non-compliant repositories, when it has one."""
    collections = summary.get("collections")
    repositories = collections.get("repositories") if isinstance(collections, Mapping) else None
    value = repositories.get("non_compliant") if isinstance(repositories, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _errors(collections: Mapping[str, Any]) -> str | None:
    """``"<collection>: <error>"`` for each failed collection, in the documented order."""
    parts = []
    for name in COLLECTIONS:
        collection = collections.get(name)
        if isinstance(collection, Mapping) and collection.get("status") == "failed":
            parts.append(f"{name}: {collection.get('error') or 'failed'}")
    return "; ".join(parts) or None


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: object) -> datetime | None:
    """A UTC ISO 8601 time (``…Z`` or with an offset), else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
