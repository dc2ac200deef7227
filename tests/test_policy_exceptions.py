"""findings.md "Exceptions" as tables: literal TOML and records in, judgements out, no I/O."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from policy import checks
from policy import exceptions as ex
from tests.contract import checklist_names

TODAY = date(2026, 11, 30)
SOURCE = ".github-private:policy/exceptions.toml"
CHECKS = checklist_names()

GOOD = """
[[exception]]
repositories = ["legacy-*", "Docs.Site"]
checks = ["license_missing", "codeowners_missing"]
reason = "Mirrors of upstream projects; licences live upstream"
approved_by = "security-team"
expires = 2027-03-31
"""


def entry_toml(**fields: str) -> str:
    """One [[exception]] table: the GOOD entry's values, overridden or removed (``None``)."""
    values = {
        "repositories": '["legacy-*"]',
        "checks": '["license_missing"]',
        "reason": '"Mirrors"',
        "approved_by": '"security-team"',
        "expires": "2027-03-31",
    }
    values.update(fields)
    lines = [f"{key} = {value}" for key, value in values.items() if value != "-"]
    return "[[exception]]\n" + "\n".join(lines) + "\n"


def record(name: str, *failing: str) -> dict[str, Any]:
    return {
        "name": name,
        "checklist": {check: check in failing for check in CHECKS},
        "unknown": {},
        "exceptions": {},
        "failing": sorted(failing),
    }


# --- parsing -------------------------------------------------------------------


def test_a_well_formed_entry_is_parsed_with_its_values() -> None:
    parsed = ex.parse_exceptions(GOOD, SOURCE, TODAY)
    assert parsed.invalid == () and parsed.warnings == ()
    assert parsed.entries == (
        ex.ExceptionEntry(
            index=0,
            repositories=("legacy-*", "Docs.Site"),
            checks=("license_missing", "codeowners_missing"),
            reason="Mirrors of upstream projects; licences live upstream",
            approved_by="security-team",
            expires=date(2027, 3, 31),
        ),
    )


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"approved_by": "-"}, "missing key 'approved_by'"),
        ({"reason": "-", "expires": "-"}, "missing keys 'reason', 'expires'"),
        ({"ticket": '"SEC-1"'}, "unknown key 'ticket'"),
        ({"reason": '""'}, "'reason' must be a non-empty string"),
        ({"approved_by": "7"}, "'approved_by' must be a non-empty string"),
        ({"repositories": "[]"}, "'repositories' must be a non-empty list"),
        ({"repositories": '"legacy-*"'}, "'repositories' must be a non-empty list"),
        ({"repositories": '["a", 3]'}, "'repositories' must be a non-empty list"),
        ({"checks": "[]"}, "'checks' must be a non-empty list"),
        ({"checks": '["licence_missing"]'}, "unknown check 'licence_missing'"),
        ({"checks": '["*"]'}, "unknown check '*' (name checklist keys exactly; there is no"),
        ({"expires": '"2027-03-31"'}, "'expires' must be a TOML date"),
        ({"expires": "2027-03-31T00:00:00Z"}, "'expires' must be a TOML date"),
        ({"expires": "12:00:00"}, "'expires' must be a TOML date"),
        (
            {"expires": "2027-12-02"},
            "'expires' 2027-12-02 is more than 366 days after the run's date 2026-11-30 "
            "(settings.max_exception_days); the latest allowed is 2027-12-01",
        ),
    ],
)
def test_a_malformed_entry_is_invalid_with_its_reason(fields: dict[str, str], why: str) -> None:
    parsed = ex.parse_exceptions(GOOD + entry_toml(**fields), SOURCE, TODAY)
    assert [e.index for e in parsed.entries] == [0]  # the good one still applies
    (bad,) = parsed.invalid
    assert bad.index == 1
    assert bad.why.startswith(why), bad.why


def test_the_horizon_is_inclusive_and_follows_max_exception_days() -> None:
    last_day = ex.parse_exceptions(entry_toml(expires="2027-12-01"), SOURCE, TODAY)
    assert len(last_day.entries) == 1 and last_day.invalid == ()
    short = ex.parse_exceptions(entry_toml(expires="2027-01-01"), SOURCE, TODAY, max_days=30)
    assert short.entries == ()
    assert "more than 30 days" in short.invalid[0].why


def test_an_invalid_entry_keeps_the_repositories_it_named() -> None:
    parsed = ex.parse_exceptions(entry_toml(checks='["nope"]'), SOURCE, TODAY)
    assert parsed.invalid == (ex.InvalidEntry(0, ("legacy-*",), parsed.invalid[0].why),)


def test_repeated_checks_are_kept_once() -> None:
    parsed = ex.parse_exceptions(
        entry_toml(checks='["license_missing", "license_missing"]'), SOURCE, TODAY
    )
    assert parsed.entries[0].checks == ("license_missing",)


