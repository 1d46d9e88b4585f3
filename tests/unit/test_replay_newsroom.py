"""The demo newsroom and its release schedule, served through the replay app with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
import trafilatura
import yaml
from fastapi.testclient import TestClient

from ingest.replay.newsroom import Newsroom, ReleaseSchedule
from ingest.replay.server import create_app

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:8765"


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def newsroom() -> Newsroom:
    return Newsroom.bundled()


def client_for(newsroom: Newsroom, clock: FakeClock, interval: float = 5.0) -> TestClient:
    schedule = ReleaseSchedule(newsroom.articles, START, interval=interval, initial=2)
    app = create_app(newsroom, schedule, clock=clock, announce_releases=False)
    return TestClient(app, base_url=BASE)


def test_bundled_newsroom_covers_languages_and_attribution_styles(newsroom: Newsroom) -> None:
    languages = [a.language for a in newsroom.articles]
    assert 12 <= len(languages) <= 20
    assert {"en", "ru", "uk"} <= set(languages)
    texts = " ".join(a.text for a in newsroom.articles)
    # Direct quotes in English, Russian and Ukrainian typography, and "according to".
    assert '," ' in texts and "», —" in texts and "According to" in texts
    assert len({a.slug for a in newsroom.articles}) == len(newsroom.articles)


def test_schedule_releases_initial_articles_then_one_per_interval(newsroom: Newsroom) -> None:
    schedule = ReleaseSchedule(newsroom.articles, START, interval=5.0, initial=2)
    assert len(schedule.released(START - timedelta(seconds=1))) == 0
    assert len(schedule.released(START)) == 2
    assert len(schedule.released(START + timedelta(seconds=4.9))) == 2
    assert len(schedule.released(START + timedelta(seconds=5))) == 3
    assert len(schedule.released(START + timedelta(seconds=12))) == 4
    everything = schedule.released(schedule.finished_at())
    assert len(everything) == len(newsroom.articles)
    # Newest first, as in a feed.
    assert everything[0].article == newsroom.articles[-1]
    assert everything[0].released_at == schedule.finished_at()


def test_feed_grows_over_time_and_parses(newsroom: Newsroom) -> None:
    clock = FakeClock(START)
    client = client_for(newsroom, clock)

    first = client.get("/feed.xml")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/rss+xml")
    parsed = feedparser.parse(first.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [e.link for e in parsed.entries] == [
        f"{BASE}/articles/{newsroom.articles[1].slug}",
        f"{BASE}/articles/{newsroom.articles[0].slug}",
    ]
    assert parsed.entries[0].title == newsroom.articles[1].title
    assert parsed.entries[0].published_parsed[:6] == START.timetuple()[:6]

    # Nothing new yet: the poller's conditional request gets 304.
    etag = first.headers["etag"]
    assert client.get("/feed.xml", headers={"If-None-Match": etag}).status_code == 304

    clock.now = START + timedelta(seconds=10)
    later = client.get("/feed.xml", headers={"If-None-Match": etag})
    assert later.status_code == 200
    entries = feedparser.parse(later.content).entries
    assert len(entries) == 4
    assert entries[0].title == newsroom.articles[3].title
    assert entries[0].published_parsed[:6] == (START + timedelta(seconds=10)).timetuple()[:6]


def test_article_pages_are_served_only_once_released(newsroom: Newsroom) -> None:
    clock = FakeClock(START)
    client = client_for(newsroom, clock)
    future = newsroom.articles[5]
    assert client.get(f"/articles/{future.slug}").status_code == 404
    assert client.get("/articles/no-such-article").status_code == 404

    clock.now = START + timedelta(seconds=20)
    page = client.get(f"/articles/{future.slug}")
    assert page.status_code == 200
    assert f'lang="{future.language}"' in page.text
    # The page is what a text extractor turns back into the article's paragraphs.
    extracted = trafilatura.extract(page.text, url=f"{BASE}/articles/{future.slug}")
    assert extracted is not None
    for paragraph in future.paragraphs:
        assert paragraph in extracted
    assert client.get("/robots.txt").text.startswith("User-agent: *")
    assert client.get("/healthz").json() == {
        "released": 6,
        "total": len(newsroom.articles),
        "finished": False,
    }


def test_newsroom_rejects_duplicate_slugs() -> None:
    article = {
        "slug": "same",
        "language": "en",
        "title": "t",
        "author": "a",
        "summary": "s",
        "paragraphs": ["p"],
    }
    with pytest.raises(ValueError, match="unique"):
        Newsroom.from_yaml(yaml.safe_dump({"outlet": "o", "articles": [article, article]}))
