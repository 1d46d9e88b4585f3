"""``parley poll`` as a real process: kill -9 mid-run and restart loses nothing; two workers
share the feeds through the Kafka consumer group and take over a killed worker's feeds."""

from __future__ import annotations

import itertools
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.feedserver import Reply, ScriptedServer, Seen, article_html, rss
from support.ingest_kafka import create_topic, parley_command, read_topic, write_config

from ingest.assignment import FeedPublisher, partition_for
from ingest.feeds import Feed, save_feeds
from ingest.ids import article_id

pytestmark = pytest.mark.slow


def etag_feed(body: bytes) -> Any:
    def reply(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, body, {"ETag": '"v1"', "Content-Type": "application/rss+xml"})

    return reply


def base_config(
    bootstrap: str, topics: dict[str, str], state_dir: Path, **ingest: Any
) -> dict[str, Any]:
    return {
        "kafka": {"bootstrap_servers": bootstrap, "topics": topics},
        "http": {"allow_private_networks": ["127.0.0.0/8"]},
        "metrics": {"enabled": False},
        "log": {"format": "json", "level": "INFO"},
        "ingest": {
            "state_dir": str(state_dir),
            "politeness": {"per_host_concurrency": 2, "per_host_min_delay": 0.0},
            "limits": {"connect_timeout": 2, "read_timeout": 3, "total_timeout": 5},
            "schedule": {"min_interval": 0.5, "max_interval": 1.0, "jitter": 0.0},
            "shutdown_grace": 3,
            **ingest,
        },
    }


