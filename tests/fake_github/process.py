"""Run the fake GitHub in a child process (``python -m tests.fake_github``).

One launcher for the benchmark and the demo::

    with start_fake_process("tests.fake_github.sample_org:build", key_file) as fake:
        ...  # fake.url, fake.client_id, fake.org, fake.key_file

:func:`start_fake_process` waits for the child's one JSON address line and
keeps reading its stdout afterwards, so that the child can never block on a
full pipe; leaving the ``with`` block stops it (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import urllib3

REPO_ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60.0
STOP_SECONDS = 15.0


class FakeStartError(Exception):
    """The fake GitHub process did not print its address line."""


@dataclass(frozen=True)
class FakeProcess:
    """A running ``python -m tests.fake_github`` and the address line it printed."""

    process: subprocess.Popen[bytes]
    url: str
    client_id: str
    org: str
    key_file: Path

    def contract_violations(self) -> list[dict[str, Any]]:
        """What broke GitHub's REST description so far (``GET /_fake/contract``)."""
        answer = urllib3.request(
            "GET", self.url + "/_fake/contract", headers={"User-Agent": "fake-github-process"}
        )
        if answer.status != 200:
            raise RuntimeError(f"GET {self.url}/_fake/contract answered {answer.status}")
        violations: list[dict[str, Any]] = answer.json()["violations"]
        return violations

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``STOP_SECONDS``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> FakeProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_fake_process(
    org_factory: str,
    key_file: Path,
    extra_args: Sequence[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    stderr: int | IO[Any] | None = None,
    timeout: float = START_SECONDS,
) -> FakeProcess:
    """Start the fake serving ``org_factory`` (``MODULE:FUNCTION``) on a free port.

    ``extra_args`` are more ``python -m tests.fake_github`` options (``--org-arg``,
    ``--latency-ms``, budgets). Raises :class:`FakeStartError` when no address
    line comes within ``timeout`` seconds; the child is killed then.
    """
    command = [
        sys.executable,
        "-m",
        "tests.fake_github",
        "--org",
        org_factory,
        "--port",
        "0",
        "--key-file",
        str(key_file),
        *extra_args,
    ]
    process = subprocess.Popen(  # noqa: S603 - this interpreter running our own module
        command,
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )
    try:
        info = json.loads(_first_line(process, timeout))
        fake = FakeProcess(
            process=process,
            url=str(info["url"]),
            client_id=str(info["client_id"]),
            org=str(info["org"]),
            key_file=Path(info["key_file"]),
        )
    except (FakeStartError, ValueError, KeyError, TypeError) as error:
        process.kill()
        process.wait()
        raise FakeStartError(f"the fake GitHub did not start: {error}") from error
    _drain(process)
    return fake


def _first_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"\n" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise FakeStartError(f"no address line within {timeout:.0f} s")
            if not selector.select(timeout=left):
                continue
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise FakeStartError(f"it exited with status {process.wait()}")
            buffer += chunk
    return buffer.split(b"\n", 1)[0].decode()


def _drain(process: subprocess.Popen[bytes]) -> None:
    """Keep reading the child's stdout so that it can never block on a full pipe."""
    stream = process.stdout
    assert stream is not None

    def read_all() -> None:
        while stream.read(65536):
            pass

    threading.Thread(target=read_all, name="fake-github-stdout", daemon=True).start()
