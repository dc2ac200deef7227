"""The checklist's judgement: pure functions from facts (and ``now``) to verdicts.

One function per check, each named as the question it answers; ``True`` means
the repository breaks the rule (spec/checks.md). A check whose fact GitHub
would not give answers :class:`Unknown` with the fact's reason; a check whose
rule does not apply (``license_missing`` on a private repository) answers
``False`` and is never unknown. :func:`judge` turns the verdicts into the
record's ``checklist`` (an unknown check stays ``True``: fail-closed) and
``unknown``. No I/O, no clock: ``now`` is an argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from collectors.codeowners import is_team_owner, team_slug
from collectors.facts import (
    ACTIVITY,
    BLOB,
    BRANCHES,
    COMMITS,
    CONTACTS,
    FILES,
    MEMBERS,
    PULL_REQUESTS,
    PUSH_PROTECTION,
    SECRET_SCANNING,
    VISIBILITY,
    VULNERABILITY_ALERTS,
    PeopleFacts,
    PullRequestAuthor,
    RepoFacts,
    TreeEntry,
)

CHECK_NAMES: Final[tuple[str, ...]] = (
    "inactive",
    "unprotected_branches",
    "unsigned_commits",
    "readme_missing",
    "license_missing",
    "pirr_missing",
    "gitignore_missing",
    "external_pr",
    "breaks_naming_convention",
    "secret_scanning_disabled",
    "push_protection_disabled",
    "dependabot_disabled",
    "codeowners_missing",
    "point_of_contact_missing",
)

PUBLIC: Final = "PUBLIC"
_NAMING_CONVENTION: Final = re.compile(r"[a-z0-9_-]+")
_LICENSE_STEMS: Final = ("license", "licence", "copying")
_DELETED_ACCOUNT_LOGIN: Final = "ghost"


@dataclass(frozen=True)
class Unknown:
    """A check that could not be judged, and why (one sentence)."""

    reason: str


Verdict = bool | Unknown


@dataclass(frozen=True)
class Judgement:
    """A repository's 14 checks: booleans (unknown ones ``True``) and the unknown reasons."""

    checklist: dict[str, bool]
    unknown: dict[str, str]


def parse_github_time(value: str) -> datetime:
    """An aware UTC datetime from GitHub's ``YYYY-MM-DDTHH:MM:SSZ`` (offsets accepted)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def years_before(now: datetime, years: int) -> datetime:
    """The same calendar instant ``years`` years earlier; 29 February becomes 28 February."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _missing(facts: RepoFacts, *names: str) -> Unknown | None:
    """The first missing fact among ``names``, as an Unknown; None when all are known."""
    for name in names:
        if name in facts.missing:
            return Unknown(facts.missing[name])
    return None


def _visibility_unknown(facts: RepoFacts) -> Unknown | None:
    if facts.visibility_known:
        return None
    return Unknown(
        facts.missing.get(VISIBILITY, "GitHub did not say whether the repository is public")
    )


# --- the 14 checks -----------------------------------------------------------


def is_inactive(facts: RepoFacts, inactivity_years: int, now: datetime) -> Verdict:
    """Last push (creation, if never pushed) more than ``inactivity_years`` calendar years ago."""
    missing = _missing(facts, ACTIVITY)
    if missing is not None:
        return missing
    last_activity = facts.pushed_at if facts.pushed_at is not None else facts.created_at
    if last_activity is None:
        return Unknown("GitHub gave neither the last push nor the creation time")
    return parse_github_time(last_activity) < years_before(now, inactivity_years)


def has_unprotected_branches(facts: RepoFacts) -> Verdict:
    """At least one branch has neither a protection rule nor a ruleset."""
    if facts.is_empty:
        return False  # an empty repository has no branch
    missing = _missing(facts, BRANCHES)
    if missing is not None or facts.branches_protected is None:
        return missing or Unknown("GitHub did not list the branches' protection")
    return not all(facts.branches_protected)


def has_unsigned_commits(facts: RepoFacts) -> Verdict:
    """One of the latest commits is unsigned or its signature is not valid."""
    if facts.is_empty:
        return False  # no commits, whatever the App may read
    missing = _missing(facts, COMMITS)
    if missing is not None or facts.commit_signatures is None:
        return missing or Unknown("GitHub did not list the latest commits")
    return any(valid is not True for valid in facts.commit_signatures)


