"""The SQLite state: seen ids and feed state survive reopening."""

from __future__ import annotations

from pathlib import Path

from ingest.store import FeedState, IngestStore


def test_seen_ids_and_state_persist(tmp_path: Path) -> None:
    db = tmp_path / "state" / "ingest.sqlite3"
    store = IngestStore(db)
    store.mark_seen("a" * 32, "feed1", at=100.0)
    store.mark_seen("b" * 32, "feed1", at=200.0)
    store.mark_seen("a" * 32, "feed2", at=300.0)  # idempotent
    state = FeedState(feed_id="feed1", url="https://x/", listed_url="https://x/", interval=60.0)
    state.etag = '"e"'
    store.save_state(state)
    store.close()

    again = IngestStore(db)
    ids = [f"{i:032x}" for i in range(1200)] + ["a" * 32]
    assert again.seen(ids) == {"a" * 32}
    assert again.seen_count() == 2
    loaded = again.get_state("feed1")
    assert loaded == state
    assert [s.feed_id for s in again.states()] == ["feed1"]
    assert [s.feed_id for s in again.states(["feed1", "nope"])] == ["feed1"]
    assert again.prune_seen(older_than=150.0) == 1
    assert again.seen(["a" * 32, "b" * 32]) == {"b" * 32}
    assert again.get_state("missing") is None
