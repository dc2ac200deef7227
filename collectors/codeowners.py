"""CODEOWNERS text -> the owners it names. Pure, linear, no I/O.

GitHub's syntax (docs: "About code owners"): one rule per line, a path pattern
followed by owners separated by spaces or tabs; ``#`` starts a comment at the
beginning of a line or of a token; ``\\#`` escapes a pattern that begins with
``#``; lines using unsupported syntax (``!`` negation, ``[ ]`` ranges) are
skipped. Owners are ``@user``, ``@org/team`` or an e-mail address; e-mail
addresses are ignored here (the point-of-contact check does not count them).
Lines are split on ``\\n`` only (``\\r`` is trimmed), never on other Unicode
line separators, and tokens on ASCII blanks only, as GitHub does.
"""

from __future__ import annotations

import re
from typing import Final

from collectors.shapes import shared

# A token: escaped characters or anything but ASCII blanks and backslashes.
_TOKEN: Final = re.compile(r"(?:\\.|[^ \t\f\v\r\\])+|\\")
_USER_OWNER: Final = re.compile(r"@[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")
_TEAM_OWNER: Final = re.compile(r"@[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?/[A-Za-z0-9_.-]+")


def is_team_owner(owner: str) -> bool:
    """Whether ``owner`` has the ``@org/team`` form."""
    return "/" in owner


def owner_token(token: str) -> str | None:
    """The lower-cased owner a token names, or None for e-mails and anything else."""
    if _USER_OWNER.fullmatch(token) or _TEAM_OWNER.fullmatch(token):
        return shared(token.lower())  # the same owners recur across repositories
    return None


def line_tokens(line: str) -> list[str]:
    """A rule line's tokens (pattern first), inline comment removed; [] for comments/blanks."""
    tokens = _TOKEN.findall(line)
    for index, token in enumerate(tokens):
        if token.startswith("#"):
            return tokens[:index]
    return tokens


def is_supported_pattern(pattern: str) -> bool:
    """GitHub skips rules whose pattern uses ``!`` negation or ``[ ]`` character ranges."""
    return not pattern.startswith("!") and "[" not in pattern.replace("\\[", "")


def parse_owners(text: str) -> tuple[str, ...]:
    """Every distinct owner (``@user`` / ``@org/team``, lower case), in order of appearance."""
    seen: dict[str, None] = {}
    for raw_line in text.split("\n"):
        tokens = line_tokens(raw_line)
        if len(tokens) < 2 or not is_supported_pattern(tokens[0]):
            continue
        for token in tokens[1:]:
            owner = owner_token(token)
            if owner is not None:
                seen.setdefault(owner, None)
    return tuple(seen)


def team_slug(owner: str, org: str) -> str | None:
    """The slug (lower case) of an ``@org/team`` owner of ``org``; None for another org's team."""
    owner_org, _, slug = owner[1:].partition("/")
    return slug.lower() if owner_org.lower() == org.lower() else None
