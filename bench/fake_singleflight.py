"""Experiment: the fake GitHub with single-flight GraphQL document analysis.

The fake caches parsed and validated documents by query text, but a cache
miss is not guarded: when the handler's 20 threads send their first
50-repository batch together, every thread parses and validates the same
55 kB query (~0.3 s of CPU each, under one GIL) before the first result
lands in the cache. This module serves the same fake, with the same CLI as
``python -m tests.fake_github``, except that one thread per query text
analyses it while the others wait for that result. It exists to measure
what the stampede costs (docs/performance.md):

    BENCH_FAKE_MODULE=bench.fake_singleflight make bench
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from tests.fake_github.__main__ import load_org, parse_args, write_key
from tests.fake_github.faults import Faults
from tests.fake_github.graphql_exec import GraphQLEngine
from tests.fake_github.server import FakeGitHub


class SingleFlightEngine(GraphQLEngine):
    """The fake's engine; concurrent cache misses on one query text analyse it once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flights_lock = threading.Lock()
        self._flights: dict[str, threading.Lock] = {}

    def _document(self, query: str) -> Any:
        with self._flights_lock:
            flight = self._flights.setdefault(query, threading.Lock())
        with flight:
            return super()._document(query)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    org = load_org(args.org, args.org_arg)
    faults = Faults(
        latency=args.latency_ms / 1000.0,
        max_concurrency=args.max_concurrency,
        rest_budget=args.rest_budget,
        graphql_budget=args.graphql_budget,
    )
    fake = FakeGitHub(org, client_id=args.client_id, app_id=args.app_id, faults=faults)
    fake.graphql = SingleFlightEngine(org, fake.rest)
    write_key(args.key_file, fake.private_key_pem)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    fake.start(args.host, args.port)
    info = {"url": fake.url, "client_id": fake.client_id, "org": org.login}
    sys.stdout.write(json.dumps(info | {"key_file": args.key_file}) + "\n")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
