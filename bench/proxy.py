"""A counting pass-through proxy between the handler and the fake (``--classify``).

The fake counts requests by route; every GraphQL request is one route. To
tell repository-fact batches from follow-up pages and people look-ups, the
proxy reads each GraphQL body's operation name (``query RepositoryFacts(...)``)
and counts requests per kind. It forwards everything else unchanged, keeps
the ``Host`` header so that the fake's ``Link`` URLs point back at the proxy,
and adds one local hop per request: use it for the breakdown, not for timing.
With ``github_sized_alerts`` it also pads every alert to GitHub's real size
(``bench.github_sized``), to measure memory against realistic pages.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import urllib3

from bench.github_sized import alert_kind, pad_page

_OPERATION = re.compile(r"^\s*(query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)")
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length"}
_OWN_HEADERS = {"date", "server"}  # send_response writes its own


def graphql_kind(body: bytes) -> str:
    """``graphql:<OperationName>`` of a GraphQL request body, else ``graphql:anonymous``."""
    try:
        query = json.loads(body).get("query", "")
    except (ValueError, AttributeError):
        return "graphql:unreadable"
    match = _OPERATION.match(query) if isinstance(query, str) else None
    return f"graphql:{match.group(2)}" if match else "graphql:anonymous"


class CountingProxy:
    """Forwards to ``upstream``; ``kinds`` counts GraphQL requests by operation name."""

    def __init__(self, upstream: str, github_sized_alerts: bool = False) -> None:
        self.upstream = upstream.rstrip("/")
        self.github_sized_alerts = github_sized_alerts
        self.kinds: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._pool = urllib3.PoolManager(maxsize=128, retries=False, timeout=120.0)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> CountingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._pool.clear()

    def count(self, kind: str) -> None:
        with self._lock:
            self.kinds[kind] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.kinds)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(_ForwardingHandler):
            owner: ClassVar[CountingProxy] = proxy

        return Handler


class _ForwardingHandler(BaseHTTPRequestHandler):
    owner: ClassVar[CountingProxy]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the fake keeps the request log."""

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.split("?", 1)[0].endswith("/graphql"):
            self.owner.count(graphql_kind(body))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
        answer = self.owner._pool.request(
            self.command,
            self.owner.upstream + self.path,
            body=body or None,
            headers=headers,
            redirect=False,
            preload_content=True,
        )
        data = answer.data
        kind = alert_kind(self.path)
        if self.owner.github_sized_alerts and kind and answer.status == 200:
            data = pad_page(data, kind)
        self.send_response(answer.status)
        for key, value in answer.headers.items():
            if key.lower() not in _HOP_HEADERS | _OWN_HEADERS:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
