"""The inventory as it arrives: readers follow it page by page or wait for all of it."""

from __future__ import annotations

import threading

import pytest

from collectors.errors import UnexpectedAnswerError
from collectors.inventory import InventoryFeed, RepoListing


def _listing(name: str) -> RepoListing:
    return RepoListing(
        name=name,
        html_url=f"https://github.com/o/{name}",
        visibility="PRIVATE",
        archived=False,
        created_at="2020-01-01T00:00:00Z",
        pushed_at=None,
        default_branch="main",
        secret_scanning=None,
        push_protection=None,
    )


def test_a_reader_follows_the_pages_as_they_arrive() -> None:
    feed = InventoryFeed()
    seen: list[str] = []
    first_page_read = threading.Event()
    second_page_added = threading.Event()

    def read() -> None:
        for listing in feed.arriving():
            seen.append(listing.name)
            if listing.name == "b":
                first_page_read.set()
                assert second_page_added.wait(5)

    reader = threading.Thread(target=read)
    reader.start()
    feed.add([_listing("a"), _listing("b")])
    assert first_page_read.wait(5)  # read before the listing went on
    feed.add([_listing("c")])
    second_page_added.set()
    feed.finish()
    reader.join(5)
    assert seen == ["a", "b", "c"]
    assert [listing.name for listing in feed] == ["a", "b", "c"] and len(feed) == 3
    assert feed[1].name == "b"


def test_a_failed_listing_fails_every_reader() -> None:
    feed = InventoryFeed()
    feed.add([_listing("a")])
    feed.finish(UnexpectedAnswerError("the listing named a repository twice"))
    with pytest.raises(UnexpectedAnswerError, match="twice"):
        list(feed.arriving())
    with pytest.raises(UnexpectedAnswerError, match="twice"):
        len(feed)


def test_an_empty_inventory_ends() -> None:
    feed = InventoryFeed()
    feed.add([])
    feed.finish()
    assert list(feed.arriving()) == [] and list(feed) == []
