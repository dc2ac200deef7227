"""The request and response values passed between the server and the route handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DOCS = "https://docs.github.com/rest"


@dataclass
class FakeRequest:
    method: str
    target: str  # as sent: path and query string
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path.rstrip("/") or "/"
        self.query: list[tuple[str, str]] = parse_qsl(parts.query, keep_blank_values=True)
        self.params: dict[str, str] = dict(self.query)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def base_url(self) -> str:
        """``http://HOST`` from the Host header, as GitHub builds its Link URLs."""
        return "http://" + (self.header("host") or "127.0.0.1")


@dataclass
class FakeResponse:
    status: int
    payload: Any = None  # JSON-ready; ignored when ``raw`` is set
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json; charset=utf-8"
    # Send the headers and half the body, then drop the connection (a reset mid-answer).
    cut: bool = False
    # Modelled GitHub service time, when the route knows it better than the
    # pipeline's default (GraphQL: from the query's node estimate).
    service_seconds: float | None = None
    # List items of an answer kept as ``raw`` bytes (for the service-time model).
    items: int | None = None

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.payload, separators=(",", ":")).encode("utf-8")


def error_response(status: int, message: str, docs: str = DOCS) -> FakeResponse:
    """GitHub's REST error body: ``{"message", "documentation_url", "status"}``."""
    return FakeResponse(
        status, {"message": message, "documentation_url": docs, "status": str(status)}
    )


def not_found() -> FakeResponse:
    return error_response(404, "Not Found")
