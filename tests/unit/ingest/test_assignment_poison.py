"""A feed record that is not a feed is dead-lettered once and the assignment thread goes on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingest.assignment import FeedAssignment
from ingest.feeds import Feed
from parley.deadletter import DeadLetter


class Loop:
    def __init__(self) -> None:
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def call_soon_threadsafe(self, func: Callable[..., Any], *args: Any) -> None:
        self.calls.append((func, args))


class Poller:
    def upsert(self, feed: Feed, partition: int | None = None) -> None: ...

    def remove(self, feed_id: str) -> None: ...


def assignment(letters: list[DeadLetter]) -> tuple[FeedAssignment, Loop]:
    # Only the record handling is exercised: no consumer (and no broker) is needed for it.
    loop = Loop()
    obj = FeedAssignment.__new__(FeedAssignment)
    obj.topic, obj.poller, obj.loop = "feeds", Poller(), loop  # type: ignore[assignment]
    obj._dead_letter, obj._dead_lettered = letters.append, set()
    return obj, loop


def test_poison_feed_records_are_dead_lettered_once_and_good_ones_applied() -> None:
    letters: list[DeadLetter] = []
    feeds, loop = assignment(letters)
    good = Feed(url="https://example.org/rss")
    nested = b'{"url": "https://example.org/x", "tags": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    for offset, value in enumerate([b"{not json", nested, b'{"url": 5}']):
        feeds._apply(0, b"k", value, offset)
    feeds._apply(0, good.id.encode(), good.to_bytes(), 3)
    feeds._apply(0, b"k", b"{not json", 0)  # read again on the next assignment
    assert [(dl.reason, dl.source_offset) for dl in letters] == [
        ("invalid_feed_record", 0),
        ("invalid_feed_record", 1),
        ("invalid_feed_record", 2),
    ]
    assert letters[0].payload() == b"{not json" and letters[0].worker == "poller"
    ((func, args),) = loop.calls
    assert func.__name__ == "upsert" and args[0].id == good.id
