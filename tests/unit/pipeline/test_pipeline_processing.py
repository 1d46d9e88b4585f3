"""process_message: every record gives documents or a dead letter with its reason, never an
exception (poison never stops the stream)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ingest.ids import article_id
from ingest.records import ArticleRecord
from pipeline.processing import KafkaMessage, process_message, statement_extractor

SEED = (Path(__file__).resolve().parents[2] / "fixtures" / "seed-article.txt").read_text("utf-8")
LIMIT = 8 * 1024 * 1024


def msg(value: bytes | None, offset: int = 7) -> KafkaMessage:
    return KafkaMessage("articles", 2, offset, b"key-1", value, 1_700_000_000_000)


def article_bytes(text: str = SEED, **kw: Any) -> bytes:
    url = "https://example.org/a"
    return ArticleRecord(id=article_id(url), url=url, text=text, **kw).to_bytes()


@pytest.fixture(scope="module")
def extract() -> Any:
    return statement_extractor()


def test_valid_record_gives_documents(extract: Any) -> None:
    out = process_message(msg(article_bytes()), extract=extract, max_record_bytes=LIMIT)
    assert out.dead_letters == ()
    assert out.position == ("articles", 2, 7)
    assert out.documents[0].index == "articles"
    assert sum(d.index == "statements" for d in out.documents) >= 5
    assert out.timestamp_ms == 1_700_000_000_000


@pytest.mark.parametrize(
    ("payload", "reason", "detail"),
    [
        (b"{not json", "invalid_json", "Expecting property name"),
        (b"\xff\xfe\x00", "invalid_json", ""),
        (b"[1, 2]", "schema", "expected a JSON object"),
        (json.dumps({"id": "abcdefgh12", "url": "https://x.org/"}).encode(), "schema", "text"),
        (json.dumps({"url": "https://x.org/", "text": "t"}).encode(), "schema", "id"),
        (b"", "empty", ""),
        (None, "empty", ""),
    ],
)
def test_poison_records_become_dead_letters(
    extract: Any, payload: bytes | None, reason: str, detail: str
) -> None:
    out = process_message(msg(payload), extract=extract, max_record_bytes=LIMIT)
    assert out.documents == ()
    (dl,) = out.dead_letters
    assert dl.reason == reason
    assert detail in dl.detail
    assert (dl.source_topic, dl.source_partition, dl.source_offset) == ("articles", 2, 7)
    assert dl.source_key == "key-1"
    assert dl.payload() == (payload[: 256 * 1024] if payload else payload)
    assert dl.worker == "pipeline"


def test_oversized_record_is_refused_unparsed(extract: Any) -> None:
    payload = article_bytes(text="x" * 1_000) + b" " * (20 * 1024 * 1024)
    out = process_message(msg(payload), extract=extract, max_record_bytes=LIMIT)
    (dl,) = out.dead_letters
    assert dl.reason == "too_large"
    assert dl.payload_size == len(payload)
    assert len(dl.payload() or b"") == 256 * 1024  # a sample, not 20 MB, goes to the topic


def test_extractor_crash_is_a_dead_letter() -> None:
    def crash(record: ArticleRecord) -> Mapping[str, Any]:
        raise RuntimeError("boom at 17")

    out = process_message(msg(article_bytes()), extract=crash, max_record_bytes=LIMIT)
    (dl,) = out.dead_letters
    assert dl.reason == "extractor_crash"
    assert "boom at 17" in dl.detail
    assert dl.context["article_id"] == article_id("https://example.org/a")


def test_contract_violation_is_a_dead_letter() -> None:
    def broken(record: ArticleRecord) -> Mapping[str, Any]:
        return {"statements": [{"kind": "direct"}], "triggers": []}  # no quote

    out = process_message(msg(article_bytes()), extract=broken, max_record_bytes=LIMIT)
    assert [dl.reason for dl in out.dead_letters] == ["document_build"]


@pytest.mark.parametrize("depth", [1_000, 5_000, 100_000])
def test_deeply_nested_json_is_dead_lettered_not_raised(extract: Any, depth: int) -> None:
    record = json.loads(article_bytes())
    payload = json.dumps(record)[:-1].encode() + b', "tags": ' + b"[" * depth + b"]" * depth + b"}"
    out = process_message(msg(payload), extract=extract, max_record_bytes=LIMIT)
    (dl,) = out.dead_letters
    assert (dl.reason, dl.detail) == ("invalid_json", "JSON nested too deeply to parse")
    assert out.documents == ()
    assert len(dl.to_bytes()) < 400_000


def test_lone_surrogates_become_replacement_characters_and_offsets_hold(extract: Any) -> None:
    text = 'The spokesman said: "We remain open to talks \ud800 now." Then \udfff nothing.'
    url = "https://example.org/s"
    payload = json.dumps({"id": article_id(url), "url": url, "text": text, "tags": ["a\udc80"]})
    out = process_message(msg(payload.encode()), extract=extract, max_record_bytes=LIMIT)
    assert out.dead_letters == ()
    article = next(d for d in out.documents if d.index == "articles")
    assert article.source["text"] == text.replace("\ud800", "\ufffd").replace("\udfff", "\ufffd")
    assert len(article.source["text"]) == len(text)
    for doc in out.documents:
        json.dumps(doc.source, ensure_ascii=False).encode("utf-8")  # encodable for the bulk body


def test_a_dead_letter_is_written_whatever_its_detail_holds() -> None:
    def crash(record: ArticleRecord) -> Mapping[str, Any]:
        raise ValueError("cannot handle \udcff here")

    out = process_message(msg(article_bytes()), extract=crash, max_record_bytes=LIMIT)
    (dl,) = out.dead_letters
    assert json.loads(dl.to_bytes())["reason"] == "extractor_crash"
