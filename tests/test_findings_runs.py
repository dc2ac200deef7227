"""Exceptions, changes.json, trend.json and digest.md: whole runs against the fake GitHub.

The sample organisation (tests/fake_github/sample_org.py) keeps an exceptions
file covering every case, and build_second_run_for changes exactly
SECOND_RUN_CHANGES. Runs are a week apart unless a test says otherwise; each
run's organisation is dated from its own day, so every age stays the same and
the only differences are the injected ones.
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import handler
from datalogger.errors import RunFailed
from github_client import ManualClock
from tests.contract import checklist_names
from tests.fake_github import FakeGitHub, Faults, sample_org
from tests.fake_github.model import Organization
from tests.runtime_support import (
    aws_env,
    boto_client,
    edit_config,
    environ,
    handler_env,
    json_log_lines,
    moto_server,
    s3_objects,
    schema,
)

CHECKS = checklist_names()
DAY1 = datetime(2026, 11, 30, 3, 0, 5, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=7)
ORG = sample_org.ORG
SOURCE = ".github-private:policy/exceptions.toml"
DATASET_FILES = ("repositories.json", "dependabot.json", "secret_scanning.json")

FakeFactory = Callable[..., FakeGitHub]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(
    fake_github: FakeFactory,
    org: Organization,
    env: dict[str, str],
    when: datetime,
    *,
    faults: Faults | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One run at ``when`` against a fresh fake serving ``org``; (summary, log lines)."""
    clock = ManualClock(when.timestamp())
    fake = fake_github(org, faults, clock=clock)
    stream = io.StringIO()
    env = {**env, "GITHUB_API_URL": fake.url}
    try:
        summary = handler.run(
            {},
            None,
            handler.Services(env=env, clock=clock, log_stream=stream),
        )
    except RunFailed as failed:
        summary = dict(failed.summary)
    finally:
        fake.stop()
    return summary, json_log_lines(stream)


@pytest.fixture
def env(tmp_path: Path, app_private_key: str) -> dict[str, str]:
    env = handler_env(tmp_path, "http://unused", app_private_key, GITHUB_ORG=ORG)
    edit_config(env, "settings", "exceptions", sample_org.EXCEPTIONS_SETTING)
    return env


def output(env: dict[str, str], name: str) -> Any:
    text = (Path(env["OUTPUT_DIR"]) / name).read_text(encoding="utf-8")
    return text if name.endswith(".md") else json.loads(text)


def by_name(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["name"]: record for record in records}


def true_checks(record: dict[str, Any]) -> list[str]:
    return sorted(check for check in CHECKS if record["checklist"][check])


# --- exceptions ------------------------------------------------------------------------


def grant(reason: str, approved_by: str, days: int) -> dict[str, str]:
    return {
        "reason": reason,
        "approved_by": approved_by,
        "expires": (DAY1 + timedelta(days=days)).date().isoformat(),
    }


def test_exceptions_land_where_findings_says(fake_github: FakeFactory, env: dict[str, str]) -> None:
    summary, _ = run(fake_github, sample_org.build_for(DAY1), env, DAY1)
    records = by_name(output(env, "repositories.json"))

    legacy = records["legacy-reports"]  # entry 0: active and in use
    assert legacy["checklist"]["inactive"] is True  # the boolean never changes
    assert legacy["exceptions"] == {
        "inactive": grant(
            "Kept read-only until the 2027 audit, then archived", "security-team", 180
        )
    }
    assert "inactive" not in legacy["failing"]
    assert records["open-sdk"]["exceptions"] == {
        "license_missing": grant("Licence choice with legal; MIT expected", "legal", 20)
    }
    assert records["open-sdk"]["failing"] == []
    assert records[".github-private"]["failing"] == []
    # entry 3 expired, 4 beyond the horizon, 5 an unknown check: none applies
    assert records["hackathon-2023"]["exceptions"] == {}
    assert records["hackathon-2023"]["failing"] == ["inactive"]
    assert records["CustomerPortal"]["failing"] == ["breaks_naming_convention"]
    assert records["docs-site"]["exceptions"] == {}
    # entry 7 names a check that passes: shown, nothing to leave out
    assert records["website"]["exceptions"] == {
        "codeowners_missing": grant(
            "Owned by marketing, who have no GitHub team yet", "web-team", 90
        )
    }
    for record in records.values():
        excepted = set(record["exceptions"])
        assert record["failing"] == [c for c in true_checks(record) if c not in excepted]
    assert sum(1 for r in records.values() if r["exceptions"]) == 4

    assert summary["exceptions"] == {
        "source": SOURCE,
        "active": 5,
        "expired": [
            {"index": 3, "repositories": ["hackathon-*"], "expires": "2026-11-20"},
        ],
        "invalid": [
            {
                "index": 4,
                "repositories": ["CustomerPortal"],
                "why": "'expires' 2028-01-04 is more than 366 days after the run's date "
                "2026-11-30 (settings.max_exception_days); the latest allowed is 2027-12-01",
            },
            {
                "index": 5,
                "repositories": ["docs-site"],
                "why": "unknown check 'external_prs' (name checklist keys exactly; "
                "there is no wildcard)",
            },
        ],
        "unmatched": [{"index": 6, "repositories": ["mainframe-*"]}],
        "unused": [{"index": 7, "repositories": ["website"]}],
    }
    jsonschema.validate(summary, schema("run_summary.schema.json"))
    jsonschema.validate(list(records.values()), schema("repositories.schema.json"))


