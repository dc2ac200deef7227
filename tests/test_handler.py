"""The handler end to end: real HTTP to the fake GitHub, real files, the spec's schemas."""

from __future__ import annotations

import dataclasses
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import handler
from datalogger import registry
from datalogger.errors import RunFailed
from github_client import ManualClock
from github_client.errors import AppAuthError, AppNotInstalledError, PrivateKeyError
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.model import Organization
from tests.fake_github.samples import small_org
from tests.runtime_support import (
    CANARY,
    RUN_START,
    FakeLambdaContext,
    dir_snapshot,
    edit_config,
    handler_env,
    json_log_lines,
    schema,
)

DATASETS = ("repositories.json", "dependabot.json", "secret_scanning.json")
PREVIOUS = b"[ ]\n"  # schema-valid, and never what our writer produces ("[]\n")


def canary_org() -> Organization:
    """The sample organisation, its secret alerts carrying a canary secret."""
    org = small_org()
    for alert in org.secret_scanning_alerts:
        alert.secret = CANARY
    return org


@dataclass
class Invocation:
    """What one handler invocation returned or raised, and what it logged."""

    summary: dict[str, Any] | None
    error: BaseException | None
    log_text: str
    logs: list[dict[str, Any]] = field(default_factory=list)

    def by_message(self, message: str) -> list[dict[str, Any]]:
        return [line for line in self.logs if line["message"] == message]


def invoke(
    env: dict[str, str],
    *,
    clock: ManualClock,
    event: Any = None,
    context: Any = None,
    **services: Any,
) -> Invocation:
    stream = io.StringIO()
    summary: dict[str, Any] | None = None
    error: BaseException | None = None
    try:
        summary = handler.run(
            event if event is not None else {},
            context,
            handler.Services(env=env, clock=clock, log_stream=stream, **services),
        )
    except Exception as exc:  # noqa: BLE001 - the test inspects whatever the handler raised
        error = exc
    return Invocation(summary, error, stream.getvalue(), json_log_lines(stream))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=RUN_START.timestamp())


@pytest.fixture
def start_fake(
    fake_github: Callable[..., FakeGitHub], clock: ManualClock
) -> Callable[..., FakeGitHub]:
    def start(
        org: Organization | None = None, faults: Faults | None = None, **kw: Any
    ) -> FakeGitHub:
        return fake_github(org if org is not None else canary_org(), faults, clock=clock, **kw)

    return start


@pytest.fixture
def fake(start_fake: Callable[..., FakeGitHub]) -> FakeGitHub:
    return start_fake()


@pytest.fixture
def env(tmp_path: Path, fake: FakeGitHub, app_private_key: str) -> dict[str, str]:
    return handler_env(tmp_path, fake.url, app_private_key)


def validate_outputs(output: Path) -> dict[str, Any]:
    """Every file present validates against its schema; returns the parsed documents."""
    documents: dict[str, Any] = {}
    for name in (*DATASETS, "run_summary.json"):
        path = output / name
        if path.exists():
            documents[name] = json.loads(path.read_bytes())
            jsonschema.Draft202012Validator(schema(name.replace(".json", ".schema.json"))).validate(
                documents[name]
            )
    return documents


# --------------------------------------------------------------------------- success


def test_local_run_writes_valid_datasets_then_summary(
    env: dict[str, str], fake: FakeGitHub, clock: ManualClock
) -> None:
    run = invoke(env, clock=clock)
    assert run.error is None, run.error
    output = Path(env["OUTPUT_DIR"])
    docs = validate_outputs(output)
    assert sorted(docs) == sorted((*DATASETS, "run_summary.json"))
    summary = docs["run_summary.json"]
    assert summary == run.summary
    assert summary["status"] == "succeeded"
    assert summary["org"] == "acme"
    assert summary["started_at"] == "2026-11-30T12:00:00Z"
    for name in ("repositories", "dependabot", "secret_scanning"):
        block = summary["collections"][name]
        assert block["status"] == "succeeded"
        assert block["error"] is None
        assert block["records"] == len(docs[f"{name}.json"])
    # small_org: 3 unarchived repositories; overdue open alerts only
    assert [r["name"] for r in docs["repositories.json"]] == ["api", "empty", "internal-docs"]
    assert len(docs["dependabot.json"]) == 2
    assert len(docs["secret_scanning.json"]) == 2  # one of them a generic pattern
    api = summary["api"]
    assert api["rest_requests"] >= 3 and api["graphql_requests"] >= 1
    assert api["rest_requests"] + api["graphql_requests"] <= fake.stats.total
    # the summary is written last, after every dataset
    written = [line["written"] for line in run.logs if "written" in line]
    assert written[-1] == [str(output / "run_summary.json")]
    # every log line is one JSON object carrying the run's keys
    assert all(line["run_id"] and line["org"] == "acme" for line in run.logs[1:])