def _files(facts: RepoFacts) -> Unknown | None:
    """Why the repository's files are unknown; None when known (an empty repository
    has none, whatever the App may read)."""
    if facts.is_empty:
        return None
    missing = _missing(facts, FILES)
    if missing is None and (facts.root_entries is None or facts.github_entries is None):
        return Unknown("GitHub did not list the repository's files")
    return missing


def is_readme(entry: TreeEntry) -> bool:
    """GitHub's README rule: a file named ``README`` or ``README.<anything>``, any case."""
    name = entry.name.casefold()
    return entry.type == BLOB and (name == "readme" or name.startswith("readme."))


def is_readme_missing(facts: RepoFacts) -> Verdict:
    """No README at the root, in ``.github/`` or in ``docs/``."""
    unknown = _files(facts)
    if unknown is not None:
        return unknown
    entries = (facts.root_entries or ()) + (facts.github_entries or ()) + (facts.docs_entries or ())
    return not any(is_readme(entry) for entry in entries)


def is_license(entry: TreeEntry) -> bool:
    """A file named LICENSE, LICENCE or COPYING, any case, with or without an extension."""
    name = entry.name.casefold()
    return entry.type == BLOB and any(
        name == stem or name.startswith(stem + ".") for stem in _LICENSE_STEMS
    )


def is_license_missing(facts: RepoFacts) -> Verdict:
    """Public repositories only: no licence file at the root."""
    unknown_visibility = _visibility_unknown(facts)
    if unknown_visibility is None and facts.visibility != PUBLIC:
        return False
    unknown = unknown_visibility or _files(facts)
    if unknown is not None:
        return unknown
    return not any(is_license(entry) for entry in facts.root_entries or ())


def is_pirr_missing(facts: RepoFacts) -> Verdict:
    """Private and internal repositories only: no ``PIRR.md`` (any case) at the root."""
    unknown_visibility = _visibility_unknown(facts)
    if unknown_visibility is None and facts.visibility == PUBLIC:
        return False
    unknown = unknown_visibility or _files(facts)
    if unknown is not None:
        return unknown
    return not any(
        entry.type == BLOB and entry.name.casefold() == "pirr.md"
        for entry in facts.root_entries or ()
    )


def is_gitignore_missing(facts: RepoFacts) -> Verdict:
    """No ``.gitignore`` file at the root."""
    unknown = _files(facts)
    if unknown is not None:
        return unknown
    return not any(
        entry.type == BLOB and entry.name == ".gitignore" for entry in facts.root_entries or ()
    )


def is_human_author(author: PullRequestAuthor | None) -> bool:
    """Whether a pull request author may count as external: not a bot, a ``[bot]`` login
    or a deleted account (no author, or ``ghost``)."""
    if author is None:
        return False
    lowered = author.login.lower()
    return not (
        author.typename == "Bot" or lowered.endswith("[bot]") or lowered == _DELETED_ACCOUNT_LOGIN
    )


def needs_members(authors: Iterable[PullRequestAuthor | None]) -> bool:
    """Whether membership matters: some open pull request has a human author."""
    return any(is_human_author(author) for author in authors)


def has_external_pr(facts: RepoFacts, people: PeopleFacts) -> Verdict:
    """An open pull request by a human who is not a member of the organisation."""
    missing = _missing(facts, PULL_REQUESTS)
    if missing is not None or facts.pull_request_authors is None:
        return missing or Unknown("GitHub did not list the open pull requests")
    humans = [a for a in facts.pull_request_authors if a is not None and is_human_author(a)]
    if not humans:
        return False
    if people.members is None:
        return Unknown(
            people.missing.get(MEMBERS, "the organisation's members could not be listed")
        )
    return any(author.login.lower() not in people.members for author in humans)


def breaks_naming_convention(name: str) -> bool:
    """The name has anything other than lower-case a-z, digits, ``-`` and ``_``."""
    return _NAMING_CONVENTION.fullmatch(name) is None


def is_status_disabled(facts: RepoFacts, status: str | None, fact: str) -> Verdict:
    """Public only: the ``security_and_analysis`` status is not ``enabled``; unknown when
    GitHub did not reveal it."""
    unknown_visibility = _visibility_unknown(facts)
    if unknown_visibility is None and facts.visibility != PUBLIC:
        return False
    if status is None:
        return Unknown(facts.missing.get(fact, "GitHub did not reveal security_and_analysis"))
    if unknown_visibility is not None and status == "enabled":
        return False  # enabled either way: the rule cannot be broken
    return unknown_visibility or status != "enabled"


