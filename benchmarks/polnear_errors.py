"""Where ``parley extract`` misses PolNeAR attributions: the error table of docs/statements.md.

    python benchmarks/polnear_errors.py --data path/to/polnear_train.jsonl.gz [--no-learned-cues]
    python benchmarks/polnear_errors.py --data path/to/polnear_train.jsonl.gz --matched
    python benchmarks/polnear_errors.py --data path/to/polnear_train.jsonl.gz --spans [--show KIND]

Run it on the training split (errors on dev are not looked at one by one: dev only decides
whether a change generalises).  A gold attribution is *missed* when no statement matches it as
``eval_polnear.py``'s attribution F1 counts (contents overlapping by half the longer one, the
speaker overlapping the gold source).  Missed ones are counted by the kind of their source and
content and by what happened to their cue; statements whose cue equals a gold cue but whose
content does not are counted by how the content differs (PolNeAR's convention, as the
evaluation's adapter).  The most frequent cue strings outside the lexicon come last.
``--matched`` prints instead the contents of the attributions whose source and cue are both
exact: by where the content lies, which end differs, and what stands between our end and gold's.

``--spans`` counts instead how the source and cue spans of the statements that *are* matched
to a gold attribution (their cues overlap, or else their contents overlap by half the longer
one) differ from gold: which side is longer, at which end, and what the difference holds (an
article, a title, a comma, a relative clause, coordination, a possessive, a prepositional
phrase); a source that does not overlap gold's is counted by where it stands.  ``--show`` prints
the cases of one kind (a prefix of its name).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.eval_polnear import _overlap, adapt_statement, read_records
from pipeline.extract import StatementExtractor
from pipeline.extract.cues import CueLexicon

_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "you", "who", "which"})


def _source_kind(text: str, span: list[int] | None) -> str:
    if not span:
        return "no source"
    mention = text[span[0] : span[1]].strip()
    if mention.lower() in _PRONOUNS:
        return "pronoun"
    if mention[:1].isupper() and len(mention.split()) <= 4:
        return "name"
    return "description"


# A sentence end inside a gold content ("… today. The …").
_SENTENCE_END = re.compile(r"[.!?][”\"’']?\s+[“\"‘]?[A-Z]")


def _difference(
    text: str, pred: tuple[int, int], q: dict[str, Any], gold_cues: list[tuple[int, int]]
) -> str:
    """How a content whose cue is found differs from gold, the first kind that fits: in parts
    around the cue, other parts, before the cue, nested, several sentences, then the ends
    (the table of docs/statements.md)."""
    gold = (q["quote_span"][0], q["quote_span"][1])
    cue = (q["cue_span"][0], q["cue_span"][1])
    parts = [(p[0], p[1]) for p in q.get("quote_spans") or [gold]]
    if len(parts) > 1:
        if any(p[1] <= cue[0] for p in parts) and any(p[0] >= cue[1] for p in parts):
            if pred[0] >= cue[1]:
                return "interrupted: only the part after the cue found"
            if pred[1] <= cue[0]:
                return "interrupted: only the part before the cue found"
            return "interrupted: other"
        return "several gold parts, not around the cue"
    if gold[1] <= cue[0]:
        if _overlap(pred, gold) == 0:
            return "before the cue: content elsewhere"
        if pred[0] == gold[0]:
            return "before the cue: the end differs"
        if pred[1] != gold[1]:
            return "before the cue: both ends differ"
        return "before the cue: starts " + ("early" if pred[0] < gold[0] else "late")
    if any(c != cue and gold[0] <= c[0] < gold[1] for c in gold_cues):
        return "nested"
    if _SENTENCE_END.search(text, gold[0], gold[1]):
        return "gold over several sentences, " + ("ends early" if pred[1] < gold[1] else "other")
    if _overlap(pred, gold) == 0:
        return "content elsewhere"
    if pred[0] != gold[0] and pred[1] != gold[1]:
        return "both ends differ"
    if pred[0] < gold[0]:
        fronted = pred[0] < cue[0] < gold[0]
        return "starts early" + (": a fronted part before the cue" if fronted else "")
    if pred[0] > gold[0]:
        return "starts late"
    return "ends late" if pred[1] > gold[1] else "ends early"


_OPEN_MARKS = "“\"'‘«"
_CLOSE_MARKS = "”\"'’»"
_SUBORDINATORS = frozenset(
    {"as", "after", "when", "because", "while", "before", "despite", "during", "since"}
    | {"until", "although", "though", "if", "unless", "whereas", "amid", "following"}
)
_PREPOSITIONS = frozenset(
    {"in", "on", "at", "for", "to", "with", "by", "through", "of", "from", "about", "over"}
    | {"against"}
)
_RELATIVES = frozenset({"which", "who", "whom", "whose", "what", "where"})
_GAP_SENTENCE = re.compile(r"(?<=[a-z0-9)]{2})[.!?][”\"’']?\s+[“\"‘]?[A-Z]")


def _gap_kind(text: str, a: int, b: int, cue_starts: list[int]) -> str:
    """What stands between a predicted and a gold boundary (``text[a:b]``)."""
    gap = text[a:b]
    if any(a <= c < b for c in cue_starts):
        return "another cue"
    if "\n" in gap:
        return "a paragraph break"
    if _GAP_SENTENCE.search(gap):
        return "a sentence end"
    s = gap.strip()
    if not s:
        return "spaces"
    if all(ch in _OPEN_MARKS + _CLOSE_MARKS for ch in s):
        return "a quote mark"
    if s.lower().startswith("according to"):
        return '"according to"'
    if s[0] in "(—–-)":
        return "a bracket or dash"
    comma = s[0] in ",;:"
    words = s.lstrip(",;: ").split()
    first = words[0].lower().strip("“\"‘'”’") if words else ""
    if first == "that":
        what = '"that"'
    elif first in _RELATIVES:
        what = "a relative pronoun"
    elif first in ("and", "but", "or"):
        what = '"and" / "but" / "or"'
    elif first in _SUBORDINATORS:
        what = "a subordinator"
    elif first in _PREPOSITIONS:
        what = "a preposition"
    elif first.endswith("ing"):
        what = "an -ing word"
    elif words and words[0][:1] in _OPEN_MARKS:
        what = "a quotation"
    else:
        what = "other words"
    return (", " if comma else "") + what


def matched_boundaries(
    records: list[dict[str, Any]], extractor: StatementExtractor
) -> Counter[str]:
    """Gold attributions whose source and cue a statement has exactly (adapter on) but whose
    content differs: where the content lies against the cue, which end differs and how, and
    what stands between our end and gold's (the fifteenth round's table)."""
    table: Counter[str] = Counter()
    for rec in records:
        text = str(rec["text"])
        result = extractor.extract(text, language="en")
        preds = [adapt_statement(text, st) for st in result.statements]
        cue_starts = sorted(c[0] for _, _, c in preds if c)
        for q in rec["quotes"]:
            if not q.get("quote_span") or not q.get("cue_span"):
                continue
            gold = (q["quote_span"][0], q["quote_span"][1])
            gcue = (q["cue_span"][0], q["cue_span"][1])
            gsrc = (q["speaker_span"][0], q["speaker_span"][1]) if q.get("speaker_span") else None
            hit = next((c for c, s, k in preds if k == gcue and s == gsrc), None)
            if hit is None:
                continue
            table["source and cue exact"] += 1
            if hit == gold:
                table["content exact"] += 1
                continue
            parts = q.get("quote_spans") or [gold]
            where = (
                "before the cue"
                if gold[1] <= gcue[0]
                else "after the cue"
                if gold[0] >= gcue[1]
                else "around the cue"
            ) + (", in parts" if len(parts) > 1 else "")
            if _overlap(hit, gold) == 0:
                table[f"{where} | elsewhere | "] += 1
                continue
            others = [c for c in cue_starts if c != gcue[0]]
            for side, ours, theirs in (("start", hit[0], gold[0]), ("end", hit[1], gold[1])):
                if ours == theirs:
                    continue
                how = (
                    ("early" if ours < theirs else "late")
                    if side == "start"
                    else ("late" if ours > theirs else "early")
                )
                gap = _gap_kind(text, min(ours, theirs), max(ours, theirs), others)
                table[f"{where} | {side}s {how} | {gap}"] += 1
    return table


def analyse(
    records: list[dict[str, object]], extractor: StatementExtractor
) -> dict[str, Counter[str]]:
    lex = CueLexicon.for_language("en")
    assert lex is not None
    tables: dict[str, Counter[str]] = {
        k: Counter() for k in ("total", "source", "content", "cue", "boundary", "outside")
    }
    for rec in records:
        text = str(rec["text"])
        result = extractor.extract(text, language="en")
        preds = []
        for st in result.statements:
            content, speaker, cue = adapt_statement(text, st)
            preds.append((content, speaker, cue))
        by_cue: dict[tuple[int, int], tuple[int, int]] = {}
        for content, _, cue in preds:
            if cue:
                by_cue.setdefault(cue, content)
        quotes: list[dict[str, Any]] = rec["quotes"]  # type: ignore[assignment]
        gold_cues = [(q["cue_span"][0], q["cue_span"][1]) for q in quotes if q.get("cue_span")]
        lexicon = [c for c in lex.find(text) if not c.learned]
        exact = {(c.start, c.end) for c in lexicon}
        for q in rec["quotes"]:  # type: ignore[attr-defined]
            if not q.get("quote_span"):
                continue
            tables["total"]["gold"] += 1
            gold = (q["quote_span"][0], q["quote_span"][1])
            gsrc = q.get("speaker_span")
            gcue = tuple(q["cue_span"]) if q.get("cue_span") else None
            if gcue in by_cue:
                tables["total"]["gold cue found"] += 1
                if by_cue[gcue] != gold:
                    tables["boundary"][_difference(text, by_cue[gcue], q, gold_cues)] += 1
            found = False
            for content, speaker, _ in preds:
                longer = max(content[1] - content[0], gold[1] - gold[0])
                if longer <= 0 or _overlap(content, gold) * 2 < longer:
                    continue
                if gsrc and (speaker is None or _overlap(speaker, tuple(gsrc)) == 0):
                    continue
                found = True
                break
            if found:
                continue
            tables["total"]["missed"] += 1
            tables["source"][_source_kind(text, gsrc)] += 1
            tables["content"][str(q.get("kind"))] += 1
            if gcue is None:
                what = "no cue"
            elif gcue in exact:
                if gcue in by_cue:
                    what = "in the lexicon: statement found, content or speaker differ"
                elif any(c[0] <= gcue[0] < c[1] for c, _, _ in preds):
                    what = "in the lexicon: inside another statement's content"
                else:
                    what = "in the lexicon: no statement built"
            elif any(gcue[0] <= c.verb_start < gcue[1] for c in lexicon):
                what = "in the lexicon: other cue span"
            else:
                what = "outside the lexicon"
                tables["outside"][str(q.get("cue") or "").lower().replace("’", "'")] += 1
            tables["cue"][what] += 1
    return tables


_TITLE = re.compile(
    r"(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Rev|President|Senator|Secretary|Speaker|Judge)\b\.?"
)
_SPAN_PRONOUNS = _PRONOUNS | {"his", "her", "their", "its"}


def _extra_kind(extra: str) -> str:
    """What the material one span has beyond the other is (``extra`` is "before|after")."""
    low = extra.lower()
    if re.fullmatch(r"\s*(?:the|a|an)\s*\|\s*", low):
        return "an article"
    if re.fullmatch(r"[\s|,.”\"’']*", extra):
        return "punctuation " + repr(extra.replace(" ", ""))
    if _TITLE.match(extra.strip()):
        return "a title"
    if re.search(r"\b(?:who|whom|whose|which)\b", low):
        return "a relative clause"
    if re.search(r"\b(?:and|or|nor)\b|/", low):
        return "coordination or a slash"
    if re.search(r"['’]s\b", extra):
        return "a possessive"
    if re.match(r"\s*\|?\s*,", extra) or re.search(r",\s*\|?\s*$", extra):
        return "an appositive or comma phrase"
    if re.search(r"\b(?:of|for|at|from|in|with|on|by)\b", low):
        return "a prepositional phrase"
    return "other"


def span_difference(text: str, pred: tuple[int, int] | None, gold: tuple[int, int]) -> str:
    """How a predicted source or cue span differs from the gold one (a row of --spans)."""
    if pred is None:
        return "none predicted"
    if _overlap(pred, gold) == 0:
        p, g = text[pred[0] : pred[1]].strip().lower(), text[gold[0] : gold[1]].strip().lower()
        if p in _SPAN_PRONOUNS:
            return "another phrase: a pronoun predicted"
        if g in _SPAN_PRONOUNS:
            return "another phrase: a pronoun in gold"
        return "another phrase"
    if pred[0] <= gold[0] and pred[1] >= gold[1]:
        longer, extra = "predicted longer", text[pred[0] : gold[0]] + "|" + text[gold[1] : pred[1]]
        start, end = pred[0] < gold[0], pred[1] > gold[1]
    elif gold[0] <= pred[0] and gold[1] >= pred[1]:
        longer, extra = "gold longer", text[gold[0] : pred[0]] + "|" + text[pred[1] : gold[1]]
        start, end = gold[0] < pred[0], gold[1] > pred[1]
    else:
        return "shifted"
    side = "at both ends" if start and end else ("at the start" if start else "at the end")
    return f"{longer} {side}: {_extra_kind(extra)}"


def _matched_gold(
    quotes: list[dict[str, Any]],
    content: tuple[int, int],
    speaker: tuple[int, int] | None,
    cue: tuple[int, int] | None,
) -> dict[str, Any] | None:
    """The gold attribution a statement stands for: one whose cue overlaps the statement's,
    else one whose content overlaps it by half the longer; among several, one whose source
    overlaps the statement's speaker."""
    cands = [q for q in quotes if cue and q.get("cue_span") and _overlap(tuple(q["cue_span"]), cue)]
    if not cands:
        for q in quotes:
            gold = (q["quote_span"][0], q["quote_span"][1])
            longer = max(content[1] - content[0], gold[1] - gold[0])
            if longer > 0 and _overlap(content, gold) * 2 >= longer:
                cands.append(q)
    for q in cands:
        if speaker and q.get("speaker_span") and _overlap(tuple(q["speaker_span"]), speaker):
            return q
    return cands[0] if cands else None