def test_two_runs_are_byte_identical(
    env: dict[str, str], clock: ManualClock, tmp_path: Path
) -> None:
    assert invoke(env, clock=clock).error is None
    first = dir_snapshot(Path(env["OUTPUT_DIR"]))
    second_dir = tmp_path / "second"
    assert invoke({**env, "OUTPUT_DIR": str(second_dir)}, clock=clock).error is None
    second = dir_snapshot(second_dir)
    for name in DATASETS:
        assert first[name] == second[name]


def test_event_collections_run_only_those_and_leave_others_untouched(
    env: dict[str, str], fake: FakeGitHub, clock: ManualClock
) -> None:
    output = Path(env["OUTPUT_DIR"])
    output.mkdir()
    (output / "repositories.json").write_bytes(PREVIOUS)
    run = invoke(env, clock=clock, event={"collections": ["dependabot"], "source": "aws.events"})
    assert run.error is None
    assert (output / "repositories.json").read_bytes() == PREVIOUS
    assert not (output / "secret_scanning.json").exists()
    summary = validate_outputs(output)["run_summary.json"]
    assert summary["collections"]["repositories"]["status"] == "skipped"
    assert summary["collections"]["secret_scanning"]["status"] == "skipped"
    assert summary["collections"]["dependabot"]["status"] == "succeeded"
    assert fake.stats.graphql == 0  # the repository facts were not gathered
    (ignored,) = run.by_message("event keys ignored")
    assert ignored["keys"] == ["source"]
    assert "aws.events" not in run.log_text


def test_warm_invocation_resets_per_invocation_keys(
    env: dict[str, str], clock: ManualClock, tmp_path: Path
) -> None:
    first = invoke(env, clock=clock, event={"collections": ["dependabot"]})
    bad = {**env, "THREAD_COUNT": "zero"}
    second = invoke(bad, clock=clock, context=FakeLambdaContext(lambda: 900_000))
    assert first.error is None
    assert second.error is not None
    assert {line["run_id"] for line in second.logs} == {"req-test-0001"}
    assert "org" not in second.logs[-1]  # the config was invalid: org never known
    assert {line["run_id"] for line in first.logs}.isdisjoint({"req-test-0001"})


# --------------------------------------------------------------------------- failures


def disable_dependabot(org: Organization) -> None:
    org.dependabot_enabled = False


DEPENDABOT_FAILURES = {
    # id: (edit of the organisation, faults, text the summary's error must contain)
    "route-500": (None, Faults(failing_routes={"dependabot_alerts": 500}), "500"),
    "feature-off-403": (disable_dependabot, None, "403"),
}


@pytest.mark.parametrize("case", DEPENDABOT_FAILURES.values(), ids=DEPENDABOT_FAILURES.keys())
def test_failed_collection_keeps_previous_copy_and_raises(
    start_fake: Callable[..., FakeGitHub],
    tmp_path: Path,
    app_private_key: str,
    clock: ManualClock,
    case: tuple[Callable[[Organization], None] | None, Faults | None, str],
) -> None:
    org_edit, faults, expected_error = case
    org = canary_org()
    if org_edit is not None:
        org_edit(org)
    fake = start_fake(org, faults)
    env = handler_env(tmp_path, fake.url, app_private_key)
    output = Path(env["OUTPUT_DIR"])
    output.mkdir()
    (output / "dependabot.json").write_bytes(PREVIOUS)
    run = invoke(env, clock=clock)
    assert isinstance(run.error, RunFailed)
    assert "dependabot" in str(run.error)
    assert "repositories" not in run.error.failed
    assert (output / "dependabot.json").read_bytes() == PREVIOUS
    docs = validate_outputs(output)
    assert {"repositories.json", "secret_scanning.json", "run_summary.json"} <= set(docs)
    summary = docs["run_summary.json"]
    assert summary["status"] == "partial"
    block = summary["collections"]["dependabot"]
    assert block["status"] == "failed"
    assert block["records"] is None
    assert expected_error in block["error"]
    assert "dependabot/alerts" in block["error"]
    assert run.error.summary == summary
    assert summary["collections"]["repositories"]["status"] == "succeeded"
    (failed_line,) = [
        line for line in run.by_message("collection failed") if line["collection"] == "dependabot"
    ]
    assert failed_line["error_type"] and "traceback" not in failed_line


