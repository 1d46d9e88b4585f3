"""``parley feeds import|list|status`` on files (no services)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from ingest.feeds import load_feeds
from ingest.store import FeedState, IngestStore
from parley.cli import app

OPML = b"""<?xml version="1.0"?><opml version="1.0"><body>
<outline text="News"><outline text="A" xmlUrl="https://a.example/rss"/></outline>
<outline text="B" xmlUrl="https://b.example/atom"/></body></opml>"""


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """The CLI configures logging onto CliRunner's stream, which is closed afterwards: put the
    defaults back so later tests in this process do not log into a closed file."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "parley.yaml"
    path.write_text(
        json.dumps(
            {
                "ingest": {
                    "feeds_file": str(tmp_path / "feeds.yaml"),
                    "state_dir": str(tmp_path / "state"),
                }
            }
        )
    )
    return path


def test_import_list_and_status(tmp_path: Path, config: Path) -> None:
    runner = CliRunner()
    opml = tmp_path / "subs.opml"
    opml.write_bytes(OPML)
    result = runner.invoke(app, ["-c", str(config), "feeds", "import", str(opml)])
    assert result.exit_code == 0, result.output
    assert "2 feeds added" in result.output
    again = runner.invoke(app, ["-c", str(config), "feeds", "import", str(opml)])
    assert "0 feeds added, 2 already listed" in again.output
    feeds = load_feeds(tmp_path / "feeds.yaml")
    assert [f.tags for f in feeds] == [["News"], []]

    listed = runner.invoke(app, ["-c", str(config), "feeds", "list"])
    assert "a.example" in listed.output and "b.example" in listed.output

    missing = runner.invoke(app, ["-c", str(config), "feeds", "status"])
    assert missing.exit_code == 1
    store = IngestStore(tmp_path / "state" / "ingest.sqlite3")
    store.save_state(
        FeedState(
            feed_id=feeds[0].id,
            url=feeds[0].url,
            listed_url=feeds[0].url,
            interval=900.0,
            consecutive_failures=6,
            status="failing",
            last_error="timeout: total timeout",
            items_seen=12,
        )
    )
    store.close()
    status = runner.invoke(app, ["-c", str(config), "feeds", "status", "--json"])
    assert status.exit_code == 0, status.output
    row = json.loads(status.output.strip().splitlines()[0])
    assert row["status"] == "failing" and row["failures"] == 6 and row["items_seen"] == 12
    assert row["interval_s"] == 900.0


def test_import_of_a_broken_file_is_a_clear_error(tmp_path: Path, config: Path) -> None:
    bad = tmp_path / "bad.opml"
    bad.write_bytes(b"<html>not opml</html>")
    result = CliRunner().invoke(app, ["-c", str(config), "feeds", "import", str(bad)])
    assert result.exit_code == 2
    assert "not an OPML document" in result.output
