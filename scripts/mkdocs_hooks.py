"""MkDocs hooks (mkdocs.yml ``hooks:``): the site works with no network.

Material for MkDocs loads mermaid from a CDN (unpkg) unless a global
``mermaid`` already exists. This hook ships the library from the npm package
pinned in package.json (``node_modules/mermaid``, installed by ``make setup``)
as ``assets/javascripts/mermaid.min.js``, which mkdocs.yml's
``extra_javascript`` loads on every page: diagrams render offline, and the
version is the one the lock file names rather than whatever the CDN serves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

MERMAID_DIST = Path("node_modules") / "mermaid" / "dist" / "mermaid.min.js"
MERMAID_URI = "assets/javascripts/mermaid.min.js"


def mermaid_source(config_file: str | Path) -> Path:
    """The pinned mermaid build beside mkdocs.yml; a clear error when npm ci has not run."""
    path = Path(config_file).resolve().parent / MERMAID_DIST
    if not path.is_file():
        raise PluginError(
            f"{path} is missing: the docs ship mermaid from the npm package pinned in "
            "package.json. Run `npm ci` (or `make setup`) first."
        )
    return path


def on_files(files: Files, config: Any, **_: Any) -> Files:
    """Add the pinned mermaid.min.js to the site."""
    source = mermaid_source(config.config_file_path)
    files.append(File.generated(config, MERMAID_URI, abs_src_path=str(source)))
    return files
