"""Feed list: YAML, OPML import, feed ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.feeds import (
    Feed,
    FeedListError,
    feed_id,
    load_feeds,
    merge_feeds,
    parse_opml,
    save_feeds,
)

OPML = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<opml version="2.0"><head><title>subs</title></head><body>
<outline text="Ukraine" title="Ukraine">
  <outline type="rss" text="Kyiv Daily" xmlUrl="https://kyiv.example/rss" category="politics,war"/>
  <outline type="rss" text="&xxe;" xmlUrl="https://other.example/feed?utm_source=x"/>
</outline>
<outline type="rss" text="Top" xmlUrl="https://top.example/atom.xml" language="en"/>
<outline type="rss" text="Bad" xmlUrl="ftp://nope.example/feed"/>
<outline type="rss" text="Dup" xmlUrl="https://top.example/atom.xml?utm_medium=email"/>
</body></opml>"""


def test_opml_import_tags_from_folders_and_categories() -> None:
    feeds, problems = parse_opml(OPML)
    by_url = {f.url: f for f in feeds}
    assert set(by_url) == {
        "https://kyiv.example/rss",
        "https://other.example/feed?utm_source=x",
        "https://top.example/atom.xml",
    }
    assert by_url["https://kyiv.example/rss"].tags == ["Ukraine", "politics", "war"]
    assert by_url["https://kyiv.example/rss"].title == "Kyiv Daily"
    assert by_url["https://top.example/atom.xml"].language == "en"
    # The external entity is not resolved.
    assert "/" not in (by_url["https://other.example/feed?utm_source=x"].title or "")
    assert len(problems) == 1 and "ftp://nope.example/feed" in problems[0]


def test_opml_rejects_non_opml() -> None:
    with pytest.raises(FeedListError):
        parse_opml(b"<rss/>")
    with pytest.raises(FeedListError):
        parse_opml(b"")


def test_yaml_round_trip_and_merge(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n"
        "  - url: https://a.example/rss\n    outlet: A\n    country: ua\n    tags: [x]\n"
        "    min_interval: 60\n    max_interval: 600\n"
        "  - https://b.example/feed\n"
    )
    feeds = load_feeds(path)
    assert [f.outlet for f in feeds] == ["A", None]
    assert feeds[0].country == "UA" and feeds[0].min_interval == 60
    merged, added = merge_feeds(feeds, [Feed(url="https://c.example/"), feeds[1]])
    assert added == 1
    save_feeds(path, merged)
    again = load_feeds(path)
    assert [f.id for f in again] == [f.id for f in merged]
    assert again[0] == feeds[0]


def test_invalid_entries_are_reported_with_position(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - url: https://ok.example/\n  - url: notaurl\n")
    with pytest.raises(FeedListError, match="feed #2"):
        load_feeds(path)
    path.write_text(
        "feeds:\n  - url: https://ok.example/\n    min_interval: 100\n    max_interval: 10\n"
    )
    with pytest.raises(FeedListError):
        load_feeds(path)
    with pytest.raises(FeedListError):
        load_feeds(tmp_path / "missing.yaml")


def test_feed_id_ignores_tracking_parameters() -> None:
    assert feed_id("https://A.example/rss?utm_source=x") == feed_id("https://a.example/rss")
    assert feed_id("https://a.example/rss?page=2") != feed_id("https://a.example/rss")
    feed = Feed(url="https://a.example/rss")
    assert Feed.from_bytes(feed.to_bytes()) == feed
