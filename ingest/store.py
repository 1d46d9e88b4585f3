"""Seen article ids and per-feed polling state, in one SQLite file (``state_dir/ingest.sqlite3``).

Why SQLite rather than a compacted Kafka topic: a poller asks "seen?" for every feed entry, and
the answer must be exact across restarts for millions of ids.  SQLite answers from disk with an
index lookup (no start-up replay, no memory proportional to the history), commits atomically
right after Kafka acknowledged a record, and is readable by ``parley feeds status`` while
pollers run (WAL mode allows one writer and many readers; several poller processes on one host
share the file).  Pollers on different hosts keep their own files: when a feed moves to another
host, entries may be produced once more, and the article id (the Kafka key and the Elasticsearch
``_id``) makes that duplicate harmless downstream.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS seen (
    id TEXT PRIMARY KEY,
    feed_id TEXT,
    produced_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_produced_at ON seen (produced_at);
CREATE TABLE IF NOT EXISTS feed_state (
    feed_id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    listed_url TEXT NOT NULL,
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,
    interval REAL NOT NULL,
    next_poll_at REAL NOT NULL DEFAULT 0,
    last_attempt_at REAL,
    last_success_at REAL,
    last_new_item_at REAL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_outcome TEXT,
    last_error TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    items_seen INTEGER NOT NULL DEFAULT 0,
    polls INTEGER NOT NULL DEFAULT 0,
    first_polled_at REAL
) WITHOUT ROWID;
"""

STATUSES = ("active", "failing", "silent", "disabled")


@dataclass
class FeedState:
    feed_id: str
    url: str  # where the feed is polled now (a permanent redirect changes it)
    listed_url: str  # the URL from the feed list; when the list changes, ``url`` follows it
    interval: float
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    next_poll_at: float = 0.0
    last_attempt_at: float | None = None
    last_success_at: float | None = None
    last_new_item_at: float | None = None
    consecutive_failures: int = 0
    last_outcome: str | None = None
    last_error: str | None = None
    status: str = "active"
    items_seen: int = 0
    polls: int = 0
    first_polled_at: float | None = None


_COLUMNS = [f.name for f in fields(FeedState)]


class StoreWriteError(Exception):
    """A write to the state store failed (disk full, I/O error, locked too long).  The poller
    carries on from memory: an unmarked id is produced once more later (same article id, so
    harmless downstream) and feed state is written again at the next poll."""


class IngestStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Autocommit: each statement is its own transaction, so a mark is durable once the call
        # returns; synchronous=NORMAL in WAL mode survives a process crash (kill -9).
        self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.executescript(_DDL)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    # -- seen ids ------------------------------------------------------------------------------

    def seen(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT id FROM seen WHERE id IN ({marks})", chunk)  # noqa: S608
            found.update(row[0] for row in rows)
        return found

    def mark_seen(self, article_id: str, feed_id: str | None, at: float | None = None) -> None:
        self._write(
            "INSERT OR IGNORE INTO seen (id, feed_id, produced_at) VALUES (?, ?, ?)",
            (article_id, feed_id, at if at is not None else time.time()),
        )

    def _write(self, sql: str, params: Sequence[object]) -> None:
        try:
            self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreWriteError(f"{self.path.name}: {exc}") from exc

    def seen_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM seen").fetchone()[0])

    def prune_seen(self, older_than: float) -> int:
        """Forget ids produced before ``older_than`` (epoch seconds); feeds drop old items long
        before that, so they will not come back as new."""
        cursor = self._db.execute("DELETE FROM seen WHERE produced_at < ?", (older_than,))
        return cursor.rowcount

    # -- feed state ----------------------------------------------------------------------------

    def get_state(self, feed_id: str) -> FeedState | None:
        row = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM feed_state WHERE feed_id = ?",  # noqa: S608
            (feed_id,),
        ).fetchone()
        return FeedState(*row) if row else None

    def save_state(self, state: FeedState) -> None:
        values = asdict(state)
        self._write(
            f"INSERT OR REPLACE INTO feed_state ({', '.join(_COLUMNS)}) "  # noqa: S608
            f"VALUES ({', '.join('?' * len(_COLUMNS))})",
            [values[c] for c in _COLUMNS],
        )

    def states(self, feed_ids: Iterable[str] | None = None) -> Iterator[FeedState]:
        query = f"SELECT {', '.join(_COLUMNS)} FROM feed_state"  # noqa: S608
        if feed_ids is None:
            for row in self._db.execute(query + " ORDER BY feed_id"):
                yield FeedState(*row)
            return
        ids = list(feed_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._db.execute(
                query + f" WHERE feed_id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            for row in rows:
                yield FeedState(*row)