def test_text_that_is_not_toml_gives_no_entry_and_a_warning_naming_file_and_line() -> None:
    text = GOOD + '\n[[exception]]\nrepositories = ["x"\n'
    parsed = ex.parse_exceptions(text, SOURCE, TODAY)
    assert parsed.entries == () and parsed.invalid == ()
    (warning,) = parsed.warnings
    assert SOURCE in warning
    assert "line 10" in warning  # the last line: the array never closes


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ('[exception]\nrepositories = ["a"]\n', "must be an array of tables"),
        ('exception = "all"\n', "must be an array of tables"),
    ],
)
def test_a_file_without_an_exception_array_applies_nothing(text: str, warning: str) -> None:
    parsed = ex.parse_exceptions(text, SOURCE, TODAY)
    assert parsed.entries == ()
    assert any(warning in w for w in parsed.warnings)


def test_an_empty_file_has_no_entries_and_no_warning() -> None:
    assert ex.parse_exceptions("# none yet\n", SOURCE, TODAY) == ex.ParsedExceptions()


def test_an_unknown_top_level_key_is_a_warning_and_entries_still_apply() -> None:
    parsed = ex.parse_exceptions('owner = "x"\n' + GOOD, SOURCE, TODAY)
    assert len(parsed.entries) == 1
    assert parsed.warnings == (
        f"exceptions file {SOURCE}: top-level key 'owner' is not understood and is ignored; "
        "write every exception as an [[exception]] table.",
    )


def test_an_entry_that_is_not_a_table_is_invalid() -> None:
    parsed = ex.parse_exceptions('exception = [1, "two"]\n', SOURCE, TODAY)
    assert [bad.index for bad in parsed.invalid] == [0, 1]


# --- expiry and matching -----------------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "today", "active"),
    [
        (date(2026, 11, 30), date(2026, 11, 30), True),  # through its last day
        (date(2026, 11, 29), date(2026, 11, 30), False),
        (date(2027, 1, 1), date(2026, 11, 30), True),
    ],
)
def test_an_exception_is_active_through_its_expires_date(
    expires: date, today: date, active: bool
) -> None:
    entry = ex.ExceptionEntry(0, ("a",), ("inactive",), "r", "o", expires)
    assert entry.is_active(today) is active
    assert (ex.active_entries(ex.ParsedExceptions((entry,)), today) == (entry,)) is active


@pytest.mark.parametrize(
    ("patterns", "name", "matches"),
    [
        (("Docs.Site",), "docs.site", True),
        (("docs.site",), "Docs.Site", True),
        (("legacy-*",), "legacy-billing", True),
        (("legacy-*",), "LEGACY-X", True),
        (("legacy-*",), "new-legacy-x", False),
        (("api",), "api-gateway", False),
        (("svc-?",), "svc-1", True),
        (("svc-[ab]",), "svc-c", False),
        (("*",), "anything", True),
        (("docs.site",), "docs-site", False),  # a dot is a dot, not any character
    ],
)
def test_repositories_match_by_name_or_glob_case_insensitively(
    patterns: tuple[str, ...], name: str, matches: bool
) -> None:
    entry = ex.ExceptionEntry(0, patterns, ("inactive",), "r", "o", date(2027, 1, 1))
    assert entry.matches(name) is matches


# --- applying to records -----------------------------------------------------------


def entry(index: int, repos: tuple[str, ...], checks: tuple[str, ...], expires: date) -> Any:
    return ex.ExceptionEntry(index, repos, checks, f"reason {index}", f"owner {index}", expires)


def test_a_matching_exception_is_shown_for_every_check_it_names_failing_or_not() -> None:
    active = [entry(0, ("legacy-*",), ("license_missing", "readme_missing"), date(2027, 3, 31))]
    before = record("legacy-a", "license_missing", "inactive")
    after = ex.apply_exceptions(before, active)
    assert after["exceptions"] == {
        "readme_missing": {"reason": "reason 0", "approved_by": "owner 0", "expires": "2027-03-31"},
        "license_missing": {
            "reason": "reason 0",
            "approved_by": "owner 0",
            "expires": "2027-03-31",
        },
    }
    assert list(after["exceptions"]) == ["readme_missing", "license_missing"]  # schema order
    assert after["failing"] == ["inactive"]
    assert after["checklist"] == before["checklist"]  # booleans never change
    assert before["exceptions"] == {}  # the input record is not modified


def test_a_record_no_exception_matches_has_an_empty_map_and_every_true_check_failing() -> None:
    active = [entry(0, ("legacy-*",), ("license_missing",), date(2027, 3, 31))]
    after = ex.apply_exceptions(record("api", "unsigned_commits", "license_missing"), active)
    assert after["exceptions"] == {}
    assert after["failing"] == ["license_missing", "unsigned_commits"]


