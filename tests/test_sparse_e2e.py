"""End to end against a sparse GitHub: only what its REST description guarantees.

The fake thins REST answers (``FakeGitHub(..., sparse=...)``, see
tests/fake_github/sparse.py): ``omit`` leaves out every optional field and nulls
every required nullable one; ``null`` keeps every field and nulls every nullable
one. The logger must still complete its run, and a fact GitHub did not give is
"GitHub did not say" (spec/findings.md: an unknown check, or a null fact), never
a crash and never a compliant answer.

Each operation the runtime reads is thinned alone first (so that a failure
names its answer), then all of them at once.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import handler
from github_client import ManualClock
from tests.contract import VENDORED_OUTPUT_SCHEMAS
from tests.fake_github import FakeGitHub
from tests.fake_github.sparse import NULL, OMIT
from tests.runtime_support import RUN_START, handler_env
from tests.test_handler import canary_org

DATASETS = ("repositories.json", "dependabot.json", "secret_scanning.json")
ALL = None
# GitHub's description marks every field of a secret scanning alert optional. An
# alert without its URL, number, state, date or repository cannot be a record, so
# the collection fails closed, naming the field, and last week's file stays.
ALERT_WITHOUT_IDENTITY = (OMIT, "secret-scanning/list-alerts-for-org")


CASES = [
    pytest.param(OMIT, "repos/list-for-org"),
    pytest.param(NULL, "repos/list-for-org"),
    pytest.param(OMIT, "apps/create-installation-access-token"),
    pytest.param(OMIT, "orgs/list-members"),
    pytest.param(NULL, "orgs/list-members"),
    pytest.param(OMIT, "dependabot/list-alerts-for-org"),
    pytest.param(NULL, "dependabot/list-alerts-for-org"),
    pytest.param(OMIT, "secret-scanning/list-alerts-for-org"),
    pytest.param(NULL, "secret-scanning/list-alerts-for-org"),
    pytest.param(OMIT, ALL),
    pytest.param(NULL, ALL),
]


def run_logger(fake: FakeGitHub, tmp_path: Path, key: str) -> dict[str, Any]:
    """One local run of the handler against ``fake``; its run summary (also when it failed)."""
    env = handler_env(tmp_path, fake.url, key)
    clock = ManualClock(start=RUN_START.timestamp())
    services = handler.Services(env=env, clock=clock, log_stream=io.StringIO())
    try:
        summary: dict[str, Any] = handler.run({}, None, services)
    except handler.RunFailed as failed:
        summary = failed.summary
    return summary


def outputs(tmp_path: Path) -> dict[str, Any]:
    """Every file the run wrote, validated against the schema the project ships.

    (``docs/schemas``, which tests/test_contract.py holds equal to the spec's.)
    """
    documents: dict[str, Any] = {}
    for name in (*DATASETS, "run_summary.json"):
        if not (tmp_path / "output" / name).exists():
            continue
        document = json.loads((tmp_path / "output" / name).read_bytes())
        path = VENDORED_OUTPUT_SCHEMAS / name.replace(".json", ".schema.json")
        validator = jsonschema.Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))
        validator.validate(document)
        documents[name] = document
    return documents


@pytest.mark.parametrize(("mode", "operation"), CASES)
def test_a_run_against_a_sparse_github_completes(
    fake_github: Callable[..., FakeGitHub],
    app_private_key: str,
    tmp_path: Path,
    mode: str,
    operation: str | None,
) -> None:
    fake = fake_github(canary_org(), clock=ManualClock(start=RUN_START.timestamp()), sparse=mode)
    if operation is not None:
        fake.contract.sparse_operations = {operation}
    summary = run_logger(fake, tmp_path, app_private_key)
    docs = outputs(tmp_path)
    collections = summary["collections"]
    if mode == ALERT_WITHOUT_IDENTITY[0] and operation in (ALL, ALERT_WITHOUT_IDENTITY[1]):
        assert summary["status"] == "partial"
        assert collections["secret_scanning"]["status"] == "failed"
        assert "'html_url' should be a string" in collections["secret_scanning"]["error"]
        assert "secret_scanning.json" not in docs
        expected = ("repositories", "dependabot")
    else:
        assert summary["status"] == "succeeded"
        expected = ("repositories", "dependabot", "secret_scanning")
    for name in expected:
        assert collections[name]["status"] == "succeeded", name
    assert [r["name"] for r in docs["repositories.json"]] == ["api", "empty", "internal-docs"]
    assert fake.contract.violations == []
    if mode == OMIT and operation in (ALL, "repos/list-for-org"):
        # security_and_analysis absent: the public repository's check fails closed, unknown.
        api = docs["repositories.json"][0]
        assert api["checklist"]["secret_scanning_disabled"] is True
        assert "secret_scanning_disabled" in api.get("unknown", {"secret_scanning_disabled": ""})
