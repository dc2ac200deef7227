"""API URLs: the GraphQL endpoint rule and safe request targets."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

ParamValue = str | int | bool
Params = Mapping[str, ParamValue]


class ForeignURLError(ValueError):
    """A URL that is not on the configured API host (credentials must not go there)."""


def graphql_url_for(api_url: str) -> str:
    """The GraphQL endpoint for the REST base ``api_url``.

    ``https://api.github.com`` -> ``https://api.github.com/graphql``;
    ``https://HOST/api/v3`` (GitHub Enterprise Server) -> ``https://HOST/api/graphql``;
    any other base (a local test server) -> ``BASE/graphql``.
    """
    base = api_url.rstrip("/")
    parts = urlsplit(base)
    if (parts.hostname or "").lower() == "api.github.com" and parts.path in ("", "/"):
        return f"{parts.scheme}://{parts.netloc}/graphql"
    if parts.path.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


def encode_params(params: Params | None) -> str:
    """``params`` as a query string; booleans as ``true``/``false``."""
    if not params:
        return ""
    pairs = [(k, _param_text(v)) for k, v in params.items()]
    return urlencode(pairs)


def _param_text(value: ParamValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ApiBase:
    """The configured API base URL and the rule for what may be requested under it."""

    def __init__(self, api_url: str) -> None:
        self.url = api_url.rstrip("/")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"The API base URL {api_url!r} is not an http(s) URL, e.g. https://api.github.com"
            )
        self.origin = (parts.scheme, parts.netloc.lower())

    def target(self, path_or_url: str, params: Params | None = None) -> str:
        """Absolute URL for a path (``/orgs/x``) or a URL on the API host, plus ``params``."""
        if path_or_url.startswith(("http://", "https://")):
            self.check_same_origin(path_or_url)
            url = path_or_url
        elif path_or_url.startswith("/"):
            url = self.url + path_or_url
        else:
            raise ValueError(f"path {path_or_url!r} must start with '/' or be an absolute URL")
        query = encode_params(params)
        if query:
            url += ("&" if "?" in url else "?") + query
        return url

    def check_same_origin(self, url: str) -> None:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc.lower()) != self.origin:
            raise ForeignURLError(
                f"URL {display_path(url)!r} on {parts.netloc!r} is not on the API host "
                f"{self.origin[1]!r}; refusing to send credentials there"
            )


def display_path(url: str) -> str:
    """The path and query of ``url``, for messages and logs (no host, no credentials)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path
