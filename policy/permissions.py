"""What each collection needs from the GitHub App, and what a missing permission affects.

Permissions are GitHub's keys in the installation token's ``permissions``
object, with the access level: ``administration:read``. A *required*
permission fails its collection at once (no request GitHub would refuse);
an *optional* one only makes the checks it gates unknown (a warning).
The sources of each gate are in ``tests/fake_github/permissions.py`` and the
permission table in ``docs/permissions.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from collectors import facts

METADATA: Final = "metadata:read"
ADMINISTRATION: Final = "administration:read"
CONTENTS: Final = "contents:read"
PULL_REQUESTS: Final = "pull_requests:read"
MEMBERS: Final = "members:read"
VULNERABILITY_ALERTS: Final = "vulnerability_alerts:read"
SECRET_SCANNING_ALERTS: Final = "secret_scanning_alerts:read"  # noqa: S105 - a permission

# The checks each optional permission of the repositories collection gates.
CHECKS_GATED: Final[Mapping[str, tuple[str, ...]]] = {
    ADMINISTRATION: (
        "dependabot_disabled",
        "push_protection_disabled",
        "secret_scanning_disabled",
        "unprotected_branches",
    ),
    CONTENTS: (
        "codeowners_missing",
        "gitignore_missing",
        "license_missing",
        "pirr_missing",
        "point_of_contact_missing",
        "readme_missing",
        "unsigned_commits",
    ),
    PULL_REQUESTS: ("external_pr",),
    MEMBERS: ("external_pr", "point_of_contact_missing"),
}

# The facts each optional permission gates (not asked without it), and what
# GitHub withholds, in the words of the unknown reason.
FACTS_GATED: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    ADMINISTRATION: (
        (facts.SECRET_SCANNING, "GitHub did not reveal security_and_analysis"),
        (facts.PUSH_PROTECTION, "GitHub did not reveal security_and_analysis"),
        (facts.VULNERABILITY_ALERTS, "GitHub does not show whether Dependabot alerts are on"),
        (facts.BRANCHES, "GitHub does not show branch protection rules"),
    ),
    CONTENTS: (
        (facts.FILES, "GitHub does not show the repository's files"),
        (facts.COMMITS, "GitHub does not show the repository's commits"),
    ),
    PULL_REQUESTS: ((facts.PULL_REQUESTS, "GitHub does not show the open pull requests"),),
    MEMBERS: (
        (facts.MEMBERS, "GitHub does not list the organisation's members"),
        (facts.CONTACTS, "GitHub does not show team maintainers and verified-domain e-mails"),
    ),
}

# What each App permission is called on the App's settings page.
SETTINGS_NAMES: Final[Mapping[str, str]] = {
    METADATA: "Repository → Metadata: read",
    ADMINISTRATION: "Repository → Administration: read",
    CONTENTS: "Repository → Contents: read",
    PULL_REQUESTS: "Repository → Pull requests: read",
    MEMBERS: "Organization → Members: read",
    VULNERABILITY_ALERTS: "Repository → Dependabot alerts: read",
    SECRET_SCANNING_ALERTS: "Repository → Secret scanning alerts: read",
}

_LEVELS: Final = {"read": 1, "write": 2, "admin": 3}


@dataclass(frozen=True)
class Needs:
    """A collection's permissions: required (missing fails it) and optional (unknowns)."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


def is_granted(permission: str, granted: Mapping[str, str]) -> bool:
    """Whether ``granted`` (the token's ``permissions``) covers ``key:level``."""
    key, _, level = permission.partition(":")
    have = _LEVELS.get(str(granted.get(key, "")), 0)
    return have >= _LEVELS.get(level, 1)


def missing_permissions(needed: Iterable[str], granted: Mapping[str, str]) -> list[str]:
    """The sorted permissions of ``needed`` that ``granted`` does not cover."""
    return sorted({p for p in needed if not is_granted(p, granted)})


def needs_sentence(permission: str) -> str:
    """ "the App needs Repository → Administration: read" for ``administration:read``."""
    return f"the App needs {SETTINGS_NAMES.get(permission, permission)}"


def unavailable_facts(missing: Iterable[str]) -> dict[str, str]:
    """Fact name -> the unknown reason, for the facts the missing permissions gate."""
    result: dict[str, str] = {}
    for permission in missing:
        for fact, withheld in FACTS_GATED.get(permission, ()):
            result.setdefault(fact, f"{withheld}; {needs_sentence(permission)}")
    return result


def refused_reason(permission: str) -> str:
    """Why a required permission's absence fails a collection (operator-actionable)."""
    return (
        f"the GitHub App lacks the {permission} permission ({needs_sentence(permission)}); "
        "no request was sent (GitHub would refuse it). Grant it in the App's settings and "
        "accept the new permission on the organisation's installation."
    )


def affects(missing: Iterable[str], needs: Mapping[str, Needs]) -> dict[str, list[str]]:
    """For each missing permission, what it affects: the collections it fails (required)
    and the checks it makes unknown (optional), sorted."""
    result: dict[str, list[str]] = {}
    for permission in missing:
        items: set[str] = set()
        for collection, need in needs.items():
            if permission in need.required:
                items.add(collection)
            if permission in need.optional:
                items.update(CHECKS_GATED.get(permission, ()))
        result[permission] = sorted(items)
    return result


def permission_warning(permission: str, checks: Iterable[str]) -> str:
    """The summary warning for an optional permission the App lacks."""
    return (
        f"The GitHub App lacks {permission} ({needs_sentence(permission)}): "
        f"{', '.join(sorted(checks))} are unknown (reported true) for the repositories "
        "they apply to."
    )
