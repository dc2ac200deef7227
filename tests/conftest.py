"""Shared fixtures: the App's RSA key and a factory of started fake GitHubs.

Every fake GitHub checks the REST traffic against GitHub's description
(``tests/fake_github/openapi.py``); :func:`pytest_runtest_call` fails the test
during which a fake recorded a violation that the test did not ``take()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fake_github import FakeGitHub, Faults, openapi
from tests.fake_github.keys import app_private_key_pem
from tests.fake_github.model import Organization
from tests.fake_github.samples import small_org

FakeGitHubFactory = Callable[..., FakeGitHub]


@pytest.fixture(scope="session")
def app_private_key() -> str:
    """The GitHub App's private key (PEM), generated once per test session."""
    return app_private_key_pem()


@pytest.fixture
def fake_github(app_private_key: str) -> Iterator[FakeGitHubFactory]:
    """Build and start a FakeGitHub: ``fake_github(org=None, faults=None, **kwargs)``.

    ``org`` defaults to :func:`tests.fake_github.samples.small_org`; other
    keyword arguments go to :class:`FakeGitHub` (``clock``, ``installed``,
    ``client_id``, ``token_ttl``...). Every fake is stopped after the test.
    """
    started: list[FakeGitHub] = []

    def factory(
        org: Organization | None = None, faults: Faults | None = None, **kwargs: Any
    ) -> FakeGitHub:
        kwargs.setdefault("private_key_pem", app_private_key)
        fake = FakeGitHub(org if org is not None else small_org(), faults=faults, **kwargs)
        started.append(fake.start())
        return fake

    yield factory
    for fake in started:
        fake.stop()


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    """Undo what a run's logging setup does to the root logger (handlers, level)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test if a fake GitHub saw a request or sent an answer its description forbids."""
    result = yield
    violations = [violation for contract in openapi.pending() for violation in contract.take()]
    if violations:
        lines = "\n".join(f"  {violation.kind}: {violation}" for violation in violations[:20])
        more = f"\n  ... and {len(violations) - 20} more" if len(violations) > 20 else ""
        pytest.fail(
            f"{len(violations)} REST contract violation(s) against GitHub's description "
            f"(tests/fake_github/rest_description.json):\n{lines}{more}",
            pytrace=False,
        )
    return result
