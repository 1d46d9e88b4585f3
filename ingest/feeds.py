"""The feed list: YAML file, OPML import, and the feed record shared through Kafka.

YAML format (a list, or a mapping with a ``feeds`` list)::

    feeds:
      - url: https://www.example.org/rss
        outlet: Example News
        country: GB
        language: en
        tags: [europe, politics]
        min_interval: 120      # seconds; both bounds optional (ingest.schedule defaults)
        max_interval: 3600

A feed's id is derived from the URL it was listed with and never changes, even when a permanent
redirect later moves the feed (the poller stores the new URL in its state).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ingest.ids import InvalidUrlError, canonical_url

SCHEMA = "parley.feed.v1"


class FeedListError(ValueError):
    """The feed list (YAML or OPML) cannot be read; the message names the file and the entry."""


def feed_id(url: str) -> str:
    """Stable id of a feed: hash of its canonical URL (tracking parameters removed)."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:24]


class Feed(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: str = Field(SCHEMA, alias="schema")
    id: str = ""
    url: str
    title: str | None = None
    outlet: str | None = None
    country: str | None = None
    language: str | None = None
    tags: list[str] = Field(default_factory=list)
    min_interval: float | None = Field(None, gt=0)
    max_interval: float | None = Field(None, gt=0)
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        try:
            canonical_url(value)
        except InvalidUrlError as exc:
            raise ValueError(str(exc)) from exc
        return value.strip()

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @model_validator(mode="after")
    def _derive(self) -> Feed:
        if not self.id:
            self.id = feed_id(self.url)
        if (
            self.min_interval is not None
            and self.max_interval is not None
            and self.min_interval > self.max_interval
        ):
            raise ValueError("min_interval must not exceed max_interval")
        return self

    def to_bytes(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Feed:
        return cls.model_validate_json(data)


def parse_feed_list(data: Any, source: str = "feed list") -> list[Feed]:
    """Validate a loaded YAML/JSON document; duplicate ids keep the first entry."""
    if isinstance(data, dict):
        data = data.get("feeds", [])
    if data is None:
        return []
    if not isinstance(data, list):
        raise FeedListError(f"{source}: expected a list of feeds or a mapping with 'feeds'")
    feeds: dict[str, Feed] = {}
    for index, entry in enumerate(data):
        if isinstance(entry, str):
            entry = {"url": entry}
        try:
            feed = Feed.model_validate(entry)
        except ValidationError as exc:
            raise FeedListError(f"{source}: feed #{index + 1}: {exc}") from exc
        feeds.setdefault(feed.id, feed)
    return list(feeds.values())


def load_feeds(path: Path) -> list[Feed]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FeedListError(f"{path}: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FeedListError(f"{path}: invalid YAML: {exc}") from exc
    return parse_feed_list(data, str(path))


def dump_feeds(feeds: Iterable[Feed]) -> str:
    rows = [
        json.loads(f.model_dump_json(exclude_none=True, exclude={"schema_", "id"})) for f in feeds
    ]
    for row in rows:
        if row.get("enabled") is True:
            del row["enabled"]
        if not row.get("tags"):
            row.pop("tags", None)
    return yaml.safe_dump({"feeds": rows}, sort_keys=False, allow_unicode=True)


def save_feeds(path: Path, feeds: Iterable[Feed]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dump_feeds(feeds), encoding="utf-8")
    tmp.replace(path)


def merge_feeds(existing: Sequence[Feed], new: Iterable[Feed]) -> tuple[list[Feed], int]:
    """Existing entries win (they may carry hand-edited fields); returns (merged, added)."""
    merged = {f.id: f for f in existing}
    added = 0
    for feed in new:
        if feed.id not in merged:
            merged[feed.id] = feed
            added += 1
    return list(merged.values()), added


def parse_opml(data: bytes, source: str = "OPML") -> tuple[list[Feed], list[str]]:
    """Feeds of an OPML document; returns (feeds, problems).  Folder names and ``category``
    attributes become tags.  Entities and network access are disabled (XXE)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise FeedListError(f"{source}: not XML: {exc}") from exc
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise FeedListError(f"{source}: not an OPML document")
    feeds: dict[str, Feed] = {}
    problems: list[str] = []

    def walk(element: Any, folders: list[str]) -> None:
        for outline in element:
            if not isinstance(outline.tag, str) or etree.QName(outline).localname != "outline":
                continue
            url = outline.get("xmlUrl") or outline.get("xmlurl")
            label = outline.get("title") or outline.get("text")
            if url:
                tags = list(folders)
                for cat in (outline.get("category") or "").replace("/", ",").split(","):
                    if cat.strip() and cat.strip() not in tags:
                        tags.append(cat.strip())
                try:
                    feed = Feed(
                        url=url,
                        title=label,
                        language=outline.get("language") or None,
                        tags=tags,
                    )
                except ValidationError as exc:
                    problems.append(f"{url}: {exc.errors()[0]['msg']}")
                else:
                    feeds.setdefault(feed.id, feed)
            walk(outline, [*folders, label] if (not url and label) else folders)

    body = root.find("body")
    walk(body if body is not None else root, [])
    return list(feeds.values()), problems
