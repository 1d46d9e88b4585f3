"""Feed parsing with feedparser, over the bytes the poller fetched (never feedparser's HTTP).

Ill-formed ("bozo") feeds still yield whatever entries feedparser recovered; the reason is kept
in ``ParsedFeed.bozo`` for the log.  A body that is not a feed at all (an HTML page, an error
page) is recognised by ``is_feed`` being False.
"""

from __future__ import annotations

import calendar
import html
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from ingest.schedule import PublisherHints, sy_update_period, ttl_seconds

MAX_SUMMARY_CHARS = 20_000
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True)
class FeedEntry:
    link: str | None  # absolute http(s) URL of the article, None when the entry has none
    guid: str | None
    title: str | None
    summary: str | None  # plain text
    author: str | None
    published: datetime | None
    language: str | None
    tags: tuple[str, ...] = ()


@dataclass
class ParsedFeed:
    entries: list[FeedEntry] = field(default_factory=list)
    title: str | None = None
    language: str | None = None
    version: str = ""
    hints: PublisherHints = field(default_factory=PublisherHints)
    bozo: str | None = None  # why feedparser found the document ill-formed

    @property
    def is_feed(self) -> bool:
        return bool(self.version or self.entries)


def html_to_text(value: str | None) -> str | None:
    """Plain text of a feed's HTML fragment (feedparser has already sanitised it)."""
    if not value:
        return None
    text = _TAG.sub(" ", value[: MAX_SUMMARY_CHARS * 4])
    text = html.unescape(text)
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    cleaned = "\n".join(line for line in lines if line)
    return cleaned[:MAX_SUMMARY_CHARS] or None


def http_url(value: Any, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    absolute = urljoin(base, value.strip())
    try:
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def _entry_link(entry: Any, base: str) -> str | None:
    link = http_url(entry.get("link"), base)
    if link:
        return link
    for candidate in entry.get("links", []) or []:
        if candidate.get("rel", "alternate") == "alternate":
            link = http_url(candidate.get("href"), base)
            if link:
                return link
    # A guid counts only when it is an absolute URL by itself: "abc-123" is an opaque id, not
    # a path relative to the feed.
    guid = entry.get("id")
    if isinstance(guid, str) and guid.strip().lower().startswith(("http://", "https://")):
        return http_url(guid, base)
    return None


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    # A missing Content-Type is common and harmless: say XML rather than have feedparser flag
    # every such feed as ill-formed; the document's own encoding declaration still applies.
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    try:
        parsed = feedparser.parse(body, response_headers=headers, resolve_relative_uris=True)
    except Exception as exc:  # noqa: BLE001 - feedparser should not raise, but a crash must not stop a worker
        return ParsedFeed(bozo=f"parser crashed: {type(exc).__name__}: {exc}")
    meta = parsed.get("feed", {}) or {}
    feed_language = _text(meta.get("language"))
    entries = []
    for raw in parsed.get("entries", []) or []:
        summary = raw.get("summary")
        if not summary and raw.get("content"):
            summary = " ".join(c.get("value", "") for c in raw["content"] if c.get("value"))
        tags = tuple(
            t["term"].strip()
            for t in raw.get("tags", []) or []
            if isinstance(t.get("term"), str) and t["term"].strip()
        )
        entries.append(
            FeedEntry(
                link=_entry_link(raw, url),
                guid=_text(raw.get("id")),
                title=html_to_text(raw.get("title")),
                summary=html_to_text(summary),
                author=_text(raw.get("author")),
                published=_when(raw),
                language=_text(raw.get("language")) or feed_language,
                tags=tags,
            )
        )
    bozo = None
    if parsed.get("bozo"):
        reason = parsed.get("bozo_exception")
        bozo = f"{type(reason).__name__}: {reason}" if reason is not None else "ill-formed"
    return ParsedFeed(
        entries=entries,
        title=html_to_text(meta.get("title")),
        language=feed_language,
        version=str(parsed.get("version") or ""),
        hints=PublisherHints(
            ttl=ttl_seconds(meta.get("ttl")),
            update_period=sy_update_period(
                meta.get("sy_updateperiod"), meta.get("sy_updatefrequency")
            ),
        ),
        bozo=bozo,
    )
