"""The checklist's judgement: pure functions from facts (and ``now``) to booleans.

One function per check, each named as the question it answers; ``True`` means
the repository breaks the rule (spec/checks.md). No I/O, no clock: ``now`` is
an argument, so every row of the specification is a literal table test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

from collectors.facts import BLOB, PeopleFacts, PullRequestAuthor, RepoFacts, TreeEntry

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


# --- the 14 checks -----------------------------------------------------------


def is_inactive(facts: RepoFacts, inactivity_years: int, now: datetime) -> bool:
    """Last push (creation, if never pushed) more than ``inactivity_years`` calendar years ago."""
    last_activity = facts.pushed_at if facts.pushed_at is not None else facts.created_at
    return parse_github_time(last_activity) < years_before(now, inactivity_years)


def has_unprotected_branches(facts: RepoFacts) -> bool:
    """At least one branch has neither a protection rule nor a ruleset."""
    return not all(facts.branches_protected)


def has_unsigned_commits(facts: RepoFacts) -> bool:
    """One of the latest commits is unsigned or its signature is not valid."""
    if facts.is_empty:
        return False
    return any(valid is not True for valid in facts.commit_signatures)


def is_readme(entry: TreeEntry) -> bool:
    """GitHub's README rule: a file named ``README`` or ``README.<anything>``, any case."""
    name = entry.name.casefold()
    return entry.type == BLOB and (name == "readme" or name.startswith("readme."))


def is_readme_missing(facts: RepoFacts) -> bool:
    """No README at the root, in ``.github/`` or in ``docs/``."""
    entries = facts.root_entries + facts.github_entries + facts.docs_entries
    return not any(is_readme(entry) for entry in entries)


def is_license(entry: TreeEntry) -> bool:
    """A file named LICENSE, LICENCE or COPYING, any case, with or without an extension."""
    name = entry.name.casefold()
    return entry.type == BLOB and any(
        name == stem or name.startswith(stem + ".") for stem in _LICENSE_STEMS
    )


def is_license_missing(facts: RepoFacts) -> bool:
    """Public repositories only: no licence file at the root."""
    if facts.visibility != PUBLIC:
        return False
    return not any(is_license(entry) for entry in facts.root_entries)


def is_pirr_missing(facts: RepoFacts) -> bool:
    """Private and internal repositories only: no ``PIRR.md`` (any case) at the root."""
    if facts.visibility == PUBLIC:
        return False
    return not any(
        entry.type == BLOB and entry.name.casefold() == "pirr.md" for entry in facts.root_entries
    )


def is_gitignore_missing(facts: RepoFacts) -> bool:
    """No ``.gitignore`` file at the root."""
    return not any(
        entry.type == BLOB and entry.name == ".gitignore" for entry in facts.root_entries
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


def has_external_pr(facts: RepoFacts, people: PeopleFacts) -> bool:
    """An open pull request by a human who is not a member of the organisation."""
    for author in facts.pull_request_authors:
        if author is None or not is_human_author(author):
            continue
        if people.members is None:
            raise ValueError(
                f"organisation members are needed to judge {facts.name}'s pull requests"
            )
        if author.login.lower() not in people.members:
            return True
    return False


def breaks_naming_convention(name: str) -> bool:
    """The name has anything other than lower-case a-z, digits, ``-`` and ``_``."""
    return _NAMING_CONVENTION.fullmatch(name) is None


def is_status_disabled(visibility: str, status: str | None) -> bool:
    """Public only: ``disabled``, or not revealed by GitHub (counted as breaking the rule)."""
    if visibility != PUBLIC:
        return False
    return status != "enabled"


def is_secret_scanning_disabled(facts: RepoFacts) -> bool:
    """Public repositories only: secret scanning disabled or not revealed."""
    return is_status_disabled(facts.visibility, facts.secret_scanning)


def is_push_protection_disabled(facts: RepoFacts) -> bool:
    """Public repositories only: push protection disabled or not revealed."""
    return is_status_disabled(facts.visibility, facts.push_protection)


def is_dependabot_disabled(facts: RepoFacts) -> bool:
    """Dependabot alerts are off for the repository."""
    return not facts.vulnerability_alerts_enabled


def is_codeowners_missing(facts: RepoFacts) -> bool:
    """No CODEOWNERS file in ``.github/``, the root or ``docs/``."""
    return facts.codeowners_owners is None


def is_point_of_contact_missing(facts: RepoFacts, people: PeopleFacts) -> bool:
    """A CODEOWNERS file exists but none of its owners gives a contact."""
    if facts.codeowners_owners is None:
        return False
    return not any(owner.lower() in people.owners_with_contact for owner in facts.codeowners_owners)


def checklist(
    facts: RepoFacts, people: PeopleFacts, inactivity_years: int, now: datetime
) -> dict[str, bool]:
    """The 14 booleans in the schema's order."""
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
