"""The poller against scripted servers on 127.0.0.1, producing to the real Kafka."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from support.feedserver import (
    Reply,
    ScriptedServer,
    Seen,
    article_html,
    gzip_bomb,
    repeat_bytes,
    rss,
)
from support.ingest_kafka import PollerHarness, read_topic

from ingest.feeds import Feed
from ingest.ids import article_id

Make = Any
MB = 1024 * 1024


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def items(server: ScriptedServer, *names: str) -> list[tuple[str, str]]:
    return [(server.url(f"/articles/{n}.html"), f"Story {n}") for n in names]


def serve_articles(server: ScriptedServer, *names: str) -> None:
    for n in names:
        server.route(
            f"/articles/{n}.html",
            Reply(200, article_html(f"Story {n}"), {"Content-Type": "text/html; charset=utf-8"}),
        )


def keys(harness: PollerHarness, expect: int) -> Counter[str]:
    return Counter(k for k, _ in read_topic(_bootstrap(harness), harness.topic, expect=expect))


def _bootstrap(harness: PollerHarness) -> str:
    return str(harness.poller.producer._producer.config["bootstrap_servers"][0])


def test_200_then_304_then_304_produces_each_item_once(
    server: ScriptedServer, make_poller: Make
) -> None:
    serve_articles(server, "a", "b", "c")
    body = rss(items(server, "a", "b", "c"))

    def feed_reply(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(
            200,
            gzip.compress(body),
            {
                "ETag": '"v1"',
                "Content-Encoding": "gzip",
                "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT",
            },
        )

    server.route_fn("/feed.xml", feed_reply)
    harness = make_poller()
    feed = Feed(url=server.url("/feed.xml"), outlet="Test Outlet", country="ua", tags=["t"])
    outcomes = [harness.poll(feed).outcome for _ in range(3)]
    assert outcomes == ["200", "not_modified", "not_modified"]
    hits = server.hits("/feed.xml")
    assert [h.headers.get("if-none-match") for h in hits] == [None, '"v1"', '"v1"']
    assert hits[1].headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    records = read_topic(_bootstrap(harness), harness.topic, expect=3)
    assert Counter(k for k, _ in records) == Counter(
        article_id(u) for u, _ in items(server, "a", "b", "c")
    )
    for key, record in records:
        assert record["schema"] == "parley.article.v1" and record["id"] == key
        assert record["text_source"] == "article" and "open to talks" in record["text"]
        assert record["outlet"] == "Test Outlet" and record["country"] == "UA"
        assert record["feed_id"] == feed.id and record["tags"] == ["t"]
        # The feed gives title and date: the page's metadata is not read (ingest.page_metadata).
        assert record["title"].startswith("Story ") and record["author"] is None
        assert record["published_at"].startswith("2024-01-0") and record["language"] == "en"
    state = harness.state(feed)
    assert state.items_seen == 3 and state.etag == '"v1"' and state.consecutive_failures == 0
    assert len(server.hits("/articles/a.html")) == 1


@pytest.mark.parametrize("page_metadata", ["when_missing", "always"])
def test_page_metadata_is_read_when_the_feed_lacks_title_or_date_or_always(
    server: ScriptedServer, make_poller: Make, page_metadata: str
) -> None:
    serve_articles(server, "dated", "undated")
    dated, undated = items(server, "dated", "undated")
    body = rss([dated]).replace(
        b"</channel>",
        f"<item><title>Undated</title><link>{undated[0]}</link></item></channel>".encode(),
    )
    server.route("/feed.xml", Reply(200, body))
    harness = make_poller(page_metadata=page_metadata)
    harness.poll(Feed(url=server.url("/feed.xml")))
    records = dict(read_topic(_bootstrap(harness), harness.topic, expect=2))
    from_feed = records[article_id(dated[0])]
    from_page = records[article_id(undated[0])]
    # An entry without a date: the page gives it (and the author, from the same pass).
    assert from_page["published_at"].startswith("2024-03-05")
    assert from_page["author"] == "Jane Reporter"
    assert from_feed["published_at"].startswith("2024-01-01")
    if page_metadata == "always":
        assert from_feed["author"] == "Jane Reporter" and from_feed["title"] == "Story dated"
    else:
        assert from_feed["author"] is None and from_feed["title"] == "Story dated"


def test_same_etag_but_changed_body_finds_new_items(
    server: ScriptedServer, make_poller: Make
) -> None:
    serve_articles(server, "a", "b", "c")
    first = rss(items(server, "a", "b"))
    second = rss(items(server, "a", "b", "c"))
    headers = {"ETag": '"constant"'}
    # A server that ignores If-None-Match and keeps the same ETag across changes.
    server.route(
        "/feed.xml",
        Reply(200, first, headers),
        Reply(200, first, headers),
        Reply(200, second, headers),
    )
    harness = make_poller()
    feed = Feed(url=server.url("/feed.xml"))
    assert [harness.poll(feed).outcome for _ in range(3)] == ["200", "unchanged", "200"]
    assert harness.poll(feed).outcome == "unchanged"
    produced = keys(harness, expect=3)
    assert set(produced) == {article_id(u) for u, _ in items(server, "a", "b", "c")}
    assert max(produced.values()) == 1


def test_permanent_redirect_updates_the_stored_url(
    server: ScriptedServer, make_poller: Make
) -> None:
    serve_articles(server, "a")
    server.route("/old.xml", Reply(301, headers={"Location": "/new.xml"}))
    server.route("/new.xml", Reply(200, rss(items(server, "a"))))
    harness = make_poller(fetch_articles=False)
    feed = Feed(url=server.url("/old.xml"))
    assert harness.poll(feed).outcome == "200"
    assert harness.state(feed).url == server.url("/new.xml")
    assert harness.poll(feed).outcome == "unchanged"
    assert len(server.hits("/old.xml")) == 1 and len(server.hits("/new.xml")) == 2
    assert keys(harness, expect=1) == Counter({article_id(items(server, "a")[0][0]): 1})


def test_410_disables_the_feed(server: ScriptedServer, make_poller: Make) -> None:
    server.route("/gone.xml", Reply(410))
    harness = make_poller()
    feed = Feed(url=server.url("/gone.xml"))
    assert harness.poll(feed).outcome == "gone"
    assert harness.state(feed).status == "disabled"
    assert harness.poll(feed).outcome == "disabled"
    assert len(server.hits("/gone.xml")) == 1


def test_429_retry_after_is_respected_by_the_schedule(
    server: ScriptedServer, make_poller: Make
) -> None:
    server.route("/busy.xml", Reply(429, headers={"Retry-After": "2"}), Reply(304))
    harness = make_poller(schedule={"min_interval": 0.2, "max_interval": 0.5})
    feed = Feed(url=server.url("/busy.xml"), min_interval=0.2, max_interval=0.5)
    harness.poller.upsert(feed)

    async def run_for(seconds: float) -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        await harness.poller.run(stop)

    harness.runner.run(run_for(3.5))
    hits = server.hits("/busy.xml")
    assert len(hits) >= 3  # 429, then 304s every ~0.2-0.5 s once the wait was over
    assert hits[1].at - hits[0].at >= 2.0
    assert all(b.at - a.at < 1.0 for a, b in itertools.pairwise(hits[1:]))
    assert harness.state(feed).last_outcome == "not_modified"


def test_server_that_never_answers_is_a_timeout_with_backoff(
    server: ScriptedServer, make_poller: Make
) -> None:
    server.route("/hang.xml", Reply(hang=True))
    harness = make_poller(
        limits={"read_timeout": 1, "total_timeout": 1.5},
        schedule={"report_after_failures": 2, "failure_backoff_base": 10},
    )
    feed = Feed(url=server.url("/hang.xml"))
    started = time.time()
    assert harness.poll(feed).outcome == "timeout"
    assert time.time() - started < 3
    state = harness.state(feed)
    assert state.consecutive_failures == 1 and state.status == "active"
    assert state.next_poll_at - time.time() > 5
    assert harness.poll(feed).outcome == "timeout"
    state = harness.state(feed)
    assert state.status == "failing" and state.next_poll_at - time.time() > 15


def test_gzip_bomb_feed_and_huge_article_page(server: ScriptedServer, make_poller: Make) -> None:
    bomb = gzip_bomb(256)
    server.route("/bomb.xml", Reply(200, bomb, {"Content-Encoding": "gzip"}))
    server.route("/feed.xml", Reply(200, rss(items(server, "huge"))))
    server.route(
        "/articles/huge.html",
        Reply(200, repeat_bytes(100 * MB, b"<p>" + b"x" * 65533), {"Content-Type": "text/html"}),
    )
    harness = make_poller(limits={"max_feed_bytes": 2 * MB, "max_article_bytes": 5 * MB})
    assert harness.poll(Feed(url=server.url("/bomb.xml"))).outcome in (
        "decompression_bomb",
        "too_large",
    )
    assert harness.poll(Feed(url=server.url("/feed.xml"))).outcome == "200"
    [(_key, record)] = read_topic(_bootstrap(harness), harness.topic, expect=1)
    assert record["text_source"] == "feed_summary"
    assert record["text_error"].startswith("fetch_too_large")
    assert record["text"] == "Summary of Story huge."


def test_redirect_loop_and_private_redirects_are_refused(
    server: ScriptedServer, make_poller: Make
) -> None:
    server.route("/loop1", Reply(302, headers={"Location": "/loop2"}))
    server.route("/loop2", Reply(302, headers={"Location": "/loop1"}))
    server.route("/meta", Reply(302, headers={"Location": "http://169.254.169.254/latest/"}))
    server.route("/lan", Reply(301, headers={"Location": "http://10.0.0.1/feed"}))
    harness = make_poller()
    assert harness.poll(Feed(url=server.url("/loop1"))).outcome == "redirect_loop"
    assert harness.poll(Feed(url=server.url("/meta"))).outcome == "blocked"
    lan = Feed(url=server.url("/lan"))
    assert harness.poll(lan).outcome == "blocked"
    assert harness.state(lan).url == server.url("/lan")  # a refused move is not remembered


def test_invalid_utf8_and_html_served_as_feed(server: ScriptedServer, make_poller: Make) -> None:
    body = rss(items(server, "u1", "u2")).replace(b"Story u1", b"Story \xff\xfe u1")
    server.route(
        "/bad-utf8.xml", Reply(200, body, {"Content-Type": "application/rss+xml; charset=utf-8"})
    )
    server.route(
        "/page.html", Reply(200, article_html("Just a page"), {"Content-Type": "text/html"})
    )
    harness = make_poller(fetch_articles=False)
    assert harness.poll(Feed(url=server.url("/bad-utf8.xml"))).outcome == "200"
    html_feed = Feed(url=server.url("/page.html"))
    assert harness.poll(html_feed).outcome == "not_a_feed"
    assert harness.state(html_feed).consecutive_failures == 1
    records = read_topic(_bootstrap(harness), harness.topic, expect=2)
    assert {k for k, _ in records} == {article_id(u) for u, _ in items(server, "u1", "u2")}
    assert all(r["text_source"] == "feed_summary" for _, r in records)
    assert all(r["text_error"] == "article_fetch_disabled" for _, r in records)


def test_same_article_in_two_feeds_is_fetched_and_produced_once(
    server: ScriptedServer, make_poller: Make
) -> None:
    serve_articles(server, "shared", "only1", "only2")
    shared = items(server, "shared")
    # The second feed links the same article with tracking parameters.
    tracked = [(shared[0][0] + "?utm_source=feed2&utm_medium=rss", "Story shared")]
    server.route("/f1.xml", Reply(200, rss(shared + items(server, "only1"))))
    server.route("/f2.xml", Reply(200, rss(tracked + items(server, "only2"))))
    harness = make_poller()
    f1, f2 = Feed(url=server.url("/f1.xml")), Feed(url=server.url("/f2.xml"))

    async def both() -> None:
        harness.poller.upsert(f1)
        harness.poller.upsert(f2)
        await asyncio.gather(harness.poller.poll_feed(f1), harness.poller.poll_feed(f2))

    harness.runner.run(both())
    produced = keys(harness, expect=3)
    assert max(produced.values()) == 1 and len(produced) == 3
    # Either feed may win the race to fetch it (with or without the tracking parameters).
    fetched = [r for r in server.requests if r.path.startswith("/articles/shared.html")]
    assert len(fetched) == 1


def test_robots_txt_is_respected_for_article_pages(
    server: ScriptedServer, make_poller: Make
) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /articles/private\n"))
    serve_articles(server, "open", "private1")
    server.route("/feed.xml", Reply(200, rss(items(server, "open", "private1"))))
    harness = make_poller()
    harness.poll(Feed(url=server.url("/feed.xml")))
    records = dict(read_topic(_bootstrap(harness), harness.topic, expect=2))
    by_url = {r["original_url"]: r for r in records.values()}
    assert by_url[server.url("/articles/open.html")]["text_source"] == "article"
    private = by_url[server.url("/articles/private1.html")]
    assert private["text_source"] == "feed_summary"
    assert private["text_error"].startswith("robots_disallowed")
    assert server.hits("/articles/private1.html") == []
    assert len(server.hits("/robots.txt")) == 1


def test_silent_feed_is_reported_and_metrics_count_outcomes(
    server: ScriptedServer, make_poller: Make
) -> None:
    from prometheus_client import REGISTRY

    def count(outcome: str) -> float:
        value = REGISTRY.get_sample_value("parley_poller_polls_total", {"outcome": outcome})
        return value or 0.0

    def reports(kind: str) -> float:
        value = REGISTRY.get_sample_value("parley_poller_feed_reports_total", {"kind": kind})
        return value or 0.0

    serve_articles(server, "s1")
    server.route_fn("/quiet.xml", etag_reply(rss(items(server, "s1"))))
    harness = make_poller(fetch_articles=False, schedule={"silent_after": 1.0})
    feed = Feed(url=server.url("/quiet.xml"))
    before_200, before_304, before_silent = count("200"), count("not_modified"), reports("silent")
    assert harness.poll(feed).outcome == "200"
    assert harness.state(feed).status == "active"
    time.sleep(1.2)
    assert harness.poll(feed).outcome == "not_modified"
    assert harness.state(feed).status == "silent"
    assert harness.poll(feed).outcome == "not_modified"
    assert count("200") - before_200 == 1 and count("not_modified") - before_304 == 2
    assert reports("silent") - before_silent == 1  # reported once, not at every poll


def etag_reply(body: bytes) -> Any:
    def reply(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"q"':
            return Reply(304)
        return Reply(200, body, {"ETag": '"q"'})

    return reply


def test_extractor_crash_falls_back_to_summary_and_keeps_the_item(
    server: ScriptedServer, make_poller: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.poller

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(ingest.poller, "extract_article", crash)
    serve_articles(server, "c1")
    server.route("/feed.xml", Reply(200, rss(items(server, "c1"))))
    harness = make_poller()
    assert harness.poll(Feed(url=server.url("/feed.xml"))).outcome == "200"
    [(_key, record)] = read_topic(_bootstrap(harness), harness.topic, expect=1)
    assert record["text_source"] == "feed_summary"
    assert record["text_error"] == "internal_error: extractor bug"
    assert record["text"] == "Summary of Story c1."


def test_publisher_ttl_and_max_age_set_the_floor_of_the_interval(
    server: ScriptedServer, make_poller: Make
) -> None:
    serve_articles(server, "t1")
    body = rss(items(server, "t1"), extra="<ttl>10</ttl>")
    server.route("/ttl.xml", Reply(200, body))
    server.route(
        "/cached.xml",
        Reply(200, rss(items(server, "t1")), {"Cache-Control": "public, max-age=1200"}),
    )
    harness = make_poller(fetch_articles=False, schedule={"min_interval": 1, "max_interval": 3600})
    ttl_feed, cached = Feed(url=server.url("/ttl.xml")), Feed(url=server.url("/cached.xml"))
    harness.poll(ttl_feed)
    harness.poll(cached)
    assert harness.state(ttl_feed).interval == 600.0
    assert harness.state(cached).interval == 1200.0
    assert harness.state(ttl_feed).next_poll_at - time.time() > 590


def test_state_store_write_errors_lose_nothing_and_keep_the_feed_scheduled(
    server: ScriptedServer, make_poller: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.store import IngestStore

    serve_articles(server, "s1", "s2")
    server.route("/feed.xml", Reply(200, rss(items(server, "s1", "s2")), {"ETag": '"e1"'}))
    harness = make_poller()
    feed = Feed(url=server.url("/feed.xml"))
    harness.poller.upsert(feed)
    disk_full = True
    real_write = IngestStore._write

    def write(self: IngestStore, sql: str, params: Any) -> None:
        if disk_full:
            # A real sqlite3.Error from SQLite, as with a full disk (the ENOSPC case itself, on a
            # tmpfs, is in tests/faults).
            real_write(self, "INSERT INTO no_such_table VALUES (?)", (1,))
        real_write(self, sql, params)

    monkeypatch.setattr(IngestStore, "_write", write)
    report = harness.runner.run(harness.poller._tracked_poll(feed.id))
    assert report.outcome == "200" and report.new_items == 2
    assert feed.id in harness.poller._due, "the feed must stay scheduled while writes fail"
    assert harness.store.seen([article_id(u) for u, _ in items(server, "s1", "s2")]) == set()
    assert harness.store.get_state(feed.id) is None

    disk_full = False
    # Nothing was remembered, so the same items are produced again (same ids: harmless) and
    # now marked; a third poll finds nothing new.
    assert harness.runner.run(harness.poller._tracked_poll(feed.id)).new_items == 2
    assert harness.runner.run(harness.poller._tracked_poll(feed.id)).new_items == 0
    produced = keys(harness, expect=4)
    assert produced == Counter({article_id(u): 2 for u, _ in items(server, "s1", "s2")})
    assert harness.state(feed).etag == '"e1"'


def test_an_entry_that_cannot_become_a_record_is_dead_lettered_and_the_feed_goes_on(
    server: ScriptedServer, make_poller: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.poller import FeedPoller
    from parley.deadletter import DeadLetter

    build = FeedPoller._build_record

    async def picky(self: FeedPoller, aid: str, entry: Any, *args: Any, **kw: Any) -> Any:
        if entry.title == "Story bad":
            raise ValueError("this entry cannot be a record")
        return await build(self, aid, entry, *args, **kw)

    monkeypatch.setattr(FeedPoller, "_build_record", picky)
    serve_articles(server, "bad", "good")
    server.route_fn("/feed.xml", etag_reply(rss(items(server, "bad", "good"))))
    harness = make_poller()
    letters: list[DeadLetter] = []
    harness.poller.dead_letter = letters.append
    feed = Feed(url=server.url("/feed.xml"))
    report = harness.poll(feed)
    assert (report.outcome, report.produced) == ("200", 1)
    assert keys(harness, expect=1) == Counter({article_id(server.url("/articles/good.html")): 1})
    (letter,) = letters
    assert letter.reason == "entry_unbuildable" and letter.worker == "poller"
    assert "this entry cannot be a record" in letter.detail
    assert letter.source_key == article_id(server.url("/articles/bad.html"))
    assert b"Story bad" in (letter.payload() or b"")
    # Marked seen and the feed's validators stored: the next poll is a 304, nothing is redone.
    assert harness.state(feed).etag == '"q"'
    assert harness.poll(feed).outcome == "not_modified"
    assert len(letters) == 1