def is_secret_scanning_disabled(facts: RepoFacts) -> Verdict:
    """Public repositories only: secret scanning disabled (unknown when not revealed)."""
    return is_status_disabled(facts, facts.secret_scanning, SECRET_SCANNING)


def is_push_protection_disabled(facts: RepoFacts) -> Verdict:
    """Public repositories only: push protection disabled (unknown when not revealed)."""
    return is_status_disabled(facts, facts.push_protection, PUSH_PROTECTION)


def is_dependabot_disabled(facts: RepoFacts) -> Verdict:
    """Dependabot alerts are off for the repository."""
    missing = _missing(facts, VULNERABILITY_ALERTS)
    if missing is not None or facts.vulnerability_alerts_enabled is None:
        return missing or Unknown("GitHub did not say whether Dependabot alerts are on")
    return not facts.vulnerability_alerts_enabled


def is_codeowners_missing(facts: RepoFacts) -> Verdict:
    """No CODEOWNERS file in ``.github/``, the root or ``docs/``."""
    unknown = _files(facts)
    if unknown is not None:
        return unknown
    return facts.codeowners_owners is None


def gives_contact(owner: str, people: PeopleFacts) -> bool:
    """An ``@user`` with a verified-domain e-mail, or an ``@org/team`` one of whose
    maintainers has one. Owners of another organisation's teams give none."""
    owner = owner.lower()
    if not is_team_owner(owner):
        return owner[1:] in people.verified_users
    slug = team_slug(owner, people.org)
    if slug is None:
        return False
    return any(login in people.verified_users for login in people.team_maintainers.get(slug, ()))


def owners_with_contact(owners: Iterable[str], people: PeopleFacts) -> frozenset[str]:
    """The owners (lower case) that give a point of contact."""
    return frozenset(owner.lower() for owner in owners if gives_contact(owner, people))


def is_point_of_contact_missing(facts: RepoFacts, people: PeopleFacts) -> Verdict:
    """A CODEOWNERS file exists but none of its owners gives a contact."""
    unknown = _files(facts)
    if unknown is not None:
        return unknown
    if facts.codeowners_owners is None:
        return False
    if any(gives_contact(owner, people) for owner in facts.codeowners_owners):
        return False
    if facts.codeowners_owners and CONTACTS in people.missing:
        return Unknown(people.missing[CONTACTS])
    return True


def verdicts(
    facts: RepoFacts, people: PeopleFacts, inactivity_years: int, now: datetime
) -> dict[str, Verdict]:
    """The 14 verdicts in the schema's order."""
    values = (
        is_inactive(facts, inactivity_years, now),
        has_unprotected_branches(facts),
        has_unsigned_commits(facts),
        is_readme_missing(facts),
        is_license_missing(facts),
        is_pirr_missing(facts),
        is_gitignore_missing(facts),
        has_external_pr(facts, people),
        breaks_naming_convention(facts.name),
        is_secret_scanning_disabled(facts),
        is_push_protection_disabled(facts),
        is_dependabot_disabled(facts),
        is_codeowners_missing(facts),
        is_point_of_contact_missing(facts, people),
    )
    return dict(zip(CHECK_NAMES, values, strict=True))


def judge(facts: RepoFacts, people: PeopleFacts, inactivity_years: int, now: datetime) -> Judgement:
    """The checklist (an unknown check is ``True``: fail-closed) and the unknown reasons."""
    results = verdicts(facts, people, inactivity_years, now)
    return Judgement(
        checklist={name: v if isinstance(v, bool) else True for name, v in results.items()},
        unknown={name: v.reason for name, v in results.items() if isinstance(v, Unknown)},
    )


def checklist(
    facts: RepoFacts, people: PeopleFacts, inactivity_years: int, now: datetime
) -> dict[str, bool]:
    """The 14 booleans in the schema's order (unknown checks ``True``)."""
    return judge(facts, people, inactivity_years, now).checklist


def failing(checklist_: Mapping[str, bool], excepted: Iterable[str] = ()) -> list[str]:
    """Sorted checks that are ``True`` and have no active exception."""
    skip = set(excepted)
    return sorted(name for name, value in checklist_.items() if value and name not in skip)
