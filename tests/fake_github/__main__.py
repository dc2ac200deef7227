"""Serve a fake GitHub out of process (benchmark, demo).

    python -m tests.fake_github --org MODULE:FUNCTION [--org-arg N] --port 0 \\
        --key-file PATH [--latency-ms 50] [--sparse omit|null] \\
        [--service-model [--time-scale 0.2]] [--secondary-limits] [--frozen-org]

Loads the Organization from a zero- or one-argument factory, writes the App's
private key to PATH (mode 0600), prints ONE JSON line
``{"url", "client_id", "app_id", "org", "key_file"}`` and serves until SIGTERM or
SIGINT. ``GET /_fake/stats`` returns the request counters as JSON, and
``GET /_fake/contract`` what broke GitHub's REST description (see openapi.py).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from tests.fake_github.faults import Faults
from tests.fake_github.model import Organization
from tests.fake_github.server import FakeGitHub
from tests.fake_github.service_model import ModelClock, SecondaryLimits, ServiceModel
from tests.fake_github.sparse import MODES


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_github", description=__doc__)
    parser.add_argument("--org", required=True, help="MODULE:FUNCTION returning an Organization")
    parser.add_argument("--org-arg", help="one argument for the factory (int when numeric)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key-file", required=True, help="where to write the App's PEM key")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--client-id", default="Iv1.testapp")
    parser.add_argument("--app-id", type=int, default=4242)
    parser.add_argument("--max-concurrency", type=int, default=None)
    parser.add_argument("--rest-budget", type=int, default=5000)
    parser.add_argument("--graphql-budget", type=int, default=5000)
    parser.add_argument(
        "--service-model",
        action="store_true",
        help="answer after GitHub-like service times (tests/fake_github/service_model.py)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="real seconds per modelled second (service times and limit windows)",
    )
    parser.add_argument(
        "--secondary-limits",
        action="store_true",
        help="enforce GitHub's secondary limits (100 concurrent, 900 REST / 2,000 GraphQL "
        "points a modelled minute)",
    )
    parser.add_argument(
        "--frozen-org",
        action="store_true",
        help="the organisation never changes: keep sorted listings between pages",
    )
    parser.add_argument(
        "--sparse", choices=MODES, default=None, help="thin REST answers (see sparse.py)"
    )
    return parser.parse_args(argv)


def load_org(spec: str, arg: str | None) -> Organization:
    """Call ``MODULE:FUNCTION`` with ``arg`` (int when numeric) or no argument."""
    module_name, _, function_name = spec.partition(":")
    if not module_name or not function_name:
        raise SystemExit(f"--org must be MODULE:FUNCTION, got {spec!r}")
    factory: Callable[..., Any] = getattr(importlib.import_module(module_name), function_name)
    args: list[Any] = []
    if arg is not None:
        args.append(int(arg) if arg.lstrip("-").isdigit() else arg)
    org = factory(*args)
    if not isinstance(org, Organization):
        raise SystemExit(f"{spec} returned {type(org).__name__}, not an Organization")
    return org


def write_key(path: str, pem: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(pem)
    os.chmod(path, 0o600)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    org = load_org(args.org, args.org_arg)
    faults = Faults(
        latency=args.latency_ms / 1000.0,
        max_concurrency=args.max_concurrency,
        rest_budget=args.rest_budget,
        graphql_budget=args.graphql_budget,
    )
    fake = FakeGitHub(
        org,
        client_id=args.client_id,
        app_id=args.app_id,
        faults=faults,
        service_model=ServiceModel() if args.service_model else None,
        secondary_limits=SecondaryLimits() if args.secondary_limits else None,
        model_clock=ModelClock(args.time_scale),
        frozen_org=args.frozen_org,
        sparse=args.sparse,
    )
    write_key(args.key_file, fake.private_key_pem)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    fake.start(args.host, args.port)
    info = {
        "url": fake.url,
        "client_id": fake.client_id,
        "app_id": fake.app_id,
        "org": org.login,
        "key_file": args.key_file,
    }
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
