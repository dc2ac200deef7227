"""Reading the exceptions file: one contents request against the fake, text or why not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from collectors.exceptions_file import ExceptionsFile, contents_path, read_exceptions_file
from github_client import GitHubClient, ManualClock
from tests.conftest import FakeGitHubFactory
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.auth import DEFAULT_PERMISSIONS
from tests.fake_github.model import Organization, Repository
from tests.fixtures.clients import connected_client, run_clock

TOML = '[[exception]]\nrepositories = ["légacy-*"]\n' + "# padding\n" * 30


def org() -> Organization:
    return Organization(
        login="acme",
        repositories=[
            Repository(
                ".github-private",
                files={"policy/exceptions.toml": TOML, "policy/other/x.toml": "", "README.md": ""},
            ),
            Repository("empty", default_branch=None),
        ],
    )


@pytest.fixture
def clock() -> ManualClock:
    return run_clock()


@pytest.fixture
def fake(fake_github: FakeGitHubFactory, clock: ManualClock) -> FakeGitHub:
    return fake_github(org(), clock=clock)


@pytest.fixture
def client(fake: FakeGitHub, clock: ManualClock) -> Iterator[GitHubClient]:
    with connected_client(fake, clock) as connected:
        yield connected


def contents_requests(fake: FakeGitHub) -> list[str]:
    return [entry.path for entry in fake.stats.log if entry.route == "contents"]


def test_the_file_is_read_in_one_request_and_decoded(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    fake.reset_stats()
    read = read_exceptions_file(client, "acme", ".github-private", "policy/exceptions.toml")
    assert read == ExceptionsFile(".github-private", "policy/exceptions.toml", TOML)
    assert read.source == ".github-private:policy/exceptions.toml"
    assert contents_requests(fake) == [
        "/repos/acme/.github-private/contents/policy/exceptions.toml"
    ]
    assert fake.stats.total == 1


@pytest.mark.parametrize(
    ("repository", "path", "why"),
    [
        ("no-such-repo", "policy/exceptions.toml", "was not found: the repository acme/no-such"),
        (".github-private", "policy/missing.toml", "was not found"),
        ("empty", "policy/exceptions.toml", "was not found"),
        (".github-private", "policy", "is a directory, not a file"),
    ],
)
def test_what_cannot_be_read_is_a_reason_not_an_error(
    client: GitHubClient, repository: str, path: str, why: str
) -> None:
    read = read_exceptions_file(client, "acme", repository, path)
    assert read.text is None
    assert read.missing is not None
    assert read.missing.startswith(f"exceptions file {repository}:{path} {why}"), read.missing


def test_without_contents_permission_the_reason_names_it(
    fake_github: FakeGitHubFactory, clock: ManualClock
) -> None:
    permissions = {k: v for k, v in DEFAULT_PERMISSIONS.items() if k != "contents"}
    fake = fake_github(org(), clock=clock, permissions=permissions)
    with connected_client(fake, clock) as client:
        read = read_exceptions_file(client, "acme", ".github-private", "policy/exceptions.toml")
    assert read.text is None
    assert "Repository → Contents: read" in (read.missing or "")


def test_a_file_over_one_megabyte_is_a_reason(
    fake_github: FakeGitHubFactory, clock: ManualClock
) -> None:
    big = org()
    big.repositories[0].files["policy/exceptions.toml"] = "#" * (1024 * 1024 + 1)
    fake = fake_github(big, clock=clock)
    with connected_client(fake, clock) as client:
        read = read_exceptions_file(client, "acme", ".github-private", "policy/exceptions.toml")
    assert "too large" in (read.missing or "")


def test_a_persistent_server_error_is_a_reason_after_the_retries(
    fake_github: FakeGitHubFactory, clock: ManualClock
) -> None:
    fake = fake_github(org(), clock=clock, faults=Faults(failing_routes={"contents": 502}))
    with connected_client(fake, clock) as client:
        read = read_exceptions_file(client, "acme", ".github-private", "policy/exceptions.toml")
    assert read.text is None
    assert "could not be read" in (read.missing or "")
    assert len(contents_requests(fake)) > 1  # retried like any 5xx before giving up


def test_paths_are_percent_encoded_per_segment() -> None:
    assert contents_path("acme", "repo x", "/a b/c#d.toml") == (
        "/repos/acme/repo%20x/contents/a%20b/c%23d.toml"
    )


def test_the_fake_serves_files_and_directories_like_github(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    listing = client.get("/repos/acme/.github-private/contents/policy").data
    assert [(entry["name"], entry["type"]) for entry in listing] == [
        ("exceptions.toml", "file"),
        ("other", "dir"),
    ]
    answer = client.get("/repos/acme/.github-private/contents/policy/exceptions.toml").data
    for key in ("_links", "git_url", "html_url", "download_url", "name", "path", "sha", "size"):
        assert key in answer  # the content-file object's required keys
    assert answer["size"] == len(TOML.encode("utf-8"))
