"""Data-driven extraction cases: tests/fixtures/extract_cases.yaml (one case per entry,
expectations inside it), in English, Russian and Ukrainian; triggers also in German, French
and Spanish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.extract import ExtractionResult, Statement, StatementExtractor, Trigger

CASES_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "extract_cases.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]
EXTRACTOR = StatementExtractor()

_SPEAKER_FIELDS = ("name", "role", "organization", "country", "official")


def _statement_matches(st: Statement, want: dict[str, Any]) -> bool:
    if want["quote"] not in st.quote.text:
        return False
    if "kind" in want and st.kind != want["kind"]:
        return False
    if "cue" in want and (st.cue is None or st.cue.text != want["cue"]):
        return False
    if "mention" in want and (
        st.speaker.mention is None or st.speaker.mention.text != want["mention"]
    ):
        return False
    if "exact_quote" in want and st.quote.text != want["exact_quote"]:
        return False
    return all(getattr(st.speaker, f) == want[f] for f in _SPEAKER_FIELDS if f in want)


def _trigger_matches(t: Trigger, want: dict[str, Any]) -> bool:
    return (
        want["text"] in t.text
        and t.category == want["category"]
        and t.stance == want["stance"]
        and ("codes" not in want or list(t.codes) == want["codes"])
    )


def _describe(result: ExtractionResult) -> str:
    lines = [
        f"{s.kind} {s.cue.text if s.cue else None!r} {s.speaker.to_dict()} {s.quote.text!r}"
        for s in result.statements
    ]
    lines += [f"{t.category} {t.stance} {t.codes} {t.text!r}" for t in result.triggers]
    return "\n".join(lines)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    result = EXTRACTOR.extract(case["text"], language=case.get("language"))
    found = _describe(result)
    if case.get("no_statements"):
        assert result.statements == [], found
    if "statement_count" in case:
        assert len(result.statements) == case["statement_count"], found
    for want in case.get("statements") or []:
        assert any(_statement_matches(s, want) for s in result.statements), f"{want}\n{found}"
    for want in case.get("triggers") or []:
        assert any(_trigger_matches(t, want) for t in result.triggers), f"{want}\n{found}"
    if case.get("no_triggers"):
        assert result.triggers == [], found
    if "detected" in case:
        assert EXTRACTOR.extract(case["text"]).language == case["detected"]