def analyse_spans(
    records: list[dict[str, Any]], extractor: StatementExtractor, show: str | None = None
) -> dict[str, Counter[str]]:
    """The --spans tables: how matched statements' source and cue spans differ from gold."""
    tables: dict[str, Counter[str]] = {"source": Counter(), "cue": Counter()}
    for rec in records:
        text = str(rec["text"])
        quotes = [q for q in rec["quotes"] if q.get("quote_span")]
        for st in extractor.extract(text, language="en").statements:
            content, speaker, cue = adapt_statement(text, st)
            q = _matched_gold(quotes, content, speaker, cue)
            if q is None:
                continue
            for name, pred, key in (("source", speaker, "speaker_span"), ("cue", cue, "cue_span")):
                table = tables[name]
                table["matched"] += 1
                if not q.get(key):
                    table["gold has none"] += 1
                    continue
                gold = (q[key][0], q[key][1])
                if pred == gold:
                    table["exact"] += 1
                    continue
                kind = span_difference(text, pred, gold)
                table[kind] += 1
                if show and f"{name} {kind}".startswith(show):
                    shown = text[pred[0] : pred[1]] if pred else None
                    print(f"{name} | gold {text[gold[0] : gold[1]]!r} | predicted {shown!r}")
    return tables


def _print_spans(tables: dict[str, Counter[str]]) -> None:
    for name, table in tables.items():
        matched, exact = table.pop("matched"), table.pop("exact")
        none = table.pop("gold has none", 0)
        print(
            f"\n{name}: {matched:,} statements matched to a gold attribution, {exact:,} exact,"
            f" {none:,} where gold has no {name}, {sum(table.values()):,} differ"
        )
        print(f"\n| {name} span differs | n |\n|---|---|")
        for key, n in table.most_common():
            print(f"| {key} | {n:,} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, type=Path, help="PolNeAR JSONL (.gz ok)")
    ap.add_argument("--no-learned-cues", action="store_true", help="without the cue model")
    ap.add_argument("--top", type=int, default=30, help="cue strings outside the lexicon shown")
    ap.add_argument(
        "--matched",
        action="store_true",
        help="only the contents of attributions whose source and cue are exact, by boundary",
    )
    ap.add_argument("--spans", action="store_true", help="how matched source/cue spans differ")
    ap.add_argument("--show", help="with --spans: print the cases of a kind ('source gold …')")
    args = ap.parse_args(argv)
    extractor = StatementExtractor(learned_cues=not args.no_learned_cues)
    if args.spans:
        _print_spans(analyse_spans(list(read_records(args.data)), extractor, args.show))
        return 0
    if args.matched:
        table = matched_boundaries(list(read_records(args.data)), extractor)
        exact, matched = table.pop("content exact"), table.pop("source and cue exact")
        print(f"{matched:,} attributions with source and cue exact, content exact in {exact:,}")
        print("(a content with both ends wrong counts once per end)")
        print("\n| content lies | end | what stands between ours and gold | n |\n|---|---|---|---|")
        for key, n in table.most_common(args.top):
            where, how, gap = key.split(" | ")
            print(f"| {where} | {how} | {gap} | {n:,} |")
        return 0
    tables = analyse(list(read_records(args.data)), extractor)
    total = tables.pop("total")
    print(f"{total['missed']} of {total['gold']} gold attributions missed")
    found = total["gold cue found"]
    print(
        f"{found} with the gold cue found, the content differs in"
        f" {sum(tables['boundary'].values())}"
    )
    titles = {
        "source": "missed, by source",
        "content": "missed, by content kind",
        "cue": "missed, by cue",
        "boundary": "gold cue found, content differs",
    }
    for name, title in titles.items():
        print(f"\n| {title} | n |\n|---|---|")
        for key, n in tables[name].most_common(30 if name == "boundary" else 12):
            print(f"| {key} | {n:,} |")
    outside = tables["outside"]
    print(f"\n{len(outside):,} different cue strings outside the lexicon; the most frequent:")
    print(", ".join(f"{k!r} {n}" for k, n in outside.most_common(args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
