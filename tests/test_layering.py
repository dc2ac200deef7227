"""The layering holds: facts apart from judgement, wiring apart from work.

- no module under ``collectors/`` imports the policy;
- ``policy/`` does no I/O and its tests are literal tables (no fake, no network,
  no files);
- ``handler.py`` is under 120 lines;
- ``github_client/`` imports no boto3 and names no environment variable.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.contract import INTERFACE_ENV_VARS, REPO_ROOT

# Modules a pure policy module may not import (I/O, clocks, processes, networks).
IO_MODULES = {
    "os",
    "io",
    "time",
    "socket",
    "subprocess",
    "pathlib",
    "shutil",
    "tempfile",
    "urllib3",
    "boto3",
    "botocore",
    "github_client",
    "threading",
    "concurrent",
    "logging",
    "random",
}


def python_files(package: str) -> list[Path]:
    return sorted((REPO_ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` of the file names (top level too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def roots(modules: set[str]) -> set[str]:
    return {module.split(".")[0] for module in modules}


@pytest.mark.parametrize("path", python_files("collectors"), ids=lambda p: p.name)
def test_no_collector_imports_the_policy(path: Path) -> None:
    assert "policy" not in roots(imported_modules(path)), path


@pytest.mark.parametrize("path", python_files("policy"), ids=lambda p: p.name)
def test_policy_does_no_io(path: Path) -> None:
    imported = roots(imported_modules(path))
    assert not imported & IO_MODULES, (path, imported & IO_MODULES)
    # Facts are the only collector code the policy may read (plain data and parsing).
    collectors = {m for m in imported_modules(path) if m.startswith("collectors")}
    assert collectors <= {"collectors", "collectors.facts", "collectors.codeowners"}
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\bopen\(|datetime\.now|\.now\(\)|time\.time", text), path


POLICY_TESTS = ("test_policy.py", "test_policy_unknown.py")


@pytest.mark.parametrize("name", POLICY_TESTS)
def test_policy_tests_are_literal_tables(name: str) -> None:
    path = REPO_ROOT / "tests" / name
    imported = imported_modules(path)
    assert not roots(imported) & (IO_MODULES | {"handler", "datalogger"}), imported
    assert not any(m.startswith(("tests.fake_github", "tests.fixtures")) for m in imported)
    assert "pytest.mark.parametrize" in path.read_text(encoding="utf-8")


def test_handler_is_wiring_under_120_lines() -> None:
    lines = (REPO_ROOT / "handler.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 120


@pytest.mark.parametrize("path", python_files("github_client"), ids=lambda p: p.name)
def test_github_client_knows_no_boto3_and_no_environment_variable(path: Path) -> None:
    imported = roots(imported_modules(path))
    assert not imported & {"boto3", "botocore"}, path
    text = path.read_text(encoding="utf-8")
    named = [name for name in INTERFACE_ENV_VARS if re.search(rf"\b{name}\b", text)]
    assert named == [], (path, named)
    assert not re.search(r"\benviron\b|getenv", text), path


def test_the_registry_is_the_one_list_of_collections() -> None:
    """No other runtime module spells the three collection names as a list."""
    pattern = re.compile(r"\(\s*\"repositories\",\s*\"dependabot\",\s*\"secret_scanning\"")
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for package in ("handler.py", "collectors", "datalogger", "policy", "bench")
        for path in ([REPO_ROOT / package] if package.endswith(".py") else python_files(package))
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
