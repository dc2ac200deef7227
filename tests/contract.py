"""Where tests read the specification's machine-readable contract.

The authoritative copies live in ``../shared`` beside the repository (as CI
lays it out): GitHub's GraphQL schema and the JSON Schemas of the outputs.
The repository vendors copies (``tests/fake_github/schema.graphql``,
``docs/schemas/``) so that a plain clone still runs its tests;
``tests/test_contract.py`` fails when a vendored copy drifts from ``../shared``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"

SHARED_GRAPHQL_SCHEMA = SHARED / "github" / "schema.graphql"
VENDORED_GRAPHQL_SCHEMA = REPO_ROOT / "tests" / "fake_github" / "schema.graphql"

# The interface's environment variables (spec/interface.md "Environment").
INTERFACE_ENV_VARS = (
    "GITHUB_ORG",
    "GITHUB_APP_CLIENT_ID",
    "GITHUB_APP_PRIVATE_KEY",
    "GITHUB_APP_PRIVATE_KEY_FILE",
    "AWS_SECRET_NAME",
    "GITHUB_API_URL",
    "S3_BUCKET",
    "WRITE_TO_S3",
    "OUTPUT_DIR",
    "CONFIG_PATH",
    "THREAD_COUNT",
    "LOG_LEVEL",
)

SHARED_OUTPUT_SCHEMAS = SHARED / "spec" / "schemas"
VENDORED_OUTPUT_SCHEMAS = REPO_ROOT / "docs" / "schemas"


def graphql_schema_path() -> Path:
    """GitHub's GraphQL SDL: the shared copy when present, else the vendored one."""
    return SHARED_GRAPHQL_SCHEMA if SHARED_GRAPHQL_SCHEMA.is_file() else VENDORED_GRAPHQL_SCHEMA


def output_schema_path(file_name: str) -> Path:
    """The JSON Schema of one output document, e.g. ``repositories.schema.json``."""
    shared = SHARED_OUTPUT_SCHEMAS / file_name
    return shared if shared.is_file() else VENDORED_OUTPUT_SCHEMAS / file_name


@functools.cache
def checklist_names() -> tuple[str, ...]:
    """The 14 checks of ``repositories.json``, in the order the schema lists them."""
    schema = json.loads(output_schema_path("repositories.schema.json").read_text(encoding="utf-8"))
    names: list[str] = schema["items"]["properties"]["checklist"]["required"]
    return tuple(names)
