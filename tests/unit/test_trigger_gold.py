"""The hand-annotated trigger set (tests/fixtures/triggers/) is well formed.

What is checked: each document's fields and licence, every trigger's offsets against the text
and its vocabulary (the extraction contract's categories and stances), no trigger twice, spans
on word boundaries, the documents filed under the split recorded in ``split.json`` and that split
being the seeded draw it says it is, dev and test disjoint.  How the set was made:
tests/fixtures/triggers/README.md; what a trigger is: docs/trigger-annotation.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from benchmarks.trigger_gold_tools import count_tables, draw_split
from pipeline.extract.model import STANCES, TRIGGER_CATEGORIES

GOLD = Path(__file__).resolve().parents[1] / "fixtures" / "triggers"
PARTS = ("dev", "test")
DOC_KEYS = {"id", "source", "title", "date", "attribution", "licence", "text", "triggers"}
TRIGGER_KEYS = {"start", "end", "text", "category", "stance"}
OPTIONAL_TRIGGER_KEYS = {"parties", "note"}
KREMLIN = "President of Russia, http://en.kremlin.ru"
# What the set was made to hold (tests/fixtures/triggers/README.md).
MIN_DOCUMENTS = 80
MIN_TRIGGERS = 400
MIN_TEST_TRIGGERS = 180


def _read(part: str) -> list[dict[str, Any]]:
    lines = (GOLD / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def split() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLD / "split.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def docs() -> dict[str, list[dict[str, Any]]]:
    return {part: _read(part) for part in PARTS}


def _all(docs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [doc for part in PARTS for doc in docs[part]]


def test_documents_have_the_fields_and_their_licence(docs: dict[str, list[dict[str, Any]]]) -> None:
    for doc in _all(docs):
        where = doc.get("id")
        expected = DOC_KEYS | ({"url"} if doc.get("source") == "kremlin" else set())
        assert set(doc) == expected, where
        assert isinstance(doc["text"], str) and doc["text"].strip(), where
        assert isinstance(doc["triggers"], list), where
        if doc["source"] == "kremlin":
            assert doc["id"] == "kremlin-" + doc["url"].rsplit("/", 1)[1], where
            assert doc["url"].startswith("http://en.kremlin.ru/events/president/news/"), where
            assert KREMLIN in doc["attribution"] and doc["url"] in doc["attribution"], where
            assert "CC BY 4.0" in doc["licence"], where
        else:
            assert doc["source"] == "polnear" and doc["id"].startswith("polnear-"), where
            assert "PolNeAR" in doc["attribution"] and doc["licence"], where
        headline = " ".join(doc["title"].split()).rstrip(".")
        assert " ".join(doc["text"].split()).startswith(headline), where


def test_trigger_offsets_text_and_vocabulary(docs: dict[str, list[dict[str, Any]]]) -> None:
    for doc in _all(docs):
        text = doc["text"]
        for trigger in doc["triggers"]:
            where = (doc["id"], trigger)
            assert TRIGGER_KEYS <= set(trigger) <= TRIGGER_KEYS | OPTIONAL_TRIGGER_KEYS, where
            start, end = trigger["start"], trigger["end"]
            assert isinstance(start, int) and isinstance(end, int), where
            assert 0 <= start < end <= len(text), where
            assert text[start:end] == trigger["text"], where
            assert trigger["text"] == trigger["text"].strip(), where
            assert trigger["category"] in TRIGGER_CATEGORIES, where
            assert trigger["stance"] in STANCES, where
            for key in OPTIONAL_TRIGGER_KEYS & set(trigger):
                assert isinstance(trigger[key], str) and trigger[key], where


def test_spans_start_and_end_on_word_boundaries(docs: dict[str, list[dict[str, Any]]]) -> None:
    """A span cut inside a word is a bookkeeping slip (a phrase found inside a longer word), and
    clause punctuation at either end is not part of the phrase."""
    for doc in _all(docs):
        text = doc["text"]
        for trigger in doc["triggers"]:
            start, end = trigger["start"], trigger["end"]
            assert text[start] not in ".,;:" and text[end - 1] not in ".,;:", (doc["id"], trigger)
            assert start == 0 or not (text[start - 1].isalnum() and text[start].isalnum()), (
                doc["id"],
                trigger,
            )
            assert end == len(text) or not (text[end - 1].isalnum() and text[end].isalnum()), (
                doc["id"],
                trigger,
            )


def test_no_trigger_twice_and_no_contradiction(docs: dict[str, list[dict[str, Any]]]) -> None:
    """The same span and category twice is a duplicate, with two stances a contradiction."""
    for doc in _all(docs):
        keys = Counter((t["start"], t["end"], t["category"]) for t in doc["triggers"])
        assert [k for k, n in keys.items() if n > 1] == [], doc["id"]
        positions = [(t["start"], t["end"]) for t in doc["triggers"]]
        assert positions == sorted(positions), doc["id"]


def test_documents_are_filed_under_their_split(
    docs: dict[str, list[dict[str, Any]]], split: dict[str, Any]
) -> None:
    ids = [doc["id"] for doc in _all(docs)]
    assert len(ids) == len(set(ids))
    assert not set(split["dev"]) & set(split["test"])
    for part in PARTS:
        assert {doc["id"] for doc in docs[part]} <= set(split[part]), part


def test_split_is_the_seeded_draw_it_records(split: dict[str, Any]) -> None:
    """Each draw (the first, then documents added by theme) is the seeded split it says it is,
    no document is in two draws, and the files follow their union."""
    seen: set[str] = set()
    for draw in split["draws"]:
        selection = list(draw["strata"].items())
        drawn = draw_split(selection, draw["seed"], draw["test_share"], tuple(draw["strata_order"]))
        assert drawn == {"dev": draw["dev"], "test": draw["test"]}
        assert set(draw["strata"]) == set(draw["dev"]) | set(draw["test"])
        assert not seen & set(draw["strata"])
        seen |= set(draw["strata"])
    assert seen == set(split["strata"])
    for part in PARTS:
        assert split[part] == sorted(d for draw in split["draws"] for d in draw[part])


def test_every_document_of_the_split_is_annotated(
    docs: dict[str, list[dict[str, Any]]], split: dict[str, Any]
) -> None:
    for part in PARTS:
        assert [doc["id"] for doc in docs[part]] == sorted(split[part]), part


def test_the_set_has_the_size_it_was_made_for(docs: dict[str, list[dict[str, Any]]]) -> None:
    every = _all(docs)
    assert len(every) >= MIN_DOCUMENTS
    assert sum(len(doc["triggers"]) for doc in every) >= MIN_TRIGGERS
    assert sum(len(doc["triggers"]) for doc in docs["test"]) >= MIN_TEST_TRIGGERS
    used = {(t["category"], t["stance"]) for doc in every for t in doc["triggers"]}
    assert {category for category, _ in used} == set(TRIGGER_CATEGORIES)
    assert {stance for _, stance in used} == set(STANCES)


def test_readme_counts_are_the_files_counts() -> None:
    readme = (GOLD / "README.md").read_text(encoding="utf-8")
    assert count_tables().strip() in readme
