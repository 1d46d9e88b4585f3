"""lxml work in a poller runs under one lock (concurrent trafilatura crashed processes)."""

from __future__ import annotations

from typing import Any

import pytest

from ingest import articles, feedtrim
from ingest.lxml_lock import LXML_LOCK

PAGE = b"<html><body><article><p>" + b"The talks resumed on Monday in Geneva. " * 20 + b"</p>"
PAGE += b"</article></body></html>"
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    + b"".join(
        b"<item><title>a%d</title><link>https://example.org/a/%d</link></item>" % (i, i)
        for i in range(5)
    )
    + b"</channel></rss>"
)


def test_page_extraction_runs_under_the_lock_and_returns_plain_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = articles.trafilatura.bare_extraction
    held: list[bool] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        held.append(LXML_LOCK.locked())
        return real(*args, **kwargs)

    monkeypatch.setattr(articles.trafilatura, "bare_extraction", spy)
    article = articles.extract_article(
        PAGE, url="https://example.org/a", content_type="text/html", with_metadata=True
    )
    assert held == [True]
    assert not LXML_LOCK.locked()
    assert "talks resumed" in article.text


def test_a_crashing_extractor_releases_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(articles.trafilatura, "bare_extraction", broken)
    with pytest.raises(articles.ExtractionError, match="extractor_crash"):
        articles.extract_article(PAGE, url="https://example.org/a", content_type="text/html")
    assert not LXML_LOCK.locked()


def test_feed_scans_hold_the_lock_and_drop_their_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    real = feedtrim.etree.fromstring
    held: list[bool] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        held.append(LXML_LOCK.locked())
        return real(*args, **kwargs)

    monkeypatch.setattr(feedtrim.etree, "fromstring", spy)
    scan = feedtrim.scan_feed(FEED, "https://example.org/feed", min_items=1)
    assert held == [True] and scan.tree is not None and len(scan.ids) == 5
    trimmed = scan.without({scan.ids[0]})
    assert trimmed.dropped == 1
    assert scan.tree is None and scan.items == []  # dropped under the lock, used once
    assert not LXML_LOCK.locked()
