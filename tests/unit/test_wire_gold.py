"""The hand-annotated wire set (tests/fixtures/wire/) is well formed.

What is checked: each document's fields, every trigger's and statement's offsets against the
text and their vocabulary (the extraction contract's categories, stances and statement kinds),
speaker fields, no trigger twice, the documents filed under the split recorded in
``split.json`` and each of its draws being the seeded draw it says it is, and the README's tables
being the files' counts.  How the set was made: tests/fixtures/wire/README.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks.trigger_gold_tools import draw_split
from benchmarks.wire_gold_tools import PARTS, count_tables
from pipeline.extract.model import STANCES, TRIGGER_CATEGORIES

WIRE = Path(__file__).resolve().parents[1] / "fixtures" / "wire"
DOC_KEYS = {
    "id",
    "source",
    "title",
    "date",
    "attribution",
    "licence",
    "text",
    "triggers",
    "statements",
}
TRIGGER_KEYS = {"start", "end", "text", "category", "stance"}
SPEAKER_KEYS = {"name", "role", "organization", "country", "official"}
KINDS = {"direct", "indirect", "mixed"}


def _read(part: str) -> list[dict[str, Any]]:
    lines = (WIRE / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


DOCS = {part: _read(part) for part in PARTS}
ALL = [d for part in PARTS for d in DOCS[part]]


def _span_ok(text: str, span: dict[str, Any]) -> bool:
    start, end = span["start"], span["end"]
    return 0 <= start < end <= len(text) and text[start:end] == span["text"]


@pytest.mark.parametrize("doc", ALL, ids=[d["id"] for d in ALL])
def test_document(doc: dict[str, Any]) -> None:
    assert set(doc) >= DOC_KEYS, DOC_KEYS - set(doc)
    assert doc["source"] == "parley-wire"
    assert "not a real article" in doc["attribution"]
    assert doc["text"].startswith(doc["title"] + "\n\n")
    assert re.fullmatch(r"2026-\d\d-\d\d", doc["date"])
    text = doc["text"]
    seen = set()
    for t in doc["triggers"]:
        assert set(t) >= TRIGGER_KEYS, t
        assert _span_ok(text, t), t
        assert t["category"] in TRIGGER_CATEGORIES and t["stance"] in STANCES, t
        key = (t["start"], t["end"], t["category"])
        assert key not in seen, t
        seen.add(key)
    starts = []
    for s in doc["statements"]:
        assert s["kind"] in KINDS, s
        assert _span_ok(text, s["content"]), s
        for part in ("cue", "source"):
            assert s.get(part) is None or _span_ok(text, s[part]), s
        speaker = s["speaker"]
        assert set(speaker) == SPEAKER_KEYS, s
        assert speaker["official"] in (True, False, None), s
        assert speaker["country"] is None or re.fullmatch(r"[A-Z]{2}", speaker["country"]), s
        starts.append(s["content"]["start"])
    assert starts == sorted(starts)


def test_split_is_the_recorded_draws() -> None:
    split = json.loads((WIRE / "split.json").read_text(encoding="utf-8"))
    for part in PARTS:
        assert sorted(d["id"] for d in DOCS[part]) == split[part]
        assert split[part] == sorted(d for draw in split["draws"] for d in draw[part])
    assert not set(split["dev"]) & set(split["test"])
    seen: set[str] = set()
    for draw in split["draws"]:
        selection = list(draw["strata"].items())
        assert set(draw["strata"]) == set(draw["dev"]) | set(draw["test"])
        assert not seen & set(draw["strata"])
        seen |= set(draw["strata"])
        redrawn = draw_split(
            selection, draw["seed"], draw["test_share"], tuple(draw["strata_order"])
        )
        assert redrawn == {"dev": draw["dev"], "test": draw["test"]}


def test_readme_counts_are_the_files() -> None:
    readme = (WIRE / "README.md").read_text(encoding="utf-8")
    assert count_tables() in readme