def test_checklist_is_the_same_with_or_without_exceptions(
    fake_github: FakeFactory, env: dict[str, str], tmp_path: Path, app_private_key: str
) -> None:
    run(fake_github, sample_org.build_for(DAY1), env, DAY1)
    (tmp_path / "plain").mkdir()
    plain_env = handler_env(tmp_path / "plain", "http://unused", app_private_key, GITHUB_ORG=ORG)
    run(fake_github, sample_org.build_for(DAY1), plain_env, DAY1)
    with_exceptions = by_name(output(env, "repositories.json"))
    without = by_name(output(plain_env, "repositories.json"))
    assert {n: r["checklist"] for n, r in with_exceptions.items()} == {
        n: r["checklist"] for n, r in without.items()
    }
    assert all(r["exceptions"] == {} for r in without.values())
    assert all(r["failing"] == true_checks(r) for r in without.values())
    plain_summary = json.loads((tmp_path / "plain" / "output" / "run_summary.json").read_text())
    assert plain_summary["exceptions"]["source"] is None


def test_a_file_that_is_not_toml_excepts_nothing_and_warns_with_file_and_line(
    fake_github: FakeFactory, env: dict[str, str]
) -> None:
    org = sample_org.build_for(DAY1)
    repo = org.repository(".github-private")
    assert repo is not None
    repo.files["policy/exceptions.toml"] = '[[exception]]\nrepositories = ["legacy-*"\nchecks = 1\n'
    summary, logs = run(fake_github, org, env, DAY1)
    records = output(env, "repositories.json")
    assert all(r["exceptions"] == {} and r["failing"] == true_checks(r) for r in records)
    warnings = summary["collections"]["repositories"]["warnings"]
    (warning,) = [w for w in warnings if "exceptions file" in w]
    assert warning.startswith(f"exceptions file {SOURCE} is not valid TOML: ")
    assert "line 3" in warning
    assert summary["exceptions"]["source"] == SOURCE
    assert summary["exceptions"]["active"] == 0
    assert any(line.get("warning") == warning for line in logs)


@pytest.mark.parametrize(
    "setting",
    [
        {"repository": "no-such-repository", "path": "policy/exceptions.toml"},
        {"repository": ".github-private", "path": "policy/missing.toml"},
    ],
)
def test_a_missing_file_or_repository_is_a_warning_and_nothing_applies(
    fake_github: FakeFactory, env: dict[str, str], setting: dict[str, str]
) -> None:
    edit_config(env, "settings", "exceptions", setting)
    summary, _ = run(fake_github, sample_org.build_for(DAY1), env, DAY1)
    assert summary["status"] == "succeeded"
    records = output(env, "repositories.json")
    assert all(r["exceptions"] == {} for r in records)
    source = f"{setting['repository']}:{setting['path']}"
    warnings = summary["collections"]["repositories"]["warnings"]
    assert [w for w in warnings if w.startswith(f"exceptions file {source} was not found")]
    assert summary["exceptions"]["source"] == source
    assert summary["exceptions"]["active"] == 0


# --- two runs: changes.json and trend.json ------------------------------------------------


def expected_point(day: datetime, repositories: Any, dependabot: Any, secrets: Any) -> Any:
    """What trend.json must hold for one run's files, counted here independently."""
    failing = Counter(check for record in repositories for check in record["failing"])
    severities = Counter(alert["severity"] for alert in dependabot)
    return {
        "date": day.date().isoformat(),
        "repositories": len(repositories),
        "failing": {check: failing[check] for check in CHECKS},
        "non_compliant": sum(1 for r in repositories if r["failing"]),
        "unknown": sum(1 for r in repositories if r.get("unknown")),
        "excepted": sum(1 for r in repositories if r["exceptions"]),
        "dependabot_overdue": {s: severities[s] for s in ("critical", "high", "medium", "low")},
        "secret_scanning_overdue": len(secrets),
    }