def test_when_two_entries_name_a_check_the_later_expiry_applies() -> None:
    active = [
        entry(0, ("api",), ("inactive",), date(2027, 1, 1)),
        entry(1, ("a*",), ("inactive",), date(2027, 6, 1)),
        entry(2, ("*",), ("inactive",), date(2027, 6, 1)),
    ]
    grants = ex.grants_for("api", active)
    assert grants == {
        "inactive": {"reason": "reason 1", "approved_by": "owner 1", "expires": "2027-06-01"}
    }


@pytest.mark.parametrize(
    ("checklist_true", "excepted", "failing"),
    [
        ((), (), []),
        (("unsigned_commits", "inactive"), (), ["inactive", "unsigned_commits"]),
        (("unsigned_commits", "inactive"), ("inactive",), ["unsigned_commits"]),
        (("inactive",), ("inactive", "readme_missing"), []),
    ],
)
def test_failing_is_true_checks_without_an_exception_sorted(
    checklist_true: tuple[str, ...], excepted: tuple[str, ...], failing: list[str]
) -> None:
    checklist = {check: check in checklist_true for check in CHECKS}
    assert checks.failing(checklist, excepted) == failing


def test_expiring_within_30_days_soonest_first() -> None:
    entries = [
        entry(0, ("a",), ("inactive",), date(2026, 12, 30)),  # day 30: included
        entry(1, ("b",), ("inactive",), date(2026, 12, 31)),  # day 31: not
        entry(2, ("c",), ("inactive",), date(2026, 11, 30)),  # today: included
        entry(3, ("d",), ("inactive",), date(2026, 11, 29)),  # expired: not
    ]
    assert [e.index for e in ex.expiring_within(entries, TODAY)] == [2, 0]


# --- the run summary -----------------------------------------------------------------

SUMMARY_TOML = "".join(
    [
        # 0: active, used (legacy-a fails license_missing)
        entry_toml(repositories='["legacy-*"]', checks='["license_missing"]'),
        # 1: expired
        entry_toml(repositories='["api"]', checks='["inactive"]', expires="2026-11-29"),
        # 2: beyond the horizon
        entry_toml(repositories='["web"]', expires="2028-01-01"),
        # 3: unknown check
        entry_toml(repositories='["web"]', checks='["no_such_check"]'),
        # 4: matches nothing
        entry_toml(repositories='["ghost-*"]'),
        # 5: matches, but every check it names passes
        entry_toml(repositories='["api"]', checks='["readme_missing"]'),
    ]
)


def test_summary_counts_active_and_lists_expired_invalid_unmatched_unused() -> None:
    parsed = ex.parse_exceptions(SUMMARY_TOML, SOURCE, TODAY)
    records = [record("api", "inactive"), record("legacy-a", "license_missing")]
    block = ex.summary_block(SOURCE, parsed, TODAY, records)
    assert block == {
        "source": SOURCE,
        "active": 3,
        "expired": [{"index": 1, "repositories": ["api"], "expires": "2026-11-29"}],
        "invalid": [
            {
                "index": 2,
                "repositories": ["web"],
                "why": "'expires' 2028-01-01 is more than 366 days after the run's date "
                "2026-11-30 (settings.max_exception_days); the latest allowed is 2027-12-01",
            },
            {
                "index": 3,
                "repositories": ["web"],
                "why": "unknown check 'no_such_check' (name checklist keys exactly; "
                "there is no wildcard)",
            },
        ],
        "unmatched": [{"index": 4, "repositories": ["ghost-*"]}],
        "unused": [{"index": 5, "repositories": ["api"]}],
    }


def test_summary_without_repository_records_cannot_say_unmatched_or_unused() -> None:
    parsed = ex.parse_exceptions(SUMMARY_TOML, SOURCE, TODAY)
    block = ex.summary_block(SOURCE, parsed, TODAY, None)
    assert (block["active"], block["unmatched"], block["unused"]) == (3, [], [])


def test_empty_summary_names_the_source_or_null() -> None:
    assert ex.empty_summary() == {
        "source": None,
        "active": 0,
        "expired": [],
        "invalid": [],
        "unmatched": [],
        "unused": [],
    }
    assert ex.empty_summary(SOURCE)["source"] == SOURCE


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[[exception]]\nrepositories = ["x"\n', "(at line 2, the end of the file)"),
        ('[[exception]]\nchecks = ["a"]\nreason = oops\n', "(at line 3, column 10)"),
        ("[[exception]\n", "at line 1"),
    ],
)
def test_a_toml_error_always_names_a_line(text: str, where: str) -> None:
    (warning,) = ex.parse_exceptions(text, SOURCE, TODAY).warnings
    assert where in warning, warning
    assert warning.startswith(f"exceptions file {SOURCE} is not valid TOML: ")
