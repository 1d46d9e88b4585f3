"""Why PolNeAR attributions whose cue is in the lexicon are missed: the "missed statements"
table of docs/statements.md.

    PARLEY_EXTRACT_NATIVE=0 python -m benchmarks.polnear_missed_cues \
        --data path/to/polnear_train.jsonl.gz [--examples KIND] [--top N]

Run it on the training split only.  A gold attribution is *missed* as in
``eval_polnear.py`` (no statement whose content overlaps it by half the longer one with a
speaker overlapping the gold source).  Those whose gold cue span is a cue of the lexicon (its
own span) are split by what happened at the cue:

- a statement was built there, but its content overlaps the gold content by less than half
  (how: shorter, longer, elsewhere), or its speaker misses the gold source;
- no statement was built there: the rules' step that gave up (the cue read inside a quotation
  or as a noun, another statement's content around it, no speaker found, no content after it,
  …), by re-running the steps of ``attribution._indirect`` on the cue.

The sources are needed (``PARLEY_EXTRACT_NATIVE=0``): the script calls the rules' private
helpers one by one.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from benchmarks.eval_polnear import _overlap, read_records, relative_to_polnear, to_polnear
from pipeline.extract import StatementExtractor
from pipeline.extract import attribution as A
from pipeline.extract.cue_model import model_for as cue_model_for
from pipeline.extract.cues import Cue, CueLexicon

_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "you", "who", "which"})


def _source_kind(text: str, span: list[int] | None, cue: tuple[int, int]) -> str:
    if not span:
        return "no gold source"
    mention = text[span[0] : span[1]].strip().lower()
    where = "after the cue" if span[0] >= cue[1] else "before the cue"
    if mention in _PRONOUNS:
        return f"pronoun {where}"
    return f"noun phrase {where}"


def _why_no_speaker(doc: A._Doc, cue: Cue, ss: int, floor: int) -> str:
    text = doc.text
    prefix = text[ss : cue.start].rstrip()
    if cue.cls == "passive":
        return "passive-class cue ('was quoted as saying'): no subject"
    if cue.passive:
        return "passive cue without a by-agent ('it was announced')"
    prev = A._prev_word(text, cue.start).lower()
    if prefix.rstrip("”\"’'»").endswith(",") and A._is_participle(doc, cue):
        return "participle after a comma: no main subject"
    if prev == "to":
        return "infinitive ('is expected to say', 'declined to comment')"
    if A._coordinated(prefix):
        return "coordinated verb: no clause subject"
    if A._is_participle(doc, cue):
        return "-ing form without a subject"
    if prev in (
        "has",
        "have",
        "had",
        "will",
        "would",
        "could",
        "should",
        "may",
        "might",
        "must",
        "can",
        "did",
        "does",
        "do",
        "not",
        "also",
        "is",
        "was",
        "are",
        "were",
        "been",
        "be",
    ):
        return f"subject walk rejected (auxiliary/adverb '{prev}' before the cue)"
    return "subject walk rejected"


def _noun_reason(doc: A._Doc, cue: Cue) -> str:
    text = doc.text
    low_prev = A._prev_word(text, cue.start).lower()
    if low_prev in A._NOUN_MARKERS and cue.start == cue.verb_start:
        return "after a determiner or possessive pronoun"
    if low_prev.endswith(("'s", "’s", "s'", "s’")):
        return "after a possessive"
    if cue.bare and cue.start == cue.verb_start:
        return "bare form without a plural or pronoun subject"
    if cue.form in doc.lex.noun_like_forms:
        return f"noun-like form ({cue.form}) without a pronoun or name before it"
    if cue.form.endswith("ed"):
        return "-ed form before 'by' or a name, or a paper 'published'"
    return "other (-ing after an adjective, 'report to')"


def diagnose(doc: A._Doc, cue: Cue, cue_model: object, outside: bool = False) -> str:
    """Why no statement was built at ``cue`` (``_find`` has run on ``doc``); with ``outside``,
    a cue that is not among the rules' cues (a learned word read as the rules would)."""
    text = doc.text
    if cue.learned:
        return "learned cue word"
    if doc.quote_at(cue.verb_start) is not None:
        return "cue inside a quotation"
    if not A._verb_reading(text, cue, doc.lex):
        return "read as a noun: " + _noun_reason(doc, cue)
    ci = next((i for i, c in enumerate(doc.cues) if c.start == cue.start and c.end == cue.end), -1)
    if ci < 0 and not outside:
        return "not among the rules' cues"
    if ci in doc.used_cues:
        return "built, then dropped (nested in another content or a duplicate)"
    ss, se = doc.sentence(cue.start)
    floor = ss
    q = doc.quote_at(cue.start - 1) if cue.start > 0 else None
    if q is not None and q.end <= cue.start:
        floor = q.end
    content_end = A._content_end(text, ss, se)
    if cue.cls == "source":
        return "according to: no source or content"
    if A._CLAIMED_AS.match(text, cue.start):
        return "'claims as'"
    if A._as_opening(doc, cue, ss, se) is not None:
        return "as-opening built on re-run"
    if (
        not A._has_complementizer(doc, cue.end, content_end)
        and A._post_position(doc, cue, ss, se, floor) is not None
    ):
        return "post-position built on re-run (skipped in the loop: nested/headline)"
    att = A._indirect(doc, ci, cue)
    if att is not None:
        return "built on re-run (skipped in the loop: nested in a recent content or headline)"
    prefix = text[ss : cue.start].rstrip()
    speaker: tuple[int, int] | None
    if cue.cls == "passive":
        speaker = A._subject_before(doc, floor, cue.start)
    elif cue.passive:
        speaker = A._by_agent(doc, cue.end, se)
    elif prefix.rstrip("”\"’'»").endswith(",") and A._is_participle(doc, cue):
        speaker = doc.sentence_speaker.get(ss) or A._main_subject(doc, ss, cue.start)
    else:
        speaker = A._subject_before(doc, floor, cue.start)
        if speaker is None and A._coordinated(prefix):
            speaker = (
                doc.clause_speaker.get(ss)
                or doc.sentence_speaker.get(ss)
                or A._main_subject(doc, ss, cue.start)
            )
        if speaker is None and A._is_participle(doc, cue):
            speaker = A._adverbial_participle_subject(doc, cue, ss)
    if speaker is None:
        return "no speaker: " + _why_no_speaker(doc, cue, ss, floor)
    start_after = speaker[1] if cue.passive and speaker[0] > cue.end else cue.end
    content = A._content_after(doc, cue, start_after, se, content_end)
    if content is None:
        nxt = text[start_after:content_end].strip()
        if not nxt:
            return "no content: nothing after the cue (post-position not taken)"
        first = nxt.split(None, 1)[0].lower().strip(",.;:")
        if nxt[:1] == ",":
            return "no content: a comma after the cue (post-position not taken)"
        return (
            f"no content: '{first}' after the cue"
            if first
            in ("to", "in", "on", "at", "for", "about", "with", "by", "from", "of", "as", "after")
            else "no content: other"
        )
    return "content too short or anonymity"


