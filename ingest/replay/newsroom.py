"""The bundled demo newsroom: articles, their release schedule, and how they render.

Pure code (no server): ``Newsroom`` loads ``newsroom.yaml``; ``ReleaseSchedule`` says which
articles are public at a given moment (the first few at once, then one every ``interval``
seconds), and the render functions produce the RSS 2.0 feed and the article pages that the
replay server (``ingest.replay.server``) serves.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import yaml
from pydantic import BaseModel, ConfigDict, Field

FEED_TITLE = "parley demo newsroom"
FEED_DESCRIPTION = (
    "Fictional news articles (invented people and quotes) released one by one, so that parley "
    "can be tried without internet access."
)


class NewsroomArticle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(pattern=r"^[a-z0-9-]+$")
    language: str
    title: str
    author: str
    summary: str
    tags: tuple[str, ...] = ()
    paragraphs: tuple[str, ...] = Field(min_length=1)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


class Newsroom(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    outlet: str
    articles: tuple[NewsroomArticle, ...] = Field(min_length=1)

    @classmethod
    def bundled(cls) -> Newsroom:
        text = resources.files("ingest.replay").joinpath("newsroom.yaml").read_text("utf-8")
        return cls.from_yaml(text)

    @classmethod
    def from_file(cls, path: Path) -> Newsroom:
        return cls.from_yaml(path.read_text(encoding="utf-8"))

    @classmethod
    def from_yaml(cls, text: str) -> Newsroom:
        data: Any = yaml.safe_load(text)
        newsroom = cls.model_validate(data)
        slugs = [a.slug for a in newsroom.articles]
        if len(set(slugs)) != len(slugs):
            raise ValueError("newsroom: article slugs must be unique")
        return newsroom

    def article(self, slug: str) -> NewsroomArticle | None:
        return next((a for a in self.articles if a.slug == slug), None)


@dataclass(frozen=True)
class Release:
    article: NewsroomArticle
    released_at: datetime


@dataclass(frozen=True)
class ReleaseSchedule:
    """Article ``i`` is released at ``start + max(0, i - initial + 1) * interval``."""

    articles: Sequence[NewsroomArticle]
    start: datetime
    interval: float = 5.0
    initial: int = 2

    def released_at(self, index: int) -> datetime:
        steps = max(0, index - self.initial + 1)
        return self.start + timedelta(seconds=steps * self.interval)

    def released(self, now: datetime) -> list[Release]:
        """Released articles, newest first (the order of a feed)."""
        out = [
            Release(article, self.released_at(i))
            for i, article in enumerate(self.articles)
            if self.released_at(i) <= now
        ]
        return out[::-1]

    def release_of(self, slug: str, now: datetime) -> Release | None:
        return next((r for r in self.released(now) if r.article.slug == slug), None)

    def finished_at(self) -> datetime:
        return self.released_at(len(self.articles) - 1)


def article_path(slug: str, edition: str | None = None) -> str:
    """An article's URL path; an *edition* (one per ``parley up`` start) gives the same article
    a new URL, so a restarted demo publishes new articles rather than ones already seen."""
    return f"/articles/{edition}/{slug}" if edition else f"/articles/{slug}"


def feed_etag(releases: Sequence[Release]) -> str:
    digest = hashlib.sha256(
        "|".join(f"{r.article.slug}@{r.released_at.isoformat()}" for r in releases).encode()
    ).hexdigest()[:16]
    return f'"{digest}"'


def render_feed(
    newsroom: Newsroom, releases: Sequence[Release], base_url: str, edition: str | None = None
) -> bytes:
    """RSS 2.0 with one item per released article (link, guid, pubDate, summary)."""
    base = base_url.rstrip("/")
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = FEED_TITLE
    ET.SubElement(channel, "link").text = f"{base}/"
    ET.SubElement(channel, "description").text = FEED_DESCRIPTION
    ET.SubElement(channel, "generator").text = "parley replay"
    built = releases[0].released_at if releases else datetime.now(UTC)
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(built)
    for release in releases:
        article = release.article
        item = ET.SubElement(channel, "item")
        url = f"{base}{article_path(article.slug, edition)}"
        ET.SubElement(item, "title").text = article.title
        ET.SubElement(item, "link").text = url
        ET.SubElement(item, "guid", isPermaLink="true").text = url
        ET.SubElement(item, "pubDate").text = format_datetime(release.released_at)
        ET.SubElement(item, "description").text = article.summary
        ET.SubElement(item, "author").text = f"newsroom@parley.invalid ({article.author})"
        for tag in article.tags:
            ET.SubElement(item, "category").text = tag
    xml: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return xml


def render_article(newsroom: Newsroom, release: Release) -> str:
    """An article page with the metadata extractors look for (og:, article:published_time)."""
    article = release.article
    esc = html.escape
    published = release.released_at.isoformat()
    time_tag = f'<time datetime="{published}">{published}</time>'
    body = "\n".join(f"      <p>{esc(p)}</p>" for p in article.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{esc(article.language)}">
<head>
  <meta charset="utf-8">
  <title>{esc(article.title)} | {esc(newsroom.outlet)}</title>
  <meta name="description" content="{esc(article.summary)}">
  <meta name="author" content="{esc(article.author)}">
  <meta property="og:title" content="{esc(article.title)}">
  <meta property="og:site_name" content="{esc(newsroom.outlet)}">
  <meta property="og:type" content="article">
  <meta property="article:published_time" content="{published}">
</head>
<body>
  <header><a href="/">{esc(newsroom.outlet)}</a></header>
  <main>
    <article>
      <h1>{esc(article.title)}</h1>
      <p class="byline">By {esc(article.author)} · {time_tag}</p>
{body}
    </article>
  </main>
  <footer>{esc(FEED_DESCRIPTION)}</footer>
</body>
</html>
"""
