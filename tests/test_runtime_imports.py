"""Runtime code imports only the standard library, urllib3, PyJWT, cryptography and boto3.

What Lambda runs is ``handler.py``, ``github_client/``, ``collectors/`` and
``datalogger/`` plus ``requirements.txt``; a test or dev tool imported by any
of them would crash the deployed function on its first run.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.contract import REPO_ROOT

RUNTIME_PACKAGES = ("github_client", "collectors", "policy", "datalogger")
# botocore comes with boto3 (its exception classes); the Lambda runtime provides both.
THIRD_PARTY = {"urllib3", "jwt", "cryptography", "boto3", "botocore"}
PROJECT = {*RUNTIME_PACKAGES, "handler"}


def runtime_files() -> list[Path]:
    files = [REPO_ROOT / "handler.py"]
    for package in RUNTIME_PACKAGES:
        files.extend(sorted((REPO_ROOT / package).rglob("*.py")))
    return files


def imported_top_level_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize("path", runtime_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_runtime_module_imports_only_allowed_packages(path: Path) -> None:
    allowed = set(sys.stdlib_module_names) | THIRD_PARTY | PROJECT
    assert imported_top_level_modules(path) - allowed == set()


def test_requirements_pin_exactly_the_runtime_dependencies() -> None:
    lines = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pinned = {line.split("==")[0].strip().lower() for line in lines if "==" in line}
    assert pinned == {"urllib3", "pyjwt", "cryptography", "boto3"}
