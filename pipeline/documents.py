"""Elasticsearch documents built from one article and its extraction (pure: no I/O).

Ids are derived from content only (DESIGN.md "Article id"), so building the documents twice
from the same record gives the same ids, which is what makes replays create nothing new:

- article document ``_id`` = article id (hash of the canonical URL, made by ``ingest.ids``);
- statement id = article id + quote span (``<article id>-<start>-<end>``): one quote at one place
  of one article;
- statement cluster id = hash of the normalised speaker + the normalised quote: the same words
  from the same speaker, syndicated by ten outlets, are ten statements in one cluster.

The extraction is taken in its contract form (``ExtractionResult.to_dict()``, DESIGN.md
"Extraction contract") so that these builders depend on the shape, not on the extractor code.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ingest.records import ArticleRecord
from pipeline.extract.gazetteer import normalize_name

IndexName = Literal["articles", "statements"]


@dataclass(frozen=True)
class IndexDocument:
    """One document for one of parley's indices; ``index`` is the logical name
    (``settings.elasticsearch.index(index)`` gives the concrete one)."""

    index: IndexName
    id: str
    source: dict[str, Any]


@dataclass(frozen=True)
class ArticleDocuments:
    article: IndexDocument
    statements: tuple[IndexDocument, ...]

    def all(self) -> tuple[IndexDocument, ...]:
        return (self.article, *self.statements)


def statement_id(article_id: str, start: int, end: int) -> str:
    return f"{article_id}-{start}-{end}"


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_quote(text: str) -> str:
    """Case, quote marks, punctuation and spacing do not make a different statement:
    outlets restyle quotes (curly vs straight marks, a dropped comma, a trailing period)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", folded).strip()


def speaker_key(speaker: Mapping[str, Any] | None) -> str:
    """Who said it, for clustering: the resolved person, else the institution, else the words
    of the mention (an unresolved "a senior official" still separates from another speaker)."""
    if not speaker:
        return ""
    for field in ("name", "organization"):
        value = speaker.get(field)
        if isinstance(value, str) and value.strip():
            return str(normalize_name(value))
    mention = speaker.get("mention")
    if isinstance(mention, Mapping) and isinstance(mention.get("text"), str):
        return str(normalize_name(str(mention["text"])))
    return ""


def cluster_id(speaker: Mapping[str, Any] | None, quote_text: str) -> str:
    key = f"{speaker_key(speaker)}\x1f{normalize_quote(quote_text)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _unique(values: Iterable[Any]) -> list[Any]:
    return sorted({v for v in values if v is not None})


def _article_context(
    record: ArticleRecord, language: str | None, indexed_at: datetime
) -> dict[str, Any]:
    # @timestamp is when the news happened as far as we know: Kibana's time filter and alert
    # windows read it.  The record's own dates win over our processing time.
    timestamp = record.published_at or record.seen_at or record.fetched_at
    return {
        "article_id": record.id,
        "url": record.url,
        "title": record.title,
        "outlet": record.outlet,
        "country": record.country,
        "language": record.language or language,
        "feed_id": record.feed_id,
        "tags": list(record.tags),
        "published_at": _iso(record.published_at),
        "seen_at": _iso(record.seen_at),
        "fetched_at": _iso(record.fetched_at),
        "indexed_at": _iso(indexed_at),
        "@timestamp": _iso(timestamp),
    }


def _speaker_label(speaker: Mapping[str, Any] | None) -> str | None:
    if not speaker:
        return None
    for field in ("name", "organization"):
        value = speaker.get(field)
        if isinstance(value, str) and value.strip():
            return value
    return None


def build_documents(
    record: ArticleRecord, extraction: Mapping[str, Any], *, indexed_at: datetime
) -> ArticleDocuments:
    """The ``parley-articles`` document and one ``parley-statements`` document per statement."""
    language = extraction.get("language")
    context = _article_context(record, language if isinstance(language, str) else None, indexed_at)
    statements: Sequence[Mapping[str, Any]] = extraction.get("statements") or []
    triggers: Sequence[Mapping[str, Any]] = extraction.get("triggers") or []

    statement_docs: dict[str, IndexDocument] = {}
    for st in statements:
        quote = st["quote"]
        sid = statement_id(record.id, int(quote["start"]), int(quote["end"]))
        st_triggers = list(st.get("triggers") or [])
        source = {
            **context,
            "statement_id": sid,
            "cluster_id": cluster_id(st.get("speaker"), str(quote["text"])),
            "kind": st.get("kind"),
            "quote": dict(quote),
            "cue": st.get("cue"),
            "speaker": st.get("speaker"),
            "triggers": st_triggers,
            "trigger_categories": _unique(t.get("category") for t in st_triggers),
            "stances": _unique(t.get("stance") for t in st_triggers),
            "has_trigger": bool(st_triggers),
        }
        # Two statements over the same span would be one id; the first one found wins so the
        # result does not depend on dictionary order downstream.
        statement_docs.setdefault(sid, IndexDocument("statements", sid, source))

    article_source = {
        **context,
        "original_url": record.original_url,
        "text": record.text,
        "summary": record.summary,
        "author": record.author,
        "text_source": record.text_source,
        "text_error": record.text_error,
        "text_truncated": record.text_truncated,
        "statement_count": len(statement_docs),
        "trigger_count": len(triggers),
        "trigger_categories": _unique(t.get("category") for t in triggers),
        "stances": _unique(t.get("stance") for t in triggers),
        "speakers": _unique(_speaker_label(st.get("speaker")) for st in statements),
        "triggers": [dict(t) for t in triggers],
    }
    return ArticleDocuments(
        article=IndexDocument("articles", record.id, article_source),
        statements=tuple(statement_docs.values()),
    )
