"""Whatever the text, extraction ends in bounded time with a valid contract line.

Time limits here are generous (shared CI machines); the point is "bounded", not fast:
a quadratic path turns these seconds into minutes.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract import StatementExtractor, extract_record
from pipeline.extract.extractor import MAX_TEXT_CHARS

SEED = (Path(__file__).resolve().parents[1] / "fixtures" / "seed-article.txt").read_text("utf-8")
EXTRACTOR = StatementExtractor()
LIMIT_S = 10.0


def _valid(out: dict[str, Any], record_id: str, text: str) -> None:
    assert out["id"] == record_id
    assert "error" not in out, out.get("error")
    for stmt in out["statements"]:
        assert stmt["kind"] in ("direct", "indirect", "mixed")
        q = stmt["quote"]
        assert 0 <= q["start"] < q["end"] <= len(text)
        cue = stmt["cue"]
        assert text[cue["start"] : cue["end"]] == cue["text"]
        mention = stmt["speaker"]["mention"]
        if mention is not None:
            assert text[mention["start"] : mention["end"]] == mention["text"]
    for trig in out["triggers"]:
        assert text[trig["start"] : trig["end"]] == trig["text"]
        assert trig["stance"] in ("positive", "negative", "neutral")


def _timed(text: str) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    out = extract_record({"id": "r", "text": text}, EXTRACTOR)
    return out, time.perf_counter() - start


_rng = random.Random(7)
CASES = {
    "empty": "",
    "whitespace": " \n\t\r " * 500,
    "10000 straight quotes": '"' * 10_000,
    "10000 curly openers": "“" * 10_000,
    "10000 mixed quote marks": "".join(_rng.choice("“”\"'‘’«»„ said he ") for _ in range(10_000)),
    "unbalanced quotes": "“He said it, he said. " * 2_000,
    "nested single quotes": "“" + "‘" * 5_000 + "”" * 5_000,
    "right-to-left": "قال المتحدث «المحادثات ممكنة». " * 300 + 'שלום "אמר" הוא. ' * 300,
    "binary junk": bytes(_rng.randrange(256) for _ in range(100_000)).decode("latin-1"),
    "control characters": "".join(chr(_rng.randrange(32)) for _ in range(20_000)),
    "5 MB of articles": (SEED + "\n") * (5_000_000 // len(SEED)),
    "5 MB on one line": "word said that " * 350_000,
    "5 MB without spaces": "a" * 5_000_000,
    "cue words only": "said " * 100_000,
    "complementizers": "He said that " * 50_000,
    "capitalised words": "A " * 200_000,
    "commas": "X, " * 100_000 + "said.",
    "surrogate-free astral": "😀 “talks” said 🇺🇦 " * 2_000,
    "capitalised words, then an acronym": "Aa " * 30_000 + "(AA). The AA said talks failed.",
    "one long capitalised word, then an acronym": "A" * 90_000 + " (B). The B said it was over.",
    "appositives": (
        "Anna Berg, a fellow at the Centre for Long Studies of Things in Oslo, said it failed. "
        * 1_000
    ),
    "speaker descriptions": (
        "The report said talks failed. The country's general staff said so. Iran said no. "
        "A source familiar with the talks said yes. “No,” she added. He said it was over. "
    )
    * 500,
}


@pytest.mark.parametrize("name", list(CASES))
def test_adversarial_text(name: str) -> None:
    text = CASES[name]
    out, elapsed = _timed(text)
    _valid(out, "r", text)
    assert elapsed < LIMIT_S, f"{name}: {elapsed:.1f} s"


def test_long_text_is_cut_not_refused() -> None:
    text = (SEED + "\n") * (3 * MAX_TEXT_CHARS // len(SEED))
    result = EXTRACTOR.extract(text)
    assert result.statements  # the beginning is still extracted
    assert max(s.quote.end for s in result.statements) <= MAX_TEXT_CHARS


_ALPHABET = st.sampled_from(
    list("abcdefghij ABCDEF .,:;!?—–-\n\t")
    + list("“”\"'‘’«»„")
    + ["said ", "says ", "told ", "according to ", "that ", "He ", "Peskov ", "talks ", "not "]
    + ["ceasefire ", "заявил ", "«", "»", "— ", "що ", "ні ", "قال ", "ש", "\u200f", "\u202e"]
    + ["Institute ", "for ", "(", ")", "IISS ", "source ", "country's ", "report ", "she "]
)


@settings(
    max_examples=150,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(st.lists(_ALPHABET, max_size=400).map("".join))
def test_fuzzed_text_gives_a_valid_line(text: str) -> None:
    out = extract_record({"id": "fuzz", "text": text}, EXTRACTOR)
    _valid(out, "fuzz", text)


@settings(max_examples=60, deadline=2000, derandomize=True)
@given(st.text(max_size=2000))
def test_arbitrary_unicode_gives_a_valid_line(text: str) -> None:
    out = extract_record({"id": "u", "text": text}, EXTRACTOR)
    _valid(out, "u", text)


@settings(max_examples=40, deadline=3000, derandomize=True)
@given(st.integers(min_value=0, max_value=len(SEED)), st.text(max_size=50))
def test_seed_with_noise_inserted(position: int, noise: str) -> None:
    text = SEED[:position] + noise + SEED[position:]
    out = extract_record({"id": "s", "text": text}, EXTRACTOR)
    _valid(out, "s", text)
