"""``python -m handler``: one local run, JSON log lines, exit 0 / 1 / 2, a last human line."""

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
    """stdout, every non-empty line parsed as one JSON object."""
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


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
    # stderr: nothing on success, else the cause in one line for a person.
    if exit_code == 0:
        assert result.stderr == ""
    else:
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith("The data logger run failed: ")
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


def test_help_prints_the_usage_and_runs_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "handler", "--help"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "OUTPUT_DIR": str(tmp_path / "out")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m handler [-h]\n")
    for words in ("GITHUB_ORG", "GITHUB_APP_PRIVATE_KEY_FILE", "docs/configuration.md"):
        assert words in result.stdout
    assert "  2  the run could not start" in result.stdout
    assert result.stderr == ""
    assert not (tmp_path / "out").exists()


def test_an_unknown_argument_is_refused_with_the_usage() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "handler", "--org", "acme"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "python -m handler: error: unrecognized arguments: --org acme"
    )


def test_a_missing_key_file_is_a_setup_error_exit_2(
    fake_github: Callable[..., FakeGitHub], tmp_path: Path, app_private_key: str
) -> None:
    """As docs/configuration.md says: the run could not start, nothing was written."""
    fake = fake_github(small_org())
    missing = tmp_path / "no-such-key.pem"
    env = handler_env(tmp_path, fake.url, app_private_key, GITHUB_APP_PRIVATE_KEY_FILE=str(missing))
    env.pop("GITHUB_APP_PRIVATE_KEY", None)
    result = python_m_handler(env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        f"The data logger run failed: Cannot read the GitHub App private key from file {missing} "
        "(GITHUB_APP_PRIVATE_KEY_FILE): No such file or directory. Check the path and the "
        "file's permissions.\n"
    )
    assert fake.stats.total == 0
    assert not (Path(env["OUTPUT_DIR"]) / "run_summary.json").exists()