def local_files(env: dict[str, str]) -> tuple[Any, Any, Any]:
    return (
        output(env, "repositories.json"),
        output(env, "dependabot.json"),
        output(env, "secret_scanning.json"),
    )


def mtime(env: dict[str, str], name: str) -> str:
    stamp = os.stat(Path(env["OUTPUT_DIR"]) / name).st_mtime
    return iso(datetime.fromtimestamp(stamp, UTC))


NO_PREVIOUS_REPOSITORIES = {
    "status": "no_previous",
    "previous_written_at": None,
    "added": [],
    "removed": [],
    "newly_failing": [],
    "newly_passing": [],
}
NO_PREVIOUS_ALERTS = {"status": "no_previous", "previous_written_at": None, "new": [], "gone": []}


def second_run_changes(written: dict[str, str]) -> dict[str, Any]:
    changes = sample_org.SECOND_RUN_CHANGES
    return {
        "schema_version": 1,
        "org": ORG,
        "run_started_at": iso(DAY2),
        "repositories": {
            "status": "compared",
            "previous_written_at": written["repositories.json"],
            "added": [],
            "removed": [],
            "newly_failing": changes["newly_failing"],
            "newly_passing": changes["newly_passing"],
        },
        "dependabot": {
            "status": "compared",
            "previous_written_at": written["dependabot.json"],
            "new": changes["dependabot_new"],
            "gone": changes["dependabot_gone"],
        },
        "secret_scanning": {
            "status": "compared",
            "previous_written_at": written["secret_scanning.json"],
            "new": [],
            "gone": [],
        },
    }


def test_two_local_runs_give_the_exact_changes_and_trend(
    fake_github: FakeFactory, env: dict[str, str]
) -> None:
    run(fake_github, sample_org.build_for(DAY1), env, DAY1)
    first = output(env, "changes.json")
    assert first == {
        "schema_version": 1,
        "org": ORG,
        "run_started_at": iso(DAY1),
        "repositories": NO_PREVIOUS_REPOSITORIES,
        "dependabot": NO_PREVIOUS_ALERTS,
        "secret_scanning": NO_PREVIOUS_ALERTS,
    }
    point1 = expected_point(DAY1, *local_files(env))
    assert output(env, "trend.json") == [point1]
    written = {name: mtime(env, name) for name in DATASET_FILES}

    run(fake_github, sample_org.build_second_run_for(DAY2), env, DAY2)
    assert output(env, "changes.json") == second_run_changes(written)
    point2 = expected_point(DAY2, *local_files(env))
    trend = output(env, "trend.json")
    assert trend == [point1, point2]
    # The injected changes, as counts: one check fixed, one new failure,
    # one high alert fixed, one new critical one.
    assert (
        point2["failing"]["unprotected_branches"] == point1["failing"]["unprotected_branches"] - 1
    )
    assert point2["failing"]["gitignore_missing"] == point1["failing"]["gitignore_missing"] + 1
    assert point2["dependabot_overdue"]["critical"] == point1["dependabot_overdue"]["critical"] + 1
    assert point2["dependabot_overdue"]["high"] == point1["dependabot_overdue"]["high"] - 1
    jsonschema.validate(output(env, "changes.json"), schema("changes.schema.json"))
    jsonschema.validate(trend, schema("trend.schema.json"))


def test_a_failed_dependabot_collection_is_not_collected_and_keeps_its_file(
    fake_github: FakeFactory, env: dict[str, str]
) -> None:
    run(fake_github, sample_org.build_for(DAY1), env, DAY1)
    before = (Path(env["OUTPUT_DIR"]) / "dependabot.json").read_bytes()
    summary, _ = run(
        fake_github,
        sample_org.build_second_run_for(DAY2),
        env,
        DAY2,
        faults=Faults(failing_routes={"dependabot_alerts": 502}),
    )
    assert summary["collections"]["dependabot"]["status"] == "failed"
    assert (Path(env["OUTPUT_DIR"]) / "dependabot.json").read_bytes() == before
    changes = output(env, "changes.json")
    assert changes["dependabot"] == {
        "status": "not_collected",
        "previous_written_at": None,
        "new": [],
        "gone": [],
    }
    assert changes["repositories"]["status"] == "compared"
    trend = output(env, "trend.json")
    assert [point["date"] for point in trend] == ["2026-11-30", "2026-12-07"]
    assert trend[1]["dependabot_overdue"] is None
    assert trend[1]["repositories"] == len(output(env, "repositories.json"))
    jsonschema.validate(trend, schema("trend.schema.json"))
    assert "Not compared: not collected this run." in output(env, "digest.md")


