"""The feed list `parley up` polls by default."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from ingest.feeds import load_feeds
from parley.config import REPO_ROOT

DEFAULT_FEEDS = REPO_ROOT / "deploy" / "feeds" / "default.yaml"


def test_default_feeds_are_valid_described_and_multilingual() -> None:
    feeds = load_feeds(DEFAULT_FEEDS)
    urls = [f.url for f in feeds]
    assert len(feeds) >= 15
    assert len(set(urls)) == len(urls)
    for feed in feeds:
        assert urlsplit(feed.url).scheme == "https", feed.url
        assert feed.outlet and feed.country and feed.language and feed.tags, feed.url
        assert feed.min_interval is not None and feed.max_interval is not None
    languages = Counter(f.language for f in feeds)
    assert languages["en"] >= 5 and languages["ru"] >= 3 and languages["uk"] >= 3
    assert {"UA", "RU"} <= {f.country for f in feeds}
