"""Poll all of feedparser's own test corpus (~2,200 files) from a local server: no crash, and
every entry of every well-formed feed reaches Kafka exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support.feedparser_corpus import corpus_dir, reply_for, serve_corpus
from support.feedserver import ScriptedServer
from support.ingest_kafka import read_topic

from ingest.feeds import Feed
from ingest.ids import InvalidUrlError, article_id
from ingest.parse import parse_feed
from parley.config import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def feedparser_tests() -> Path:
    return corpus_dir(REPO_ROOT / ".cache" / "feedparser-corpus")


def expected_ids(path: Path, tests: Path, url: str, base: str) -> list[str]:
    """Article ids of the file's entries that have a link (in order, repeats kept)."""
    status, headers, blob = reply_for(path, tests, base)
    assert status == 200, path
    parsed = parse_feed(blob, url=url, content_type=headers.get("Content-type"))
    ids = []
    for entry in parsed.entries:
        if entry.link:
            try:
                ids.append(article_id(entry.link))
            except InvalidUrlError:
                continue
    return ids


def test_whole_corpus_is_polled_and_wellformed_entries_produced(
    feedparser_tests: Path, make_poller: Any, kafka_bootstrap: str
) -> None:
    with ScriptedServer() as server:
        urls = serve_corpus(server, feedparser_tests)
        assert len(urls) > 2000
        harness = make_poller(
            fetch_articles=False,
            max_concurrent_polls=16,
            politeness={"per_host_concurrency": 8, "per_host_min_delay": 0.0},
        )
        for url in urls:
            harness.poller.upsert(Feed(url=url))
        reports = harness.runner.run(harness.poller.poll_all_once())

        assert len(reports) == len(urls)
        outcomes = Counter(r.outcome for r in reports)
        assert outcomes["internal_error"] == 0, outcomes
        wellformed = {
            url: path
            for url, path in urls.items()
            if path.relative_to(feedparser_tests).parts[0] == "wellformed"
        }
        entries: list[str] = []
        for url, path in wellformed.items():
            entries += expected_ids(path, feedparser_tests, url, server.url(""))
        expected = set(entries)
        by_feed = {r.feed_id: r.outcome for r in reports}
        for url in wellformed:
            assert by_feed[Feed(url=url).id] in ("200", "not_a_feed"), url

    produced = Counter(k for k, _ in read_topic(kafka_bootstrap, harness.topic, idle_ms=5000))
    # Most well-formed cases test feed-level elements; ~100 entries have links, and many of
    # them link the same few example URLs.
    assert len(entries) > 50 and len(expected) > 20
    missing = expected - set(produced)
    assert not missing, f"{len(missing)} well-formed entries not produced"
    assert max(produced.values()) == 1  # the same link in many feeds is produced once
    assert sum(r.produced for r in reports) == len(produced)
