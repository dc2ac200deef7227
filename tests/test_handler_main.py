"""``python -m handler``: one local run, nothing but JSON log lines, exit 0 / 1 / 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.samples import small_org
from tests.runtime_support import handler_env

ROOT = Path(__file__).resolve().parent.parent


def python_m_handler(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    child_env = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1", **env}
    return subprocess.run(
        [sys.executable, "-m", "handler"],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def log_lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    """stdout and stderr, every non-empty line parsed as one JSON object."""
    text = result.stdout + result.stderr
    return [json.loads(line) for line in text.splitlines() if line.strip()]


CASES = {
    # id: (faults, environment changes, expected exit status)
    "succeeded": (None, {}, 0),
    "run-failed": (Faults(failing_routes={"dependabot_alerts": 404}), {}, 1),
    "config-error": (None, {"THREAD_COUNT": "lots"}, 2),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_exit_status_and_json_only_output(
    fake_github: Callable[..., FakeGitHub],
    tmp_path: Path,
    app_private_key: str,
    case: tuple[Faults | None, dict[str, str], int],
) -> None:
    faults, env_changes, exit_code = case
    fake = fake_github(small_org(), faults)
    env = handler_env(tmp_path, fake.url, app_private_key, LOG_LEVEL="INFO", **env_changes)
    result = python_m_handler(env)
    assert result.returncode == exit_code, result.stdout + result.stderr
    lines = log_lines(result)
    assert lines, "the run logged nothing"
    assert "Traceback" not in result.stdout + result.stderr
    summary_path = Path(env["OUTPUT_DIR"]) / "run_summary.json"
    if exit_code == 2:
        assert fake.stats.total == 0
        assert not summary_path.exists()
        assert [line["message"] for line in lines if line["level"] == "ERROR"] == [
            "run stopped before collecting"
        ]
    else:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        assert lines[-1 if exit_code == 0 else -2]["message"] == "run finished"
        assert summary["status"] == ("succeeded" if exit_code == 0 else "partial")