def seen_count(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute("SELECT count(*) FROM seen").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_kill_9_mid_run_then_restart_loses_nothing(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    topic = f"parley.articles.{unique_name}"
    create_topic(kafka_bootstrap, topic)
    with ScriptedServer() as server:
        feeds = []
        expected: set[str] = set()
        for f in range(8):
            links = [(server.url(f"/a/{f}-{i}.html"), f"Story {f}-{i}") for i in range(6)]
            for url, title in links:
                path = url.split(str(server.port), 1)[1]

                def slow_page(_seen: Seen, title: str = title) -> Reply:
                    time.sleep(0.15)  # slow pages so that the kill lands mid-run
                    return Reply(200, article_html(title), {"Content-Type": "text/html"})

                server.route_fn(path, slow_page)
                expected.add(article_id(url))
            server.route_fn(f"/feed{f}.xml", etag_feed(rss(links)))
            feeds.append(Feed(url=server.url(f"/feed{f}.xml")))
        save_feeds(tmp_path / "feeds.yaml", feeds)
        config = base_config(
            kafka_bootstrap,
            {"articles": topic},
            tmp_path / "state",
            assignment="file",
            feeds_file=str(tmp_path / "feeds.yaml"),
            max_concurrent_articles=4,
            politeness={
                "per_host_concurrency": 4,
                "per_host_min_delay": 0.0,
                "respect_robots": False,
            },
        )
        cfg = write_config(tmp_path / "parley.yaml", config)
        db = tmp_path / "state" / "ingest.sqlite3"
        log1 = (tmp_path / "run1.log").open("wb")
        first = subprocess.Popen(parley_command("-c", str(cfg), "poll"), stderr=log1)
        procs.append(first)
        deadline = time.monotonic() + 60
        while seen_count(db) < 10 and time.monotonic() < deadline:
            assert first.poll() is None, (tmp_path / "run1.log").read_text()
            time.sleep(0.05)
        before_kill = seen_count(db)
        assert 10 <= before_kill < len(expected), before_kill
        first.send_signal(signal.SIGKILL)
        first.wait(10)

        log2 = (tmp_path / "run2.log").open("wb")
        second = subprocess.run(
            parley_command("-c", str(cfg), "poll", "--once"), stderr=log2, timeout=120, check=False
        )
        assert second.returncode == 0, (tmp_path / "run2.log").read_text()[-3000:]
        assert seen_count(db) == len(expected)

    records = read_topic(kafka_bootstrap, topic, idle_ms=3000)
    produced = Counter(key for key, _ in records)
    assert set(produced) == expected  # nothing lost
    duplicates = sum(produced.values()) - len(produced)
    # Only records in flight at the kill (acknowledged, not yet marked seen) may repeat.
    assert duplicates <= 4 + 1, produced


def test_two_workers_share_feeds_and_take_over_a_killed_one(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    partitions = 6
    articles, feeds_topic = f"parley.articles.{unique_name}", f"parley.feeds.{unique_name}"
    create_topic(kafka_bootstrap, articles)
    create_topic(kafka_bootstrap, feeds_topic, partitions=partitions, compact=True)
    # Feeds on distinct loopback hosts, so that host partitioning spreads them.
    hosts = [f"127.0.0.{i}" for i in range(2, 14)]
    used = {partition_for(f"http://{h}/", partitions) for h in hosts}
    assert used & {0, 1, 2} and used & {3, 4, 5}  # both halves of the range assignment
    servers = [ScriptedServer(host=h).__enter__() for h in hosts]
    try:
        feeds = []
        for n, server in enumerate(servers):
            server.route_fn("/feed.xml", etag_feed(rss([(server.url(f"/a/{n}"), f"S{n}")])))
            feeds.append(Feed(url=server.url("/feed.xml")))
        publisher = FeedPublisher({"bootstrap_servers": [kafka_bootstrap]}, feeds_topic)
        publisher.publish(feeds)
        publisher.close()

        def start(name: str) -> subprocess.Popen[bytes]:
            config = base_config(
                kafka_bootstrap,
                {"articles": articles, "feeds": feeds_topic},
                tmp_path / f"state-{name}",
                assignment="kafka",
                group_id=f"g-{unique_name}",
                user_agent=f"worker-{name}",
                fetch_articles=False,
                session_timeout_ms=6000,
                heartbeat_interval_ms=1000,
            )
            cfg = write_config(tmp_path / f"{name}.yaml", config)
            log = (tmp_path / f"{name}.log").open("wb")
            proc = subprocess.Popen(parley_command("-c", str(cfg), "poll"), stderr=log)
            procs.append(proc)
            return proc

        def polls_since(t0: float) -> dict[str, set[str]]:
            by_feed: dict[str, set[str]] = {}
            for server in servers:
                for hit in server.hits("/feed.xml"):
                    if hit.at >= t0:
                        by_feed.setdefault(server.host, set()).add(hit.headers["user-agent"])
            return by_feed

        def wait_until(cond: Any, timeout: float, what: str) -> None:
            deadline = time.monotonic() + timeout
            while not cond():
                assert time.monotonic() < deadline, what
                time.sleep(0.25)

        worker_a = start("a")
        worker_b = start("b")
        wait_until(
            lambda: (
                {ua for uas in polls_since(0).values() for ua in uas} == {"worker-a", "worker-b"}
            ),
            60,
            "both workers polling",
        )
        time.sleep(4)  # the group settles after the initial rebalance
        window = time.monotonic()
        time.sleep(4)
        stable = polls_since(window)
        assert set(stable) == set(hosts), "every feed polled"
        assert all(len(uas) == 1 for uas in stable.values()), stable  # each by one worker
        assert {ua for uas in stable.values() for ua in uas} == {"worker-a", "worker-b"}
        a_feeds = {host for host, uas in stable.items() if uas == {"worker-a"}}

        worker_a.send_signal(signal.SIGKILL)
        worker_a.wait(10)
        killed = time.monotonic()
        wait_until(
            lambda: (
                set(polls_since(killed)) >= a_feeds
                and all("worker-b" in polls_since(killed).get(h, set()) for h in a_feeds)
            ),
            40,
            "worker b takes over worker a's feeds",
        )
        after = time.monotonic()
        time.sleep(3)
        final = polls_since(after)
        assert set(final) == set(hosts)
        assert all(uas == {"worker-b"} for uas in final.values()), final

        # Never two polls of one feed at the same time, over the whole run.
        for server in servers:
            hits = sorted(server.hits("/feed.xml"), key=lambda h: h.at)
            for earlier, later in itertools.pairwise(hits):
                assert earlier.done_at is not None and earlier.done_at <= later.at, server.host

        worker_b.send_signal(signal.SIGTERM)
        assert worker_b.wait(30) == 0, (tmp_path / "b.log").read_text()[-3000:]
    finally:
        for server in servers:
            server.close()


def test_poll_once_in_a_consumer_group_polls_every_published_feed(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    articles, feeds_topic = f"parley.articles.{unique_name}", f"parley.feeds.{unique_name}"
    create_topic(kafka_bootstrap, articles)
    create_topic(kafka_bootstrap, feeds_topic, partitions=3, compact=True)
    with ScriptedServer() as server:
        feeds, expected = [], set()
        for n in range(3):
            link = server.url(f"/a/{n}")
            server.route(f"/f{n}.xml", Reply(200, rss([(link, f"S{n}")])))
            feeds.append(Feed(url=server.url(f"/f{n}.xml")))
            expected.add(article_id(link))
        save_feeds(tmp_path / "feeds.yaml", feeds)
        config = base_config(
            kafka_bootstrap,
            {"articles": articles, "feeds": feeds_topic},
            tmp_path / "state",
            assignment="kafka",
            group_id=f"g-{unique_name}",
            fetch_articles=False,
            feeds_file=str(tmp_path / "feeds.yaml"),  # published by the worker at start
        )
        cfg = write_config(tmp_path / "parley.yaml", config)
        with (tmp_path / "once.log").open("wb") as log:
            done = subprocess.run(
                parley_command("-c", str(cfg), "poll", "--once"),
                stderr=log,
                timeout=120,
                check=False,
            )
        assert done.returncode == 0, (tmp_path / "once.log").read_text()[-3000:]
        assert all(len(server.hits(f"/f{n}.xml")) == 1 for n in range(3))
    produced = Counter(k for k, _ in read_topic(kafka_bootstrap, articles, expect=3))
    assert set(produced) == expected and max(produced.values()) == 1
    published = read_topic(kafka_bootstrap, feeds_topic, expect=3)
    assert {key for key, _ in published} == {f.id for f in feeds}