def _content_difference(pred: tuple[int, int], gold: tuple[int, int]) -> str:
    if _overlap(pred, gold) == 0:
        return "elsewhere (no overlap)"
    if pred[0] >= gold[0] and pred[1] <= gold[1]:
        return "inside the gold content (shorter)"
    if pred[0] <= gold[0] and pred[1] >= gold[1]:
        return "around the gold content (longer)"
    return "overlapping, shifted"


def analyse(
    records: list[dict[str, object]], extractor: StatementExtractor, examples: str | None
) -> tuple[Counter[str], dict[str, list[str]], int]:
    lex = CueLexicon.for_language("en")
    assert lex is not None
    cue_model = cue_model_for("en")
    table: Counter[str] = Counter()
    samples: dict[str, list[str]] = defaultdict(list)
    total = 0
    for rec in records:
        text = str(rec["text"])
        result = extractor.extract(text, language="en")
        preds = []
        for st in result.statements:
            mention = st.speaker.mention
            speaker = (mention.start, mention.end) if mention else None
            cue = (st.cue.start, st.cue.end) if st.cue else None
            content = to_polnear(text, st.quote.start, st.quote.end)
            content = (relative_to_polnear(text, content[0], speaker, cue), content[1])
            preds.append((content, speaker, cue, st.kind))
        by_cue = {p[2]: p for p in preds if p[2]}
        cues = {(c.start, c.end): c for c in lex.find(text) if not c.learned}
        doc: A._Doc | None = None
        for q in rec["quotes"]:  # type: ignore[attr-defined]
            if not q.get("quote_span"):
                continue
            gold = (q["quote_span"][0], q["quote_span"][1])
            gsrc = q.get("speaker_span")
            gcue = tuple(q["cue_span"]) if q.get("cue_span") else None
            if gcue not in cues:
                continue
            missed = True
            for content, speaker, _, _ in preds:
                longer = max(content[1] - content[0], gold[1] - gold[0])
                if longer <= 0 or _overlap(content, gold) * 2 < longer:
                    continue
                if gsrc and (speaker is None or _overlap(speaker, tuple(gsrc)) == 0):
                    continue
                missed = False
                break
            if not missed:
                continue
            total += 1
            pred = by_cue.get(gcue)  # type: ignore[arg-type]
            if pred is not None:
                content, speaker, _, kind = pred
                longer = max(content[1] - content[0], gold[1] - gold[0])
                if _overlap(content, gold) * 2 < longer:
                    key = (
                        f"(b) built, content overlaps < half: {_content_difference(content, gold)}"
                        f" [{kind}]"
                    )
                elif speaker is None:
                    key = "(c) built, speaker: no mention"
                else:
                    key = f"(c) built, speaker misses the source ({_source_kind(text, gsrc, gcue)})"  # type: ignore[arg-type]
            else:
                if doc is None:
                    doc = A._Doc(text, lex)
                    A._find(doc, cue_model)
                key = "(a) " + diagnose(doc, cues[gcue], cue_model)  # type: ignore[index]
                if key.startswith("(a) no speaker"):
                    key += f" [{_source_kind(text, gsrc, gcue)}]"  # type: ignore[arg-type]
            table[key] += 1
            if examples and any(e in key for e in examples.split("|")) and len(samples[key]) < 400:
                ss = max(0, text.rfind("\n", 0, gcue[0]) + 1, gcue[0] - 200)  # type: ignore[index]
                se = min(len(text), gold[1] + 20, gcue[1] + 250)  # type: ignore[index]
                src = text[gsrc[0] : gsrc[1]] if gsrc else "-"
                mine = f"ours=[{text[pred[0][0] : pred[0][1]][:160]}] " if pred else ""
                samples[key].append(
                    mine + f"[{text[gcue[0] : gcue[1]]}] src=[{src}] "  # type: ignore[index]
                    f"gold=[{text[gold[0] : gold[1]][:120]}] :: " + text[ss:se].replace("\n", " ")
                )
    return table, samples, total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, type=Path, help="PolNeAR JSONL (.gz ok)")
    ap.add_argument(
        "--examples", help="print examples of the kinds containing one of these strings (a|b)"
    )
    ap.add_argument("--top", type=int, default=40, help="kinds shown")
    ap.add_argument("--limit", type=int, default=0, help="only the first N documents")
    args = ap.parse_args(argv)
    records = read_first(args.data, args.limit)
    table, samples, total = analyse(records, StatementExtractor(), args.examples)
    print(f"{total:,} missed gold attributions with a lexicon cue (its own span)\n")
    print("| why (train) | n |\n|---|---|")
    for key, n in sorted(table.items(), key=lambda kv: (kv[0][:3], -kv[1]))[: args.top]:
        print(f"| {key} | {n:,} |")
    print_samples(samples)
    return 0


def read_first(path: Path, limit: int) -> list[dict[str, Any]]:
    """The records of a PolNeAR file, only the first ``limit`` documents when it is set."""
    records = list(read_records(path))
    return records[:limit] if limit else records


def print_samples(samples: dict[str, list[str]]) -> None:
    for key, lines in samples.items():
        print(f"\n## {key}")
        for line in lines:
            print("  " + line)


if __name__ == "__main__":
    sys.exit(main())
