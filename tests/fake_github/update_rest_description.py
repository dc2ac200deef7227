"""Regenerate ``rest_description.json``: the part of GitHub's REST description we use.

    python -m tests.fake_github.update_rest_description [--version 23.0.2] [--source FILE]

GitHub publishes its REST API as an OpenAPI document (github/rest-api-description);
the npm package ``@octokit/openapi`` carries it as ``generated/api.github.com.json``
(13 MB, 400 MB unpacked with the other plans). The fake GitHub validates every
REST request and answer against the operations listed in :data:`OPERATIONS`, so
only those are vendored, with every component they reference and without the
examples. The script fetches the package with ``npm pack`` (the npm registry
only; ``--source`` reads an ``api.github.com.json`` already on disk instead),
and records the package version, its publication date, the source file's
SHA-256 and today's date under ``info.x-vendored``.

To serve a new REST route: add its operation here, rerun the script, and commit
the regenerated file (``tests/test_rest_contract.py`` fails until the fake's
routes and this list agree).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/openapi"
VERSION = "23.0.2"
MEMBER = "package/generated/api.github.com.json"
TARGET = Path(__file__).with_name("rest_description.json")

# (method, path template) of every REST operation the fake GitHub serves.
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("get", "/orgs/{org}/installation"),
    ("get", "/app/installations"),
    ("post", "/app/installations/{installation_id}/access_tokens"),
    ("get", "/orgs/{org}/repos"),
    ("get", "/orgs/{org}/members"),
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/branches"),
    ("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/orgs/{org}/dependabot/alerts"),
    ("get", "/orgs/{org}/secret-scanning/alerts"),
)


def _refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` string inside ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _without_examples(node: Any) -> Any:
    """``node`` without ``example``/``examples`` (a third of the size, never validated)."""
    if isinstance(node, dict):
        return {
            key: _without_examples(value)
            for key, value in node.items()
            if key not in ("example", "examples")
        }
    if isinstance(node, list):
        return [_without_examples(item) for item in node]
    return node


def subset(
    description: dict[str, Any], operations: Sequence[tuple[str, str]], vendored: dict[str, Any]
) -> dict[str, Any]:
    """The operations asked for, and every component they reach, as an OpenAPI document."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path in operations:
        try:
            operation = description["paths"][path][method]
        except KeyError as missing:
            raise SystemExit(f"{method.upper()} {path} is not in the description") from missing
        paths.setdefault(path, {})[method] = _without_examples(operation)
    components: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    while pending:
        ref = pending.pop()
        _, kind, name = ref.rsplit("/", 2)
        if name in components.get(kind, {}):
            continue
        node = _without_examples(description["components"][kind][name])
        components.setdefault(kind, {})[name] = node
        pending.extend(_refs(node))
    info = dict(description["info"])
    info["x-vendored"] = vendored
    return {
        "openapi": description["openapi"],
        "info": info,
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {
            kind: dict(sorted(named.items())) for kind, named in sorted(components.items())
        },
    }


def fetch(version: str, workdir: Path) -> tuple[Path, str]:
    """``npm pack`` the package; the description's path and the version's publication date."""
    spec = f"{PACKAGE}@{version}"
    subprocess.run(  # noqa: S603 - npm with fixed arguments
        ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],  # noqa: S607
        check=True,
        stdout=subprocess.DEVNULL,
    )
    times = subprocess.run(  # noqa: S603
        ["npm", "view", PACKAGE, "time", "--json"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    published = str(json.loads(times).get(version, ""))
    tarball = next(workdir.glob("*.tgz"))
    with tarfile.open(tarball) as archive:
        archive.extract(MEMBER, workdir, filter="data")
    return workdir / MEMBER, published


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default=VERSION, help=f"{PACKAGE} version")
    parser.add_argument("--source", type=Path, help="an api.github.com.json already on disk")
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        published = None
        source = args.source
        if source is None:
            source, published = fetch(args.version, Path(scratch))
        raw = source.read_bytes()
        description = json.loads(raw)
        vendored = {
            "package": PACKAGE,
            "version": description["info"]["version"],
            "published": published,
            "file": "generated/api.github.com.json",
            "sha256": hashlib.sha256(raw).hexdigest(),
            "vendored_on": datetime.now(UTC).date().isoformat(),
            "operations": [f"{method.upper()} {path}" for method, path in OPERATIONS],
        }
        document = subset(description, OPERATIONS, vendored)
    text = json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
    args.output.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {args.output} ({len(text.encode()) // 1024} KiB)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
