"""Reading one cursor listing as several parallel streams, each item exactly once.

A cursor listing (``/orgs/{org}/dependabot/alerts``) can only be read one page
after another: its wall time is its page count times GitHub's time per page.
Two documented ways cut that chain without losing or repeating an item:

- **Splits by a filter whose values partition the listing.** A filter with a
  closed set of values that every item has exactly one of (Dependabot's
  ``severity``) turns one chain into one chain per value, each with its own
  cursor. Which filters qualify is the caller's knowledge, not this module's.
- **Both ends.** A listing sorted by a field can be read from its start
  (``direction=desc``) and its end (``direction=asc``) at once. The two
  streams meet somewhere in the middle; each remembers the items it took, and
  a stream that meets an item the other one took finishes the run of items
  with the *same sort value* (GitHub's order among equal values is not
  promised to reverse exactly) and stops. Everything above the meeting value
  was read by the first stream, everything below by the second, every item of
  the meeting value by one of the two: each item is yielded exactly once. The
  second stream starts only when the first stream's first page says there is
  more, so a short listing costs one request.

Streams run on their own threads (the client paces them with every other
request); pages are handed over through a bounded queue, so memory holds a few
pages, plus one identity per item of a split read from both ends.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from .responses import Page
from .urls import ParamValue

Params = Mapping[str, ParamValue]


class PageReader(Protocol):
    """The part of :class:`~github_client.GitHubClient` the streams need."""

    def pages(self, path: str, params: Params | None = None) -> Iterator[Page]: ...


@dataclass(frozen=True)
class BothEnds:
    """How to read a listing from both ends: the sort parameter and each item's key."""

    identity: Callable[[Any], str]  # unique per item, e.g. its html_url
    sort_value: Callable[[Any], str]  # the value the listing is sorted by
    direction_param: str = "direction"
    forward: str = "desc"
    backward: str = "asc"


@dataclass
class _Meeting:
    """The items two streams of one split took, and whether either saw the whole list."""

    taken: dict[str, str] = field(default_factory=dict)  # identity -> stream name
    finished: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_DONE = object()


def read_streams(
    client: PageReader,
    path: str,
    params: Params,
    splits: Sequence[Params] = ({},),
    *,
    both_ends: BothEnds | None = None,
    queue_pages: int = 8,
) -> Iterator[Any]:
    """Every item of ``path`` with ``params``, read as one stream per split (per end).

    ``splits`` must partition the listing (each item matches exactly one); an
    empty mapping is the whole listing. Items come in no particular order.
    Errors of any stream are raised to the reader; the other streams stop.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=max(queue_pages, 1))
    stop = threading.Event()
    workers = len(splits) * (2 if both_ends else 1)
    executor = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="github-stream")
    started = [0]
    started_lock = threading.Lock()

    def put(item: object) -> bool:
        """Hand ``item`` to the reader; False once the reader went away."""
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run(stream: _Stream) -> None:
        try:
            stream.read(client, path, put, start)
        except BaseException as error:  # noqa: BLE001 - handed to the reader, who raises it
            put(error)
            return
        put(_DONE)

    def start(stream: _Stream) -> None:
        with started_lock:
            if not stop.is_set():
                started[0] += 1
                executor.submit(run, stream)

    for split in splits:
        stream_params = {**params, **split}
        if both_ends is None:
            start(_Stream(stream_params))
        else:
            start(_Stream(stream_params, both_ends, both_ends.forward, _Meeting()))
    try:
        done = 0
        while True:
            with started_lock:
                if done == started[0]:
                    break
            got = handoff.get()
            if got is _DONE:
                done += 1
            elif isinstance(got, BaseException):
                raise got
            elif isinstance(got, list):
                yield from got
    finally:
        stop.set()
        executor.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class _Stream:
    """One cursor chain: the listing's parameters, and its end when read from both."""

    params: Params
    both_ends: BothEnds | None = None
    end: str | None = None
    meeting: _Meeting | None = None

    def read(
        self,
        client: PageReader,
        path: str,
        put: Callable[[object], bool],
        start: Callable[[_Stream], None],
    ) -> None:
        """Read the chain, putting its pages' kept items through ``put``."""
        both_ends, meeting, end = self.both_ends, self.meeting, self.end
        if both_ends is None or meeting is None or end is None:
            for page in client.pages(path, self.params):
                if not put(page.items):
                    return
            return
        met_at: str | None = None
        first = True
        for page in client.pages(path, {**self.params, both_ends.direction_param: end}):
            kept, met_at, stopped = _take(page.items, end, meeting, both_ends, met_at)
            if kept and not put(kept):
                return
            if stopped or meeting.finished:
                return
            if first and end == both_ends.forward and page.has_next:
                start(_Stream(self.params, both_ends, both_ends.backward, meeting))
            first = False
        meeting.finished = True  # this end read the whole listing: the other may stop


def _take(
    page: list[Any], name: str, meeting: _Meeting, both_ends: BothEnds, met_at: str | None
) -> tuple[list[Any], str | None, bool]:
    """The items of ``page`` this stream keeps, the meeting value, and whether it stops."""
    kept: list[Any] = []
    with meeting.lock:
        for item in page:
            identity, value = both_ends.identity(item), both_ends.sort_value(item)
            if met_at is not None and value != met_at:
                return kept, met_at, True
            owner = meeting.taken.get(identity)
            if owner is None:
                meeting.taken[identity] = name
                kept.append(item)
            elif owner != name and met_at is None:
                met_at = value
    return kept, met_at, False
