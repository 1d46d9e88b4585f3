"""What kinds of PolNeAR attributions no statement comes near: the "attributions found" table
of docs/statements.md.

    PARLEY_EXTRACT_NATIVE=0 python -m benchmarks.polnear_missed_kinds \
        --data path/to/polnear_train.jsonl.gz [--examples KIND] [--limit N]

Run it on the training split only.  A gold attribution is *missed* here when no statement's
content (in PolNeAR's convention, as ``eval_polnear.py`` adapts it) overlaps its content at
all: the attributions that better boundaries cannot win, only finding them can.  Each one is
counted three ways:

- the cue word's class (a speech verb of the lexicon or outside it, belief and intent verbs,
  perception, nominal cues, adjectives, copulas and stance predicates, …);
- the structure around it (source after the cue, passive without an agent, infinitive,
  relative clause, "as X put it", a headline line, a pronoun or an organisation as source,
  no source);
- why the extractor has nothing there: no cue of the lexicon or the learned words at the gold
  cue, a learned word the cue model dropped, a lexicon cue where the rules built nothing (the
  step that gave up, as ``polnear_missed_cues.diagnose`` finds it), or a statement built at
  the cue whose content lies elsewhere.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.eval_polnear import _overlap, adapt_statement
from benchmarks.polnear_missed_cues import diagnose, print_samples, read_first
from pipeline.extract import StatementExtractor
from pipeline.extract import attribution as A
from pipeline.extract.cue_model import features as cue_features
from pipeline.extract.cue_model import model_for as cue_model_for
from pipeline.extract.cues import CueLexicon


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BELIEF = _words(
    "believe think thought want expect hope fear feel felt know knew doubt suspect wonder "
    "worry worried prefer wish intend plan assume guess imagine consider considered agree"
)
_PERCEPTION = _words(
    "see saw seen hear heard watch watched notice noticed view viewed perceive perceived "
    "look looks sees seeing"
)
_NOMINAL = re.compile(
    r"\b(statement|according|view|claim|claims|call|calls|remarks?|comments?|interview|speech|"
    r"letter|words|belief|position|argument|assertion|promise|pledge|warning|report|message|"
    r"announcement|criticism|support|opposition|endorsement|plan|plans|idea|suggestion|"
    r"proposal|decision|vote|response|reaction|concern|concerns|fears?|hopes?|opinion|"
    r"tweet|post|op-ed|poll|survey|study|testimony|account|explanation|question|praise|"
    r"attack|attacks)\b"
)
_AUXILIARIES = _words(
    "has have had will would could can should may might must did does do not n't also to never be"
)
_ADJ = re.compile(
    r"\b(confident|aware|unaware|sure|certain|convinced|concerned|critical|skeptical|"
    r"sceptical|optimistic|pessimistic|hopeful|adamant|clear|eager|willing|reluctant|"
    r"unhappy|happy|glad|worried|afraid|proud|opposed|supportive|open|wary|careful|quick|"
    r"likely|unlikely|determined|committed|ready|firm|doubtful|angry|upset|frustrated)\b"
)
_COPULA = _words(
    "is was are were be been being 's ’s seem seems seemed appear appears appeared "
    "remains remained became"
)
_ORG = re.compile(
    r"\b(party|campaign|committee|department|ministry|office|house|agency|government|"
    r"administration|council|court|commission|group|association|union|company|corp|inc|"
    r"times|post|news|network|cnn|fox|nbc|abc|cbs|msnbc|pac|poll|survey|institute|center|"
    r"centre|university|foundation|republicans|democrats|gop|dnc|rnc|senate|congress|fbi|"
    r"police|staff|team|organization|organisation|board)\b",
    re.I,
)
_PRONOUNS = _words(
    "he she they it we i you who which that him her them us me his their its our my your"
)


def word_class(cue_text: str, lex_forms: set[str], learned: set[str]) -> str:
    low = cue_text.lower().strip()
    words = re.findall(r"[\w'’-]+", low)
    if not words:
        return "punctuation (colon, dash)"
    if low.startswith("according to") or low.startswith("in the words"):
        return "according to"
    if low.startswith("as ") and "put" in words:
        return "as X put it"
    if low.startswith("in ") or low.startswith("on ") or low.startswith("via "):
        return "prepositional ('in a statement', 'in an interview')"
    content_words = [w for w in words if w not in _COPULA and w not in _AUXILIARIES]
    head = content_words[0] if content_words else words[0]
    if words[0] in _COPULA and _ADJ.search(low):
        return "copula + adjective ('is confident', 'was critical')"
    if _ADJ.fullmatch(head) or (head in {"confident", "aware"}):
        return "adjective alone ('confident that', 'aware')"
    if head in _BELIEF or head.rstrip("s") in _BELIEF or head.rstrip("d") in _BELIEF:
        return "belief / intent verb"
    if head in _PERCEPTION:
        return "perception ('see', 'heard', 'watched')"
    if words[0] in _COPULA:
        return "copula + other ('is', 'was known', 'seemed')"
    if any(w in lex_forms for w in words):
        return "speech/evaluate verb of the lexicon (in a longer or other span)"
    if any(w in learned for w in words):
        return "learned word (stance: 'support', 'backed', …)"
    if _NOMINAL.search(low):
        return "nominal ('the claim that', 'his view', 'called for')"
    if head.endswith("ed"):
        return "other verb in -ed"
    if head.endswith("ing"):
        return "other verb in -ing"
    return "other word"


def structure(text: str, gold: dict[str, object], cue: tuple[int, int] | None) -> str:
    src = gold.get("speaker_span")
    if cue is not None:
        line_start = text.rfind("\n", 0, cue[0]) + 1
        line_end = text.find("\n", cue[0])
        line = text[line_start : line_end if line_end >= 0 else len(text)].strip()
        if line and line_start < 200 and line[-1:] not in ".?!\"”’'" and len(line) < 160:
            return "headline line"
        before = text[max(0, cue[0] - 40) : cue[0]].lower()
        if re.search(r"\b(who|which|that)\s+(\w+\s+){0,2}$", before) and src:
            return "relative clause ('who said')"
        if re.search(r"\bas\s+[\w .’'-]{1,40}$", before) and "put" in text[cue[0] : cue[1] + 8]:
            return "as X put it"
    if not src:
        if cue is not None:
            cue_low = text[cue[0] : cue[1]].lower()
            if re.search(r"\b(is|was|are|were|been|being|be)\b", cue_low) and re.search(
                r"\w+ed\b", cue_low
            ):
                return "no source: passive ('it was reported')"
            if text[max(0, cue[0] - 4) : cue[0]].lower().strip() == "to":
                return "no source: infinitive"
        return "no source: other"
    s0, s1 = src  # type: ignore[misc]
    mention = text[s0:s1].strip()
    if cue is not None and s0 >= cue[1]:
        return "source after the cue"
    if cue is not None and text[max(0, cue[0] - 4) : cue[0]].lower().strip() == "to":
        return "infinitive ('is expected to say')"
    if mention.lower() in _PRONOUNS:
        return "source before: pronoun"
    if _ORG.search(mention):
        return "source before: organisation"
    if cue is not None and text[s1 : cue[0]].count(",") >= 2:
        return "source before: appositive between"
    if cue is not None and cue[0] - s1 > 40:
        return "source before: far from the cue"
    return "source before: person"


def analyse(
    records: list[dict[str, object]], extractor: StatementExtractor, examples: str | None
) -> tuple[dict[str, Counter[str]], dict[str, list[str]], int, int]:
    lex = CueLexicon.for_language("en")
    assert lex is not None
    cue_model = cue_model_for("en")
    lex_forms = {f.split()[0] for f in lex.verb_class if f not in lex.learned_forms}
    learned_forms = set(lex.learned_forms)
    tables: dict[str, Counter[str]] = defaultdict(Counter)
    samples: dict[str, list[str]] = defaultdict(list)
    total = gold_n = 0
    for rec in records:
        text = str(rec["text"])
        result = extractor.extract(text, language="en")
        preds = [adapt_statement(text, st) for st in result.statements]
        found = lex.find(text)
        doc: A._Doc | None = None
        for q in rec["quotes"]:  # type: ignore[attr-defined]
            if not q.get("quote_span"):
                continue
            gold_n += 1
            gold = (q["quote_span"][0], q["quote_span"][1])
            if any(_overlap(p[0], gold) > 0 for p in preds):
                continue
            total += 1
            gcue = tuple(q["cue_span"]) if q.get("cue_span") else None
            cue_text = text[gcue[0] : gcue[1]] if gcue else ""
            wc = word_class(cue_text, lex_forms, learned_forms) if gcue else "no gold cue"
            st = structure(text, q, gcue)  # type: ignore[arg-type]
            # why
            if gcue is None:
                why = "no gold cue"
            else:
                at = [c for c in found if c.start < gcue[1] and gcue[0] < c.end]
                rules = [c for c in at if not c.learned]
                learned = [c for c in at if c.learned]
                built = [p for p in preds if p[2] and _overlap(p[2], gcue) > 0]
                if built:
                    why = "statement at the cue, content elsewhere"
                elif rules:
                    if doc is None:
                        doc = A._Doc(text, lex)
                        A._find(doc, cue_model)
                    why = "lexicon cue, nothing built: " + diagnose(doc, rules[0], cue_model)
                    why = re.sub(r"\(.*\)", "", why).strip()
                elif learned:
                    if doc is None:
                        doc = A._Doc(text, lex)
                        A._find(doc, cue_model)
                    why = _learned_why(doc, learned[0], cue_model)
                else:
                    why = "no cue (word outside lexicon and learned words)"
            tables["cue word class"][wc] += 1
            tables["structure"][st] += 1
            tables["why"][why] += 1
            tables["class x why"][f"{wc} | {why.split(':')[0]}"] += 1
            key = f"{wc} || {st} || {why}"
            wanted = examples and any(e in key for e in examples.split("|"))
            if wanted and len(samples[wc]) < 400:
                src = q.get("speaker_span")
                s = text[src[0] : src[1]] if src else "-"
                ss = max(0, (gcue[0] if gcue else gold[0]) - 150)
                samples[wc].append(
                    f"[{cue_text}] src=[{s}] {st} / {why} :: "
                    + text[ss : gold[1] + 10].replace("\n", " ")[:400]
                )
    return tables, samples, total, gold_n


def _learned_why(doc: A._Doc, cue: object, cue_model: object) -> str:
    att = A._indirect(doc, -1, cue)  # type: ignore[arg-type]
    if att is None:
        why = diagnose(doc, cue._replace(learned=False), cue_model, outside=True)  # type: ignore[attr-defined]
        return "learned word, the rules build nothing: " + re.sub(r"\(.*\)", "", why).strip()
    if cue_model is None:
        return "learned word, no model"
    feats = cue_features(
        doc.text,
        att.cue,
        cue.form,  # type: ignore[attr-defined]
        cue.cls,  # type: ignore[attr-defined]
        att.speaker,
        (att.parts[0][0], att.parts[-1][1]),
        att.kind,
        doc.sentence(cue.start)[0],  # type: ignore[attr-defined]
    )
    p = cue_model.probability(feats)  # type: ignore[attr-defined]
    return "learned word, model below threshold" + (" (p >= 0.3)" if p >= 0.3 else " (p < 0.3)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, type=Path, help="PolNeAR JSONL (.gz ok)")
    ap.add_argument("--examples", help="print examples of kinds containing one of these (a|b)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N documents")
    args = ap.parse_args(argv)
    records = read_first(args.data, args.limit)
    tables, samples, total, gold_n = analyse(records, StatementExtractor(), args.examples)
    print(f"{total:,} of {gold_n:,} gold attributions with no statement content overlapping\n")
    for name, table in tables.items():
        print(f"| {name} (train) | n |\n|---|---|")
        for key, n in table.most_common(40):
            print(f"| {key} | {n:,} |")
        print()
    print_samples(samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
