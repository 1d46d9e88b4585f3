"""Feed parsing over fetched bytes (feedparser)."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.parse import html_to_text, parse_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel><title>Ministry news</title><link>http://ministry.example/</link>
<language>uk</language><ttl>45</ttl>
<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>
<item><title>Talks &amp; more</title><link>/news/1?utm_source=rss</link>
<description>&lt;p&gt;The minister &lt;b&gt;said&lt;/b&gt; talks resume.&lt;/p&gt;</description>
<pubDate>Tue, 05 Mar 2024 08:30:00 GMT</pubDate><category>politics</category></item>
<item><title>No link here</title><guid isPermaLink="false">abc-123</guid></item>
<item><title>Guid link</title><guid>https://ministry.example/news/3</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
<entry><title>One</title><link rel="alternate" href="https://a.example/1"/>
<updated>2024-01-02T03:04:05Z</updated><summary>S1</summary></entry></feed>"""


def test_rss_entries_links_hints_and_text() -> None:
    parsed = parse_feed(RSS, url="https://ministry.example/rss.xml")
    assert parsed.is_feed and parsed.bozo is None
    assert parsed.title == "Ministry news" and parsed.language == "uk"
    assert parsed.hints.ttl == 45 * 60
    assert parsed.hints.update_period == 900.0
    first, second, third = parsed.entries
    assert first.link == "https://ministry.example/news/1?utm_source=rss"
    assert first.title == "Talks & more"
    assert first.summary == "The minister said talks resume."
    assert first.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert first.language == "uk" and first.tags == ("politics",)
    assert second.link is None and second.guid == "abc-123"
    assert third.link == "https://ministry.example/news/3"


def test_atom() -> None:
    parsed = parse_feed(ATOM, url="https://a.example/feed")
    assert [e.link for e in parsed.entries] == ["https://a.example/1"]
    assert parsed.entries[0].published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_bozo_feed_still_yields_entries_with_reason() -> None:
    broken = RSS.replace(b"</channel></rss>", b"<item><title>x</title><link>https://m.example/9")
    parsed = parse_feed(broken, url="https://ministry.example/rss.xml")
    assert parsed.bozo
    assert any(e.link == "https://ministry.example/news/1?utm_source=rss" for e in parsed.entries)


def test_invalid_utf8_is_parsed_with_replacement() -> None:
    bad = RSS.replace(b"Talks &amp; more", b"Talks \xff\xfe more")
    parsed = parse_feed(bad, url="https://ministry.example/rss.xml")
    assert len(parsed.entries) == 3
    assert parsed.entries[0].link == "https://ministry.example/news/1?utm_source=rss"


def test_html_page_is_not_a_feed() -> None:
    page = b"<!doctype html><html><head><title>Hi</title></head><body><p>x</p></body></html>"
    parsed = parse_feed(page, url="https://x.example/", content_type="text/html")
    assert not parsed.is_feed
    assert parsed.entries == []


def test_garbage_does_not_raise() -> None:
    for junk in (b"", b"\x00\x01\x02", b"<rss", b"{not json"):
        parsed = parse_feed(junk, url="https://x.example/")
        assert parsed.entries == []


def test_html_to_text() -> None:
    assert html_to_text("<p>a&nbsp;b</p>\n<p> c </p>") == "a\xa0b\nc"
    assert html_to_text(None) is None
    assert html_to_text("<br/>") is None