def test_a_second_run_on_the_same_date_replaces_that_dates_point(
    fake_github: FakeFactory, env: dict[str, str]
) -> None:
    run(fake_github, sample_org.build_for(DAY1), env, DAY1)
    later = DAY1 + timedelta(hours=9)
    run(fake_github, sample_org.build_second_run_for(DAY1), env, later)
    trend = output(env, "trend.json")
    assert trend == [expected_point(later, *local_files(env))]
    assert (
        output(env, "changes.json")["repositories"]["newly_failing"]
        == (sample_org.SECOND_RUN_CHANGES["newly_failing"])
    )


def test_the_digest_of_the_second_run_names_exactly_the_injected_changes(
    fake_github: FakeFactory, env: dict[str, str]
) -> None:
    run(fake_github, sample_org.build_for(DAY1), env, DAY1)
    run(fake_github, sample_org.build_second_run_for(DAY2), env, DAY2)
    text = output(env, "digest.md")
    sections = digest_sections(text)
    assert sections["Newly failing repositories (1)"] == ["- `billing-api`: gitignore_missing"]
    assert sections["Fixed since the previous run (1)"] == [
        "- `checkout-web`: unprotected_branches"
    ]
    (new,) = sample_org.SECOND_RUN_CHANGES["dependabot_new"]
    (gone,) = sample_org.SECOND_RUN_CHANGES["dependabot_gone"]
    assert sections["Dependabot, critical and high (1)"] == [f"- critical: `inventory-api` {new}"]
    assert sections["Secret scanning (0)"] == ["None."]
    assert sections["No longer overdue (1)"] == [f"- Dependabot: {gone}"]
    assert sections["Exceptions expiring within 30 days"] == [
        "- `open-sdk`: license_missing, until 2026-12-27 (approved by legal; entry 1)"
    ]
    compliance = sections["Compliance"]
    assert "- Checks that got worse: `gitignore_missing` " in compliance[1 + 1]
    assert "- Checks that improved: `unprotected_branches` " in compliance[3]


def digest_sections(text: str) -> dict[str, list[str]]:
    """Heading -> its non-blank lines."""
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("#"):
            current = line.lstrip("#").strip()
            sections[current] = []
        elif line.strip():
            sections[current].append(line)
    return sections


# --- S3 over moto's server ------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def test_two_runs_in_s3_give_the_exact_changes_and_trend(
    fake_github: FakeFactory, env: dict[str, str], moto_endpoint: str
) -> None:
    s3 = boto_client("s3", moto_endpoint)
    bucket = "policy-findings-two-runs"
    s3.create_bucket(Bucket=bucket)
    s3_env = {**env, "WRITE_TO_S3": "true", "S3_BUCKET": bucket}
    with environ(aws_env(moto_endpoint)):
        run(fake_github, sample_org.build_for(DAY1), s3_env, DAY1)
        first = s3_objects(s3, bucket)
        written = {
            name: iso(s3.head_object(Bucket=bucket, Key=name)["LastModified"])
            for name in DATASET_FILES
        }
        run(fake_github, sample_org.build_second_run_for(DAY2), s3_env, DAY2)
    objects = s3_objects(s3, bucket)

    assert json.loads(first["changes.json"])["repositories"] == NO_PREVIOUS_REPOSITORIES
    assert json.loads(objects["changes.json"]) == second_run_changes(written)
    for name in ("changes.json", "digest.md"):  # latest and history
        assert objects[f"history/2026-12-07/{name}"] == objects[name]
        assert f"history/2026-11-30/{name}" in objects
    assert not [key for key in objects if key.endswith("/trend.json")]  # latest only
    point1 = expected_point(
        DAY1,
        *(
            json.loads(first[f"{n}.json"])
            for n in ("repositories", "dependabot", "secret_scanning")
        ),
    )
    point2 = expected_point(
        DAY2,
        *(
            json.loads(objects[f"{n}.json"])
            for n in ("repositories", "dependabot", "secret_scanning")
        ),
    )
    assert json.loads(objects["trend.json"]) == [point1, point2]
    jsonschema.validate(json.loads(objects["changes.json"]), schema("changes.schema.json"))
    jsonschema.validate(json.loads(objects["trend.json"]), schema("trend.schema.json"))


