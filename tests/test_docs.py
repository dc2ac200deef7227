"""The operator docs keep up with the code.

Every exception class the runtime code defines must be explained on
docs/operations.md; every environment variable the configuration reads and
every config.json key must be on docs/configuration.md; every page of the nav
must exist and every page must be in the nav. Adding an error class, a
variable or a key without documenting it fails here.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.contract import INTERFACE_ENV_VARS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RUNTIME_PACKAGES = ("github_client", "collectors", "policy", "datalogger")

# The interface's event keys (spec/interface.md). Its environment variables are
# INTERFACE_ENV_VARS: some are read by github_client (the key sources) rather
# than datalogger/config.py, and all must be documented whoever reads them.
SPEC_EVENT_KEYS = ("org", "write_to_s3", "collections", "output_prefix")

BUILTIN_EXCEPTIONS = frozenset(
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type)
    and issubclass(getattr(builtins, name), BaseException)
)
ENV_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


# --- discovery -------------------------------------------------------------


def runtime_sources() -> list[Path]:
    """handler.py and every module of the runtime packages."""
    files = [
        path for path in (ROOT / "handler.py", ROOT / "organisations_handler.py") if path.exists()
    ]
    for package in RUNTIME_PACKAGES:
        files.extend(sorted((ROOT / package).rglob("*.py")))
    return files


def base_name(node: ast.expr) -> str | None:
    """`Foo` for `Foo`, `errors.Foo` or `Foo[...]`; None for anything else."""
    if isinstance(node, ast.Subscript):
        return base_name(node.value)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def class_bases(sources: dict[str, str]) -> dict[str, set[str]]:
    """Every class defined in the sources -> the names of its bases."""
    bases: dict[str, set[str]] = {}
    for label, text in sources.items():
        for node in ast.walk(ast.parse(text, filename=label)):
            if isinstance(node, ast.ClassDef):
                names = {name for b in node.bases if (name := base_name(b)) is not None}
                bases.setdefault(node.name, set()).update(names)
    return bases


def exception_classes(sources: dict[str, str]) -> set[str]:
    """Classes deriving from an exception, directly or through project classes."""
    bases = class_bases(sources)
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            if name not in found and parents & (BUILTIN_EXCEPTIONS | found):
                found.add(name)
                changed = True
    return found


def project_exception_classes() -> set[str]:
    sources = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in runtime_sources()}
    return exception_classes(sources)


def env_var_names(source: str) -> set[str]:
    """String constants in the source that look like environment variable names."""
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ENV_VAR_NAME.match(node.value)
    }


def json_keys(value: Any) -> Iterator[str]:
    """Every object key of a JSON document, at any depth."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from json_keys(child)
    elif isinstance(value, list):
        for child in value:
            yield from json_keys(child)


class _MkDocsLoader(yaml.SafeLoader):
    """SafeLoader that tolerates mkdocs.yml's `!!python/name:` tags (value: None)."""


_MkDocsLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/", lambda _loader, _suffix, _node: None
)
_MkDocsLoader.add_multi_constructor("!", lambda _loader, _suffix, _node: None)


def mkdocs_config() -> dict[str, Any]:
    loaded = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), _MkDocsLoader)  # noqa: S506 - SafeLoader subclass
    assert isinstance(loaded, dict)
    return loaded


def nav_files(nav: Any) -> Iterator[str]:
    """Every page path of a mkdocs nav (external links excluded)."""
    if isinstance(nav, str):
        if not re.match(r"^[a-z]+://", nav):
            yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from nav_files(item)
    elif isinstance(nav, dict):
        for child in nav.values():
            yield from nav_files(child)


def page_text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", text) is not None


# --- the discovery itself must catch what it is meant to catch --------------


def test_discovery_finds_exceptions_through_project_classes() -> None:
    sources = {
        "a.py": "class BaseErr(Exception): ...\nclass Plain: ...\n",
        "b.py": (
            "from a import BaseErr\nimport a\n"
            "class Direct(a.BaseErr): ...\n"
            "class Indirect(Direct): ...\n"
            "class Mixed(Plain, KeyError): ...\n"
            "class NotOne(Plain): ...\n"
        ),
    }
    assert exception_classes(sources) == {"BaseErr", "Direct", "Indirect", "Mixed"}


def test_discovery_finds_env_var_names_but_not_log_levels() -> None:
    source = 'import os\nX = os.environ.get("NEW_SETTING")\nLEVELS = ("INFO", "DEBUG")\n'
    assert env_var_names(source) == {"NEW_SETTING"}


def test_runtime_code_defines_the_documented_error_tree() -> None:
    found = project_exception_classes()
    # The interface's minimum (docs/architecture.md); more are welcome.
    assert {"GitHubError", "CollectionError", "ConfigError"} <= found


# --- operations.md -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(project_exception_classes()))
def test_every_error_class_is_explained_on_operations_page(name: str) -> None:
    assert mentions(page_text("operations.md"), name), (
        f"{name} is raised by the runtime code but docs/operations.md does not explain it: "
        "add what it means and how to fix it."
    )


# --- configuration.md --------------------------------------------------------


def config_env_vars() -> set[str]:
    path = ROOT / "datalogger" / "config.py"
    names = env_var_names(path.read_text(encoding="utf-8")) if path.exists() else set()
    return names | set(INTERFACE_ENV_VARS)


def config_json_keys() -> set[str]:
    return set(json_keys(json.loads((ROOT / "config.json").read_text(encoding="utf-8"))))


