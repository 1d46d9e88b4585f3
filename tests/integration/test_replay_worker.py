"""The replay worker as ``parley up`` runs it: a real process serving the demo newsroom on
127.0.0.1, releasing articles over time."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import feedparser
import httpx
import pytest

from benchmarks.harness.ports import free_port
from ingest.replay.newsroom import Newsroom

pytestmark = pytest.mark.slow


@pytest.fixture
def replay_url() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest.replay", "--port", str(port), "--interval", "1.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    out = process.stdout.read().decode() if process.stdout else ""
                    raise AssertionError(f"replay worker did not start:\n{out}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_replay_worker_releases_articles_over_time(replay_url: str) -> None:
    newsroom = Newsroom.bundled()
    first = feedparser.parse(httpx.get(f"{replay_url}/feed.xml").content)
    assert not first.bozo
    assert 2 <= len(first.entries) < len(newsroom.articles)

    time.sleep(2.5)
    later = feedparser.parse(httpx.get(f"{replay_url}/feed.xml").content)
    assert len(later.entries) >= len(first.entries) + 2
    newest = later.entries[0]
    assert newest.link.startswith(f"{replay_url}/articles/")

    page = httpx.get(newest.link)
    assert page.status_code == 200
    assert newest.title in page.text


def test_replay_worker_refuses_a_public_address() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ingest.replay", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "loopback" in done.stderr
