"""The client's exception tree: every failure an operator can read and act on.

All errors derive from :class:`GitHubError`. Messages name the HTTP method, the
path (query string included: GitHub never puts credentials there), the status
and GitHub's own message, and say how to fix the problem when we know. They
never contain a token, a JWT, a private key or a secret value.
"""

from __future__ import annotations

from typing import Any

_MAX_GITHUB_MESSAGE = 300


def shorten(text: str, limit: int = _MAX_GITHUB_MESSAGE) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class GitHubError(Exception):
    """Base class of every error raised by ``github_client``."""


class PrivateKeyError(GitHubError):
    """The App's private key is missing, unreadable or not a usable PEM key."""


class AppAuthError(GitHubError):
    """GitHub rejected the App's JSON web token (wrong client ID, wrong key, clock)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AppNotInstalledError(GitHubError):
    """The GitHub App is not installed on the organisation."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransportError(GitHubError):
    """No HTTP answer: connection refused or reset, DNS, TLS, read timeout."""

    def __init__(self, method: str, path: str, reason: str, *, attempts: int = 1) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        self.attempts = attempts
        super().__init__(
            f"{method} {path} failed without a complete HTTP answer after {attempts} attempt(s): "
            f"{reason}. Check network access to the GitHub API and its configured base URL."
        )


class HTTPStatusError(GitHubError):
    """GitHub answered with an error status that the client does not retry (any more).

    ``status`` is ``None`` only for a :class:`ServerError` raised after read
    timeouts (no answer at all, as GitHub's heavy GraphQL queries sometimes do).
    """

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        github_message: str,
        *,
        hint: str = "",
        attempts: int = 1,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.github_message = github_message
        self.hint = hint
        self.attempts = attempts
        super().__init__(self._compose())

    def _compose(self) -> str:
        answered = "no answer (timed out)" if self.status is None else f"HTTP {self.status}"
        text = f"{self.method} {self.path} -> {answered}"
        if self.github_message:
            text += f": {shorten(self.github_message)!r}"
        if self.attempts > 1:
            text += f" (after {self.attempts} attempts)"
        if self.hint:
            text += f". {self.hint}"
        return text


class NotFoundError(HTTPStatusError):
    """404: the resource does not exist or the App may not see it."""


class ForbiddenError(HTTPStatusError):
    """403 that is not a rate limit: a missing permission or a disabled feature."""


class ServerError(HTTPStatusError):
    """5xx (or a timeout) still failing after the allowed retries."""


class RateLimitExceeded(GitHubError):  # noqa: N818 (public name, see architecture.md)
    """A rate limit whose wait does not fit in the remaining time (or retries ran out)."""

    def __init__(
        self,
        method: str,
        path: str,
        *,
        kind: str,
        status: int | None,
        wait_seconds: float,
        reset_at: float | None,
        reason: str,
    ) -> None:
        self.method = method
        self.path = path
        self.kind = kind
        self.status = status
        self.wait_seconds = wait_seconds
        self.reset_at = reset_at
        self.reason = reason
        reset = "" if reset_at is None else f"; the limit resets at epoch {int(reset_at)}"
        # No status when an earlier answer (another request's) set the pause.
        answered = "" if status is None else f" (HTTP {status})"
        super().__init__(
            f"{method} {path} hit GitHub's {kind.replace('_', ' ')}"
            f"{answered}: {reason}; a wait of {wait_seconds:.0f} s was needed{reset}. "
            "Run again after the reset, lower thread_count, or give the run more time."
        )


class DeadlineExceeded(GitHubError):  # noqa: N818 (public name, see architecture.md)
    """No time left for another GitHub request in this run."""


class GraphQLError(GitHubError):
    """A GraphQL answer with ``errors`` (and possibly partial ``data``)."""

    def __init__(
        self, path: str, errors: list[dict[str, Any]], data: dict[str, Any] | None
    ) -> None:
        self.path = path
        self.errors = errors
        self.data = data
        super().__init__(f"POST {path} answered GraphQL errors: {summarise_graphql_errors(errors)}")


class ResponseFormatError(GitHubError):
    """GitHub's answer could not be understood (not JSON, wrong shape, bad Link header)."""

    def __init__(
        self, method: str, path: str, status: int | None, problem: str, *, attempts: int = 1
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.problem = problem
        self.attempts = attempts
        super().__init__(
            f"{method} {path} -> HTTP {status}: unusable answer after {attempts} attempt(s): "
            f"{problem}. A proxy or GitHub outage may be returning pages that are not the API's."
        )


def summarise_graphql_errors(errors: list[dict[str, Any]], limit: int = 3) -> str:
    """The first ``limit`` errors as ``[TYPE] message (path a.b)``, joined by ``; ``."""
    parts = []
    for error in errors[:limit]:
        kind = error.get("type") or (error.get("extensions") or {}).get("code") or "ERROR"
        text = f"[{kind}] {shorten(str(error.get('message', '')), 200)}"
        path = error.get("path")
        if isinstance(path, list) and path:
            text += " (path " + ".".join(str(p) for p in path) + ")"
        parts.append(text)
    more = len(errors) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts) if parts else "(empty errors list)"