def test_the_digest_is_published_to_the_topic_when_configured(
    fake_github: FakeFactory, env: dict[str, str], moto_endpoint: str
) -> None:
    sns = boto_client("sns", moto_endpoint)
    sqs = boto_client("sqs", moto_endpoint)
    topic = sns.create_topic(Name="policy-digest")["TopicArn"]
    queue = sqs.create_queue(QueueName="digest-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    with environ(aws_env(moto_endpoint) | {"AWS_ENDPOINT_URL_SNS": moto_endpoint}):
        run(
            fake_github,
            sample_org.build_for(DAY1),
            {**env, "DIGEST_TOPIC_ARN": topic},
            DAY1,
        )
    (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == f"GitHub policy digest: {ORG}, 2026-11-30"
    assert body["Message"] == output(env, "digest.md")


def test_a_run_that_collects_nothing_writes_no_changes_trend_or_digest(
    fake_github: FakeFactory, env: dict[str, str]
) -> None:
    summary, _ = run(
        fake_github,
        sample_org.build_for(DAY1),
        env,
        DAY1,
        faults=Faults(failing_routes={"org_repos": 502}),
    )
    assert summary["status"] == "failed"
    files = sorted(path.name for path in Path(env["OUTPUT_DIR"]).iterdir())
    assert "changes.json" not in files and "trend.json" not in files
    assert "digest.md" not in files
    assert summary["exceptions"]["source"] == SOURCE  # configured, never applied
    assert summary["exceptions"]["active"] == 0


def test_unreadable_previous_copies_claim_nothing_and_keep_the_trend(
    fake_github: FakeFactory, env: dict[str, str]
) -> None:
    out = Path(env["OUTPUT_DIR"])
    out.mkdir(parents=True)
    (out / "repositories.json").write_text("{not json")
    (out / "dependabot.json").write_text('[{"alert_url": "https://x/1"}, {"number": 2}]')
    (out / "trend.json").write_text("[{truncated")
    summary, logs = run(fake_github, sample_org.build_for(DAY1), env, DAY1)
    assert summary["status"] == "succeeded"
    changes = output(env, "changes.json")
    assert changes["repositories"]["status"] == "not_collected"
    assert changes["dependabot"]["status"] == "not_collected"  # JSON, but not records
    assert changes["secret_scanning"]["status"] == "no_previous"
    assert (out / "trend.json").read_text() == "[{truncated"  # never restarted by a fault
    errors = {line["message"]: line for line in logs if line["level"] == "ERROR"}
    assert "previous copy is not JSON" in errors
    assert errors["previous copy is not a list of records"]["error"] == (
        "item 1 is not a record with a 'alert_url' string"
    )
    messages = list(errors)
    assert "trend not updated: previous trend.json is not JSON" in messages
    assert "## Newly failing repositories (0)\n\nNot compared: not collected this run." in (
        output(env, "digest.md")
    )


def test_in_s3_a_failed_dependabot_collection_is_not_collected_and_keeps_its_object(
    fake_github: FakeFactory, env: dict[str, str], moto_endpoint: str
) -> None:
    s3 = boto_client("s3", moto_endpoint)
    bucket = "policy-findings-dependabot-fails"
    s3.create_bucket(Bucket=bucket)
    s3_env = {**env, "WRITE_TO_S3": "true", "S3_BUCKET": bucket}
    with environ(aws_env(moto_endpoint)):
        run(fake_github, sample_org.build_for(DAY1), s3_env, DAY1)
        before = s3_objects(s3, bucket)["dependabot.json"]
        run(
            fake_github,
            sample_org.build_second_run_for(DAY2),
            s3_env,
            DAY2,
            faults=Faults(failing_routes={"dependabot_alerts": 502}),
        )
    objects = s3_objects(s3, bucket)
    assert objects["dependabot.json"] == before
    assert "history/2026-12-07/dependabot.json" not in objects
    changes = json.loads(objects["changes.json"])
    assert changes["dependabot"]["status"] == "not_collected"
    assert (
        changes["repositories"]["newly_failing"] == (sample_org.SECOND_RUN_CHANGES["newly_failing"])
    )
    trend = json.loads(objects["trend.json"])
    assert [point["dependabot_overdue"] is None for point in trend] == [False, True]
