"""The CODEOWNERS parser: GitHub's syntax edges as tables, and properties with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.codeowners import parse_owners


@pytest.mark.parametrize(
    ("text", "owners"),
    [
        ("", ()),
        ("\n\n   \n\t\n", ()),
        ("# only a comment @alice\n", ()),
        ("   # indented comment @alice\n", ()),
        ("* @alice\n", ("@alice",)),
        ("*\t@alice\t@bob\n", ("@alice", "@bob")),  # tabs
        ("* @alice\r\n/docs/ @bob\r\n", ("@alice", "@bob")),  # CRLF
        ("* @Alice @alice @ALICE\n", ("@alice",)),  # case-insensitive, deduplicated
        ("* @acme/Core-Team\n", ("@acme/core-team",)),
        ("* alice@example.com\n", ()),  # e-mail owners ignored
        ("* alice@example.com @bob\n", ("@bob",)),
        ("* @alice # inline comment @bob\n", ("@alice",)),
        ("\\#notacomment @alice\n", ("@alice",)),  # escaped pattern starting with #
        ("docs/\\ spaced @alice\n", ("@alice",)),  # escaped blank inside the pattern
        ("@alice\n", ()),  # a pattern with no owners
        ("*.js\n", ()),
        ("!*.js @alice\n", ()),  # negation: GitHub skips the line
        ("*.[ch] @alice\n", ()),  # character range: skipped
        ("* @\n", ()),
        ("* @-bad @bad- @ok\n", ("@ok",)),
        ("* @alice\u2028@bob\n", ()),  # U+2028 is no separator: one odd token
        ("* @alice\u00a0@bob\n", ()),  # nor is a no-break space
        ("* @\u00e9lodie @alice\n", ("@alice",)),  # not a valid login
        ("\ufeff* @alice\n", ("@alice",)),  # byte order mark on the pattern
        ("* @alice\n* @bob\n/x @alice\n", ("@alice", "@bob")),
    ],
)
def test_parse_owners(text: str, owners: tuple[str, ...]) -> None:
    assert parse_owners(text) == owners


def test_one_megabyte_parses_to_its_owners() -> None:
    line = "/src/**/module-name/*.py  @some-user @acme/team-x owner@example.com # note\n"
    text = line * (1_000_000 // len(line) + 1)
    assert parse_owners(text) == ("@some-user", "@acme/team-x")


_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_LOGIN = st.builds(
    lambda first, middle, last: first + middle + last,
    st.sampled_from(_ALNUM),
    st.text(alphabet=_ALNUM + "-", max_size=8),
    st.sampled_from(_ALNUM),
)
_OWNER = st.one_of(
    _LOGIN.map(lambda login: "@" + login),
    st.tuples(_LOGIN, _LOGIN).map(lambda pair: f"@{pair[0]}/{pair[1]}"),
)
_PATTERN = st.sampled_from(["*", "/docs/", "*.py", "src/**", "\\#hash", "/a/b/c.txt"])
_BLANK = st.sampled_from([" ", "\t", "  ", " \t "])
_EOL = st.sampled_from(["\n", "\r\n"])


@st.composite
def codeowners_files(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A file of rules, comments and blank lines, and the owners it names in order."""
    lines: list[str] = []
    expected: list[str] = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        kind = draw(st.sampled_from(["rule", "comment", "blank"]))
        if kind == "comment":
            lines.append(draw(_BLANK) + "# " + draw(_OWNER))
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", " ", "\t"])))
        else:
            owners = draw(st.lists(_OWNER, min_size=1, max_size=4))
            email = draw(st.booleans())
            tokens = [draw(_PATTERN), *owners] + (["someone@example.com"] if email else [])
            line = draw(_BLANK).join(tokens)
            if draw(st.booleans()):
                line += draw(_BLANK) + "# trailing " + draw(_OWNER)
            lines.append(line)
            expected.extend(owners)
    eol = draw(_EOL)
    return eol.join(lines) + eol, list(dict.fromkeys(expected))


@given(codeowners_files())
def test_rules_round_trip(case: tuple[str, list[str]]) -> None:
    text, expected = case
    assert list(parse_owners(text)) == expected


@given(st.text(max_size=400))
def test_any_text_parses_to_well_formed_owners(text: str) -> None:
    owners = parse_owners(text)
    assert len(set(owners)) == len(owners)
    for owner in owners:
        assert owner.startswith("@") and owner == owner.lower()
        assert not any(char.isspace() for char in owner)
        assert owner in text.lower()