@pytest.mark.parametrize("name", sorted(config_env_vars()))
def test_every_environment_variable_is_on_configuration_page(name: str) -> None:
    assert mentions(page_text("configuration.md"), name), (
        f"{name} is read by the configuration but docs/configuration.md does not document it."
    )


def test_config_json_has_the_documented_sections() -> None:
    keys = config_json_keys()
    assert {"features", "settings", "thread_count", "dependabot_thresholds"} <= keys


@pytest.mark.parametrize("key", sorted(config_json_keys()))
def test_every_config_json_key_is_on_configuration_page(key: str) -> None:
    assert f"`{key}`" in page_text("configuration.md"), (
        f"config.json key {key!r} is not documented on docs/configuration.md."
    )


def test_configuration_page_shows_the_shipped_config_json() -> None:
    """The page's example is the file that ships, not an older copy."""
    text = page_text("configuration.md")
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    shipped = json.loads((ROOT / "config.json").read_text(encoding="utf-8"))
    assert any(json.loads(block) == shipped for block in blocks), (
        "docs/configuration.md no longer shows the shipped config.json"
    )


@pytest.mark.parametrize("key", SPEC_EVENT_KEYS)
def test_every_event_key_is_on_configuration_page(key: str) -> None:
    assert f"`{key}`" in page_text("configuration.md")


# --- datasets -----------------------------------------------------------------


def check_names() -> tuple[str, ...]:
    from policy.checks import CHECK_NAMES  # noqa: PLC0415 - pure module, no I/O

    return tuple(CHECK_NAMES)


@pytest.mark.parametrize("check", check_names())
def test_every_check_has_its_section_on_repositories_page(check: str) -> None:
    assert f"### `{check}`" in page_text("datasets/repositories.md"), (
        f"check {check!r} has no section on docs/datasets/repositories.md"
    )


# --- the site ----------------------------------------------------------------


def test_every_nav_entry_exists() -> None:
    pages = list(nav_files(mkdocs_config()["nav"]))
    assert pages, "mkdocs.yml has no nav"
    missing = [page for page in pages if not (DOCS / page).is_file()]
    assert not missing, f"nav entries without a file in docs/: {missing}"


def test_every_page_is_in_the_nav() -> None:
    in_nav = set(nav_files(mkdocs_config()["nav"]))
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert on_disk - in_nav == set(), "pages missing from the nav in mkdocs.yml"


def test_site_builds_offline() -> None:
    """No theme font download, and only the built-in plugins."""
    config = mkdocs_config()
    assert config["theme"]["font"] is False
    plugins = config.get("plugins", ["search"])
    names = {p if isinstance(p, str) else next(iter(p)) for p in plugins}
    assert names <= {"search"}, f"plugins that may need the network: {names - {'search'}}"


def test_site_builds_strict_without_warnings(tmp_path: Path) -> None:
    """A broken link, a missing #anchor or a page outside the nav fails the build.

    Run without --quiet on purpose: mkdocs 1.6 counts strict-mode warnings only
    when they are emitted, and --quiet silences them (the build then passes).
    """
    result = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert result.returncode == 0, "mkdocs --strict failed:\n" + "\n".join(
        warnings or result.stderr.splitlines()[-20:]
    )
    assert (tmp_path / "operations" / "index.html").is_file()


# --- first contact: what the README and the pages promise ----------------------


def test_the_node_floor_is_the_pinned_clis_and_the_readme_says_it() -> None:
    engines = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["engines"]["node"]
    osls = ROOT / "node_modules" / "osls" / "package.json"
    if osls.exists():  # after `npm ci`: the range is the CLI's own, not a guess
        assert engines == json.loads(osls.read_text(encoding="utf-8"))["engines"]["node"]
    assert engines.startswith("^20.19.0")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Node.js 22 or 24" in readme and "Node.js 20.19 or later" in readme
    assert "Node.js 22 or 24" in page_text("deployment.md")


def test_serve_docs_hides_the_end_of_life_banner_like_docs() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target, command in (("docs", "mkdocs build --strict"), ("serve-docs", "mkdocs serve")):
        recipe = re.search(rf"^{target}:.*\n\t(.*)$", makefile, re.MULTILINE)
        assert recipe is not None, f"no {target} target"
        assert recipe.group(1).startswith("NO_MKDOCS_2_WARNING=1 ") and command in recipe.group(1)
    assert "Zensical" in page_text("architecture.md")  # the decision about Material is recorded


SETUP_ERRORS = ("ConfigError", "PrivateKeyError", "AppAuthError", "AppNotInstalledError")


@pytest.mark.parametrize("page", ["index.md", "datasets/run-summary.md"])
def test_pages_agree_on_what_a_failed_authentication_writes(page: str) -> None:
    """Nothing for the four setup errors; a failed summary for any other auth failure."""
    text = page_text(page)
    assert all(mentions(text, name) for name in SETUP_ERRORS), page
    assert "nothing" in text


def test_index_says_a_network_failure_while_authenticating_writes_the_summary() -> None:
    text = " ".join(page_text("index.md").split())
    assert "GitHub unreachable or down" in text
    assert "writes `run_summary.json` with status `failed`" in text
    assert '"GitHub App authentication failed: …"' in text


def test_pirr_is_spelled_out() -> None:
    text = page_text("datasets/repositories.md")
    assert "Private/Internal Repository Reasoning Record" in text
