"""The article record on ``parley.articles.v1`` (key = article id).  Defined once, here.

Consumers validate incoming bytes with ``ArticleRecord.model_validate_json``; a record that fails
validation is a poison record and goes to the dead-letter topic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA: Literal["parley.article.v1"] = "parley.article.v1"
MAX_TEXT_CHARS = 2_000_000


class ArticleRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    schema_: Literal["parley.article.v1"] = Field(SCHEMA, alias="schema")
    id: str = Field(min_length=8, max_length=128)
    url: str = Field(min_length=1, description="canonical URL the id is derived from")
    original_url: str | None = None
    title: str | None = None
    text: str = Field(max_length=MAX_TEXT_CHARS)
    summary: str | None = None
    author: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # "article": text extracted from the page; "feed_summary": extraction failed, the feed's
    # summary stands in (text_error says why); "replay": offline replay source.
    text_source: Literal["article", "feed_summary", "replay"] = "article"
    text_error: str | None = None
    # True when the text was cut to keep the record under the Kafka message size limit.
    text_truncated: bool | None = None
    feed_id: str | None = None
    feed_url: str | None = None
    outlet: str | None = None
    country: str | None = None
    tags: list[str] = Field(default_factory=list)
    # When the item first appeared in its feed (or was published by a test newsroom); used to
    # measure publish→alert latency end to end.
    seen_at: datetime | None = None

    def to_bytes(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode("utf-8")