def test_inventory_failure_fails_every_collection_and_writes_only_the_summary(
    start_fake: Callable[..., FakeGitHub], tmp_path: Path, app_private_key: str, clock: ManualClock
) -> None:
    fake = start_fake(faults=Faults(failing_routes={"org_repos": 404}))
    env = handler_env(tmp_path, fake.url, app_private_key)
    run = invoke(env, clock=clock)
    assert isinstance(run.error, RunFailed)
    output = Path(env["OUTPUT_DIR"])
    assert sorted(p.name for p in output.iterdir()) == ["run_summary.json"]
    summary = validate_outputs(output)["run_summary.json"]
    assert summary["status"] == "failed"
    for block in summary["collections"].values():
        assert block["status"] == "failed"
        assert block["error"].startswith("repository inventory failed: ")


# --------------------------------------------------------------------------- deadline


def test_deadline_already_too_close_does_no_github_work(
    env: dict[str, str], fake: FakeGitHub, clock: ManualClock
) -> None:
    run = invoke(env, clock=clock, context=FakeLambdaContext(lambda: 45_000))
    assert isinstance(run.error, RunFailed)
    assert fake.stats.total == 0
    output = Path(env["OUTPUT_DIR"])
    assert sorted(p.name for p in output.iterdir()) == ["run_summary.json"]
    summary = validate_outputs(output)["run_summary.json"]
    assert summary["status"] == "failed"
    for block in summary["collections"].values():
        assert block["error"].startswith("stopped: Lambda deadline")
        assert "45 s of Lambda time left" in block["error"]


def test_deadline_mid_run_stops_new_work_and_writes_what_succeeded(
    env: dict[str, str], fake: FakeGitHub, clock: ManualClock
) -> None:
    """Time runs out once the App is authenticated and the inventory listed."""
    # installation + access token + one inventory page, then the deadline is < 60 s away
    budget = 3
    context = FakeLambdaContext(lambda: 600_000 if fake.stats.total < budget else 59_000)
    run = invoke(env, clock=clock, context=context)
    assert isinstance(run.error, RunFailed)
    assert fake.stats.total == budget  # no GitHub request after the deadline
    output = Path(env["OUTPUT_DIR"])
    assert sorted(p.name for p in output.iterdir()) == ["run_summary.json"]
    summary = validate_outputs(output)["run_summary.json"]
    for name, block in summary["collections"].items():
        assert block["status"] == "failed", name
        assert block["error"].startswith("stopped: Lambda deadline"), block["error"]
    assert summary["api"]["rest_requests"] == budget


