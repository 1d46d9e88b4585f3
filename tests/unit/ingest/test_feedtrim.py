"""Dropping already-produced items before feedparser must not change what the poller sees."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from support.feedparser_corpus import corpus_dir, reply_for

from ingest.feedtrim import scan_feed
from ingest.ids import InvalidUrlError, article_id
from ingest.parse import FeedEntry, parse_feed
from parley.config import REPO_ROOT

FEED_URL = "https://news.example.org/feed.xml"


def rss(n: int, extra_item: str = "", channel_attrs: str = "") -> bytes:
    items = "".join(
        f"<item><title>Story {i}</title><link>https://news.example.org/a/{i}.html</link>"
        f"<guid>id-{i}</guid><pubDate>Mon, 0{1 + i % 9} Jan 2024 10:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;Summary {i}&lt;/p&gt;</description>{extra_item}</item>\n"
        for i in range(n)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"{channel_attrs}><channel>'
        f"<title>News</title><link>https://news.example.org/</link><ttl>15</ttl>\n{items}"
        "</channel></rss>"
    ).encode()


def atom(n: int) -> bytes:
    entries = "".join(
        f"<entry><title>Story {i}</title><id>urn:x:{i}</id>"
        f'<link href="https://news.example.org/a/{i}.html"/>'
        f"<updated>2024-01-0{1 + i % 9}T10:00:00Z</updated></entry>\n"
        for i in range(n)
    )
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>'
        f"<id>urn:feed</id><updated>2024-01-09T10:00:00Z</updated>\n{entries}</feed>"
    ).encode()


def entry_id(entry: FeedEntry) -> str | None:
    try:
        return article_id(entry.link) if entry.link else None
    except InvalidUrlError:
        return None


def check_equivalent(body: bytes, url: str, seen: set[str], min_items: int = 1) -> int:
    """The trimmed parse equals the full parse minus the seen entries; returns items dropped."""
    full = parse_feed(body, url=url)
    scan = scan_feed(body, url, min_items=min_items)
    trimmed = scan.without(seen)
    parsed = parse_feed(trimmed.body, url=url)
    expected = [e for e in full.entries if entry_id(e) not in seen]
    if trimmed.dropped:
        assert parsed.entries == expected
        same = (parsed.title, parsed.version, parsed.hints)
        assert same == (full.title, full.version, full.hints)
        assert bool(parsed.bozo) == bool(full.bozo)
        dropped = [e for e in full.entries if entry_id(e) in seen]
        assert len(dropped) >= trimmed.dropped
        assert sorted(trimmed.dropped_dates) == sorted(
            e.published.timestamp() for e in dropped if e.published
        )
    else:
        assert trimmed.body is body
    return trimmed.dropped


@pytest.mark.parametrize("document", [rss, atom])
def test_seen_items_are_dropped_and_the_rest_parses_the_same(document: object) -> None:
    body = document(200)  # type: ignore[operator]
    ids = [article_id(f"https://news.example.org/a/{i}.html") for i in range(200)]
    seen = set(ids[5:])
    assert check_equivalent(body, FEED_URL, seen, min_items=8) == 195
    parsed = parse_feed(scan_feed(body, FEED_URL).without(seen).body, url=FEED_URL)
    assert [e.title for e in parsed.entries] == [f"Story {i}" for i in range(5)]


def test_nothing_seen_or_too_few_items_keeps_the_original_bytes() -> None:
    body = rss(20)
    assert scan_feed(body, FEED_URL).without(set()).body is body
    small = rss(3)
    seen = {article_id("https://news.example.org/a/1.html")}
    assert scan_feed(small, FEED_URL).without(seen).body is small


@pytest.mark.parametrize(
    "body",
    [
        rss(20).replace(b"</channel>", b"<item><link>broken</channel>"),  # not well-formed
        rss(20, channel_attrs=' xml:base="https://elsewhere.example/"'),
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]>' + rss(20).split(b"?>", 1)[1],
        b"<html><body>" + b"<p>not a feed</p>" * 20 + b"</body></html>",
    ],
    ids=["ill-formed", "xml-base", "internal-dtd", "html"],
)
def test_documents_in_doubt_are_left_whole(body: bytes) -> None:
    seen = {article_id(f"https://news.example.org/a/{i}.html") for i in range(20)}
    scan = scan_feed(body, FEED_URL)
    assert scan.without(seen).body is body


def test_items_with_ambiguous_links_are_kept() -> None:
    # An atom:link next to the RSS link, or a relative link: the full parse decides.
    body = rss(20, extra_item='<atom:link xmlns:atom="http://www.w3.org/2005/Atom" href="/other"/>')
    seen = {article_id(f"https://news.example.org/a/{i}.html") for i in range(20)}
    assert scan_feed(body, FEED_URL).without(seen).dropped == 0
    relative = rss(20).replace(b"<link>https://news.example.org/a/", b"<link>/a/")
    assert scan_feed(relative, FEED_URL).without(seen).dropped == 0


def test_feedparser_corpus_parses_the_same_after_trimming() -> None:
    """Every file of feedparser's own test corpus, with all and with a random half of its
    entries seen."""
    tests: Path = corpus_dir(REPO_ROOT / ".cache" / "feedparser-corpus")
    rng = random.Random(7)
    files = sorted(p for p in tests.rglob("*") if p.is_file() and p.suffix in (".xml", ".rss"))
    assert len(files) > 1000
    trimmed_files = 0
    for path in files:
        status, headers, blob = reply_for(path, tests, "http://127.0.0.1:8000/")
        if status != 200 or headers.get("Content-Encoding"):
            continue
        url = f"http://127.0.0.1:8000/{path.relative_to(tests).as_posix()}"
        ids = [i for i in map(entry_id, parse_feed(blob, url=url).entries) if i]
        for seen in (set(ids), {i for i in ids if rng.random() < 0.5}):
            try:
                trimmed_files += bool(check_equivalent(blob, url, seen))
            except AssertionError as exc:
                raise AssertionError(f"{path.relative_to(tests)}: {exc}") from exc
    # Most corpus files have one entry with a relative or missing link; these did get trimmed.
    assert trimmed_files > 30
