"""The organisation's exceptions file, as GitHub serves it: text, or why not.

One request with the App's installation token (Repository → Contents: read):
``GET /repos/{org}/{repository}/contents/{path}``, JSON form (the file's
bytes base64-encoded). Nothing here judges the text; ``policy.exceptions``
does. A missing repository or file, a directory, a file too large for the
contents API or GitHub refusing are facts too: :attr:`ExceptionsFile.missing`
says which, in one sentence an operator can act on, and the run goes on
without exceptions.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from github_client import ForbiddenError, GitHubClient, GitHubError, NotFoundError


@dataclass(frozen=True)
class ExceptionsFile:
    """The exceptions file of one run: its text, or why there is none."""

    repository: str
    path: str
    text: str | None  # None: not read (see ``missing``)
    missing: str | None = None

    @property
    def source(self) -> str:
        """``repo:path``, as the run summary names it."""
        return f"{self.repository}:{self.path}"


def contents_path(org: str, repository: str, path: str) -> str:
    """The REST path of a file, each segment percent-encoded."""
    return (
        f"/repos/{quote(org, safe='')}/{quote(repository, safe='')}"
        f"/contents/{quote(path.strip('/'), safe='/')}"
    )


def read_exceptions_file(
    client: GitHubClient, org: str, repository: str, path: str
) -> ExceptionsFile:
    """The file's text in one request; a missing file or repository is not an error."""
    where = f"{repository}:{path}"

    def missing(why: str) -> ExceptionsFile:
        return ExceptionsFile(repository, path, None, f"exceptions file {where} {why}")

    try:
        response = client.get(contents_path(org, repository, path))
    except NotFoundError:
        return missing(
            f"was not found: the repository {org}/{repository} or the file does not exist, "
            "or the App is not installed on that repository; no exception applies"
        )
    except ForbiddenError as err:
        return missing(
            f"could not be read ({err}); the App needs Repository → Contents: read "
            "on that repository; no exception applies"
        )
    except GitHubError as err:
        return missing(f"could not be read ({err}); no exception applies")
    return _from_answer(repository, path, response.data, missing)


def _from_answer(
    repository: str, path: str, data: Any, missing: Callable[[str], ExceptionsFile]
) -> ExceptionsFile:
    if isinstance(data, list):
        return missing("is a directory, not a file; point settings.exceptions.path at the file")
    if not isinstance(data, dict) or data.get("type") != "file":
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        return missing(f"is not a regular file (GitHub says {kind!r}); no exception applies")
    if data.get("encoding") != "base64" or not isinstance(data.get("content"), str):
        return missing(
            "is too large for GitHub's contents API (over 1 MB) or has no content; "
            "no exception applies"
        )
    try:
        raw = base64.b64decode(data["content"], validate=False)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return missing("is not UTF-8 text; no exception applies")
    return ExceptionsFile(repository, path, text)