def test_deadline_during_collections_keeps_finished_ones(
    env: dict[str, str], fake: FakeGitHub, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The alert collections finish; the repository facts run into the deadline."""
    alerts_served = threading.Event()
    real_repositories = registry.REGISTRY["repositories"].collect

    def repositories_after_the_alerts(*args: Any) -> Any:
        deadline_s = time.monotonic() + 10
        while time.monotonic() < deadline_s and not alerts_served.is_set():
            routes = fake.stats.by_route
            if routes["dependabot_alerts"] and routes["secret_scanning_alerts"]:
                alerts_served.set()
            time.sleep(0.01)
        return real_repositories(*args)

    monkeypatch.setitem(
        registry.REGISTRY,
        "repositories",
        dataclasses.replace(
            registry.REGISTRY["repositories"], collect=repositories_after_the_alerts
        ),
    )
    # under 60 s left as soon as the repository facts' first GraphQL query was answered
    context = FakeLambdaContext(lambda: 30_000 if fake.stats.by_route["graphql"] else 600_000)
    run = invoke(env, clock=clock, context=context)
    assert alerts_served.is_set()
    assert isinstance(run.error, RunFailed)
    assert list(run.error.failed) == ["repositories"]
    output = Path(env["OUTPUT_DIR"])
    summary = validate_outputs(output)["run_summary.json"]
    assert summary["status"] == "partial"
    assert summary["collections"]["repositories"]["error"].startswith("stopped: Lambda deadline")
    assert not (output / "repositories.json").exists()
    assert (output / "dependabot.json").exists()
    assert (output / "secret_scanning.json").exists()
    assert fake.stats.by_route["graphql"] == 1  # no GitHub request once the deadline was near


# --------------------------------------------------------------------------- App setup errors


APP_ERRORS = {
    # id: (FakeGitHub arguments, environment changes, error type, message fragments)
    "not-installed": ({"installed": False}, {}, AppNotInstalledError, ("404", "acme", "nstall")),
    "wrong-client-id": (
        {},
        {"GITHUB_APP_CLIENT_ID": "Iv1.wrongapp"},
        AppAuthError,
        ("401", "GITHUB_APP_CLIENT_ID"),
    ),
}


@pytest.mark.parametrize("case", APP_ERRORS.values(), ids=APP_ERRORS.keys())
def test_app_errors_give_one_clear_message_and_no_outputs(
    start_fake: Callable[..., FakeGitHub],
    tmp_path: Path,
    app_private_key: str,
    clock: ManualClock,
    case: tuple[dict[str, Any], dict[str, str], type[Exception], tuple[str, ...]],
) -> None:
    fake_kwargs, env_changes, error_type, fragments = case
    fake = start_fake(**fake_kwargs)
    env = handler_env(tmp_path, fake.url, app_private_key, **env_changes)
    run = invoke(env, clock=clock)
    assert isinstance(run.error, error_type)
    for fragment in fragments:
        assert fragment in str(run.error)
    assert not Path(env["OUTPUT_DIR"]).exists()
    errors = [line for line in run.logs if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["message"] == "run stopped before collecting"
    assert errors[0]["error_type"] == error_type.__name__
    assert "traceback" not in errors[0]
    assert fake.stats.by_route["org_repos"] == 0


def test_bad_private_key_stops_before_any_request(
    env: dict[str, str], fake: FakeGitHub, clock: ManualClock
) -> None:
    Path(env["GITHUB_APP_PRIVATE_KEY_FILE"]).write_text("not a key\n", encoding="utf-8")
    run = invoke(env, clock=clock)
    assert isinstance(run.error, PrivateKeyError)
    assert "GITHUB_APP_PRIVATE_KEY_FILE" in str(run.error)
    assert fake.stats.total == 0
    assert not Path(env["OUTPUT_DIR"]).exists()


def test_show_log_locally_copies_the_log_lines(env: dict[str, str], clock: ManualClock) -> None:
    edit_config(env, "features", "show_log_locally", True)
    run = invoke(env, clock=clock, event={"collections": ["secret_scanning"]})
    assert run.error is None
    local = (Path(env["OUTPUT_DIR"]) / "data_logger.log").read_text(encoding="utf-8")
    local_lines = [json.loads(line) for line in local.splitlines()]
    # The same lines; threads that log at once (the inventory is listed while the
    # collections run) may reach the two handlers in a different order.
    canonical = lambda lines: sorted(json.dumps(line, sort_keys=True) for line in lines)  # noqa: E731
    assert canonical(local_lines) == canonical(run.logs[-len(local_lines) :])
    assert local_lines[-1]["message"] == "run finished"


def test_a_collector_bug_is_contained_and_logged_with_its_traceback(
    env: dict[str, str], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> Any:
        return {}["missing-field"]

    monkeypatch.setitem(
        registry.REGISTRY,
        "secret_scanning",
        dataclasses.replace(registry.REGISTRY["secret_scanning"], collect=broken),
    )
    run = invoke(env, clock=clock)
    assert isinstance(run.error, RunFailed)
    assert list(run.error.failed) == ["secret_scanning"]
    summary = validate_outputs(Path(env["OUTPUT_DIR"]))["run_summary.json"]
    assert (
        summary["collections"]["secret_scanning"]["error"] == "unexpected KeyError: 'missing-field'"
    )
    assert summary["collections"]["repositories"]["status"] == "succeeded"
    (crash,) = run.by_message("collection crashed")
    assert crash["exc_type"] == "KeyError"
    assert "broken" in crash["traceback"]
