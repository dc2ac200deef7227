"""Shared fixtures: the App's RSA key and a factory of started fake GitHubs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fake_github import FakeGitHub, Faults
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
