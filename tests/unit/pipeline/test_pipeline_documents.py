"""Document builders: deterministic ids, cluster ids, and the fields the index mappings expect."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.ids import article_id
from ingest.records import ArticleRecord
from pipeline.documents import build_documents, cluster_id, normalize_quote, statement_id
from pipeline.extract import StatementExtractor
from sinks.elasticsearch.templates import MAPPINGS

SEED = (Path(__file__).resolve().parents[2] / "fixtures" / "seed-article.txt").read_text("utf-8")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def record(url: str = "https://example.org/news/peskov", **kw: Any) -> ArticleRecord:
    return ArticleRecord(id=article_id(url), url=url, title="Peskov", text=SEED, **kw)


@pytest.fixture(scope="module")
def extraction() -> dict[str, Any]:
    result = StatementExtractor().extract(SEED, title="Peskov")
    out = result.to_dict()
    out["language"] = result.language
    return out


def test_seed_article_documents(extraction: dict[str, Any]) -> None:
    rec = record(outlet="rt", published_at=datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    docs = build_documents(rec, extraction, indexed_at=NOW)
    assert docs.article.id == rec.id and docs.article.index == "articles"
    assert len(docs.statements) == len(extraction["statements"]) > 0
    for doc, st in zip(docs.statements, extraction["statements"], strict=True):
        quote = st["quote"]
        assert doc.index == "statements"
        assert doc.id == statement_id(rec.id, quote["start"], quote["end"])
        assert doc.source["statement_id"] == doc.id
        assert doc.source["article_id"] == rec.id
        assert doc.source["speaker"] == st["speaker"]
        assert doc.source["has_trigger"] == bool(st["triggers"])
        assert doc.source["@timestamp"] == "2026-11-24T08:00:00+00:00"
        assert doc.source["language"] == "en"
    article = docs.article.source
    assert article["statement_count"] == len(docs.statements)
    assert article["trigger_count"] == len(extraction["triggers"])
    assert set(article["trigger_categories"]) == {t["category"] for t in extraction["triggers"]}


def test_documents_only_use_mapped_fields(extraction: dict[str, Any]) -> None:
    docs = build_documents(record(), extraction, indexed_at=NOW)
    # text_truncated is kept in _source for readers but not searched (dynamic: false).
    unmapped_ok = {"text_truncated"}
    for doc in docs.all():
        mapped = set(MAPPINGS[doc.index]["properties"])
        assert set(doc.source) - mapped <= unmapped_ok, doc.index


def test_ids_are_deterministic(extraction: dict[str, Any]) -> None:
    first = build_documents(record(), extraction, indexed_at=NOW)
    again = build_documents(record(), extraction, indexed_at=datetime.now(UTC))
    assert [d.id for d in first.all()] == [d.id for d in again.all()]
    assert [d.source["cluster_id"] for d in first.statements] == [
        d.source["cluster_id"] for d in again.statements
    ]
    assert len({d.id for d in first.statements}) == len(first.statements)


def test_syndicated_statement_shares_the_cluster(extraction: dict[str, Any]) -> None:
    a = build_documents(record("https://a.example/x"), extraction, indexed_at=NOW)
    b = build_documents(record("https://b.example/y"), extraction, indexed_at=NOW)
    assert {d.id for d in a.statements}.isdisjoint({d.id for d in b.statements})
    assert [d.source["cluster_id"] for d in a.statements] == [
        d.source["cluster_id"] for d in b.statements
    ]


def test_cluster_id_normalises_quote_styling_but_not_speaker_or_words() -> None:
    peskov = {"name": "Dmitry Peskov", "organization": "Kremlin"}
    base = cluster_id(peskov, "Russia “remains open to talks” to end the hostilities")
    assert cluster_id(peskov, 'russia "remains open to talks" to end the hostilities.') == base
    assert (
        cluster_id(
            {"name": "Dmitry  Peskov"}, "Russia remains open to talks to end the hostilities"
        )
        == base
    )
    assert (
        cluster_id(
            {"name": "Maria Zakharova"}, "Russia remains open to talks to end the hostilities"
        )
        != base
    )
    assert cluster_id(peskov, "Russia remains closed to talks") != base
    # No resolved name: the institution, then the mention, identify the speaker.
    assert cluster_id({"name": None, "organization": "Kremlin"}, "x") != cluster_id(
        {"name": None, "organization": "Foreign Ministry"}, "x"
    )
    assert normalize_quote("  «Да», — сказал  ") == "да сказал"


def test_timestamp_falls_back_to_seen_then_fetched(extraction: dict[str, Any]) -> None:
    seen = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    doc = build_documents(record(seen_at=seen), extraction, indexed_at=NOW).article
    assert doc.source["@timestamp"] == seen.isoformat()
    fetched = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    doc = build_documents(record(fetched_at=fetched), extraction, indexed_at=NOW).article
    assert doc.source["@timestamp"] == fetched.isoformat()


def test_no_statements_still_gives_the_article() -> None:
    docs = build_documents(record(), {"statements": [], "triggers": []}, indexed_at=NOW)
    assert docs.statements == ()
    assert docs.article.source["statement_count"] == 0
