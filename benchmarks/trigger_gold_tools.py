"""Bookkeeping for the hand-annotated trigger set in ``tests/fixtures/triggers/``.

    python -m benchmarks.trigger_gold_tools catalog --kremlin DIR          # id, date, title
    python -m benchmarks.trigger_gold_tools catalog --polnear FILE [FILE …]
    python -m benchmarks.trigger_gold_tools draw-random --kremlin DIR --count 12 --seed 14
    python -m benchmarks.trigger_gold_tools split --selection SEL.tsv --seed 14 --test-share 0.45
    python -m benchmarks.trigger_gold_tools draw-themes --kremlin DIR --polnear FILE [FILE …] \\
        --seed 15 --max-chars 3000 > SEL2.tsv                               # the second draw
    python -m benchmarks.trigger_gold_tools split --selection SEL2.tsv --seed 15 --append
    python -m benchmarks.trigger_gold_tools prepare --kremlin DIR --polnear FILE [FILE …] \\
        --out STAGING.jsonl                                                 # the split's documents
    python -m benchmarks.trigger_gold_tools show --staging STAGING.jsonl ID
    python -m benchmarks.trigger_gold_tools annotate --staging STAGING.jsonl SPEC [SPEC …]
    python -m benchmarks.trigger_gold_tools counts

None of this proposes a trigger: the annotator reads each text and writes, per document, the
phrases they chose in a small spec format; ``annotate`` only turns a phrase (and which occurrence
of it) into character offsets and files the document under its split.  Spec format::

    @ kremlin-53521                     a document (its triggers follow; none = annotated, empty)
    neg + ready to resume talks | RU-UA | a note
    cf - violated the ceasefire #2      the second occurrence of the phrase in the text

Categories: neg(otiations), cf (ceasefire), plan (peace_plan), agr(eement), pow
(prisoner_exchange), sec(urity_guarantees), end (conflict_end); stance ``+``, ``-``, ``0``.  A
phrase found more than once needs ``#N``; the error shows each occurrence in context.

Texts are taken as parley's poller takes them: ``ingest.articles.extract_article`` (trafilatura,
fast mode, the poller's default) on the saved page; the stored text is the headline, a blank
line, then the article text, cut after the last whole paragraph that ends within ``--max-chars``.
PolNeAR texts already start with their headline.  The shared data is read only through the
paths given on the command line.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks.eval_polnear import read_records

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "fixtures" / "triggers"
SPLIT_FILE = GOLD / "split.json"

CATEGORIES = {
    "neg": "negotiations",
    "cf": "ceasefire",
    "plan": "peace_plan",
    "agr": "agreement",
    "pow": "prisoner_exchange",
    "sec": "security_guarantees",
    "end": "conflict_end",
}
STANCES = {"+": "positive", "-": "negative", "0": "neutral"}
STRATA = ("kremlin-talks", "kremlin-random", "polnear")
# The second draw (``draw-themes``): Kremlin pages by the theme their text mentions, tried in this
# order (the rarest in the first draw's dev part first), random pages, PolNeAR foreign policy.
THEME_STRATA = (
    "kremlin-prisoners",
    "kremlin-guarantees",
    "kremlin-terms",
    "kremlin-random",
    "polnear-foreign",
)
ALL_STRATA = STRATA + tuple(s for s in THEME_STRATA if s not in STRATA)
THEMES: dict[str, re.Pattern[str]] = {
    "kremlin-prisoners": re.compile(
        r"prisoner|captiv|hostage|detainee|detained (?:persons|people|citizens)|"
        r"\bswap|exchange of (?:detain|prison|captiv|hostage)|released from",
        re.IGNORECASE,
    ),
    "kremlin-guarantees": re.compile(
        r"guarantee|guarantor|peacekeep|observer mission|monitoring mission|\bobservers\b|"
        r"\bmonitors\b",
        re.IGNORECASE,
    ),
    "kremlin-terms": re.compile(
        r"peace plan|settlement plan|\bterms\b|conditions for|preconditions|withdrawal|"
        r"pullback|pull-out|disengagement|road ?map|peace initiative|\bpoints\b",
        re.IGNORECASE,
    ),
}
# The third draw: the same themes in narrower words (the second draw's broad ones also found
# prisoners of jails and wars long over, bank guarantees, election observers), and at least two
# matches in the cut text.
FOCUSED_THEMES: dict[str, re.Pattern[str]] = {
    "kremlin-prisoners": re.compile(
        r"prisoners?\s+(?:exchange|swap)|exchange\s+of\s+(?:prisoners|detain|captiv|hostage|pow)|"
        r"\bswap|all-for-all|(?:release|return|freeing|handover)\s+of\s+(?:the\s+)?(?:\w+\s+){0,2}?"
        r"(?:prisoners|hostages|detain|captives|sailors|servicemen)|prisoners\s+of\s+war|"
        r"hostages?\s+(?:were|was|have\s+been)\s+(?:released|freed)",
        re.IGNORECASE,
    ),
    "kremlin-guarantees": re.compile(
        r"security\s+guarantee|guarantor|peacekeep|monitoring\s+mission|observer\s+mission|"
        r"osce\s+(?:observers|monitors|mission)",
        re.IGNORECASE,
    ),
    "kremlin-terms": re.compile(
        r"peace\s+plan|withdrawal\s+of\s+(?:\w+\s+){0,2}?(?:troops|forces|weapons)|"
        r"disengagement|pullback|road\s?map|terms\s+of\s+(?:the\s+)?(?:settlement|peace)|"
        r"conditions\s+for|special\s+status|\d+-point",
        re.IGNORECASE,
    ),
}
# Foreign policy with talks vocabulary, for the PolNeAR stratum of the second draw.
POLNEAR_CONFLICT = re.compile(
    r"\b(?:Iran\w*|North Korea\w*|Pyongyang|Syria\w*|Assad|Ukrain\w*|Israel\w*|Palestin\w*|"
    r"Afghan\w*|Taliban|Cuba\w*|Yemen\w*|Libya\w*)",
)
POLNEAR_TALKS = re.compile(
    r"\b(?:talks|negotiat\w*|deal|agreement|accord|cease-?fire|truce|swap|prisoners?|"
    r"peace (?:process|plan|talks)|diplomac\w*)\b",
    re.IGNORECASE,
)

KREMLIN_ATTRIBUTION = "President of Russia, http://en.kremlin.ru"
KREMLIN_LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
POLNEAR_ATTRIBUTION = (
    "PolNeAR, the Political News Attribution Relations corpus (Newell, Margolin, Ruths, LREC 2018, "
    "https://github.com/networkdynamics/PolNeAR); article: {publisher}, {date}"
)
POLNEAR_LICENCE = "research use under the PolNeAR repository's licence (see its LICENSE file)"


# -- reading the sources ---------------------------------------------------------------------


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def kremlin_index(corpus: Path) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in read_records(corpus / "index.jsonl")}


def kremlin_page(corpus: Path, page_id: str) -> tuple[str, str, str | None]:
    """(headline, text, date) as the poller extracts them."""
    from ingest.articles import extract_article

    row = kremlin_index(corpus)[page_id]
    body = gzip.decompress((corpus / "pages" / f"{page_id}.html.gz").read_bytes())
    article = extract_article(body, url=row["url"], content_type="text/html")
    date = article.published.date().isoformat() if article.published else None
    return (article.title or "").strip(), article.text, date


def cut(text: str, max_chars: int) -> str:
    """Whole paragraphs while they end within ``max_chars`` (at least the first one)."""
    if len(text) <= max_chars:
        return text
    end = text.rfind("\n", 0, max_chars + 1)
    return text[:end].rstrip() if end > 0 else text.split("\n", 1)[0]


# -- commands --------------------------------------------------------------------------------


def cmd_catalog(args: argparse.Namespace) -> None:
    if args.kremlin:
        index = kremlin_index(args.kremlin)
        for page_id, row in sorted(index.items(), key=lambda kv: int(kv[0])):
            title, text, date = kremlin_page(args.kremlin, page_id)
            print(f"{page_id}\t{date}\t{row['keyword_hits']}\t{len(text)}\t{title}")
    for path in args.polnear or []:
        for row in read_records(path):
            print(
                f"{row['id']}\t{row['date']}\t{row['publisher']}\t{len(row['text'])}\t{row['title']}"
            )


def cmd_draw_random(args: argparse.Namespace) -> None:
    """Pages without talks vocabulary, drawn at random: their gold measures precision."""
    pool = sorted(
        (row["id"] for row in kremlin_index(args.kremlin).values() if row["keyword_hits"] == 0),
        key=int,
    )
    for page_id in sorted(random.Random(args.seed).sample(pool, args.count), key=int):
        print(f"kremlin-{page_id}\tkremlin-random")


def read_selection(path: Path) -> list[tuple[str, str]]:
    """``doc-id<TAB>stratum`` lines (``#`` comments allowed)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            doc_id, stratum = line.split()[:2]
            if stratum not in ALL_STRATA:
                sys.exit(f"unknown stratum {stratum!r} for {doc_id}")
            rows.append((doc_id, stratum))
    ids = [doc_id for doc_id, _ in rows]
    duplicated = sorted(d for d, n in Counter(ids).items() if n > 1)
    if duplicated:
        sys.exit(f"selected twice: {duplicated}")
    return rows


def draw_split(
    selection: list[tuple[str, str]],
    seed: int,
    test_share: float,
    strata: tuple[str, ...] = STRATA,
) -> dict[str, list[str]]:
    """Per stratum: ids sorted, shuffled with ``Random(seed)``, the first round(share·n) → test."""
    rng = random.Random(seed)
    split: dict[str, list[str]] = {"dev": [], "test": []}
    for stratum in strata:
        ids = sorted(doc_id for doc_id, s in selection if s == stratum)
        rng.shuffle(ids)
        n_test = round(test_share * len(ids))
        split["test"] += sorted(ids[:n_test])
        split["dev"] += sorted(ids[n_test:])
    return split


def split_procedure(strata: tuple[str, ...]) -> str:
    return (
        "benchmarks/trigger_gold_tools.py draw_split: per stratum, ids sorted, shuffled with "
        "random.Random(seed) (one generator across the strata, in the order "
        f"{', '.join(strata)}), the first round(test_share * n) to test, the rest to dev"
    )


def cmd_split(args: argparse.Namespace) -> None:
    """A draw's split; ``--append`` adds it to the draws already recorded (their documents stay
    where they are), otherwise it is the only one."""
    selection = read_selection(args.selection)
    strata = dict(selection)
    order = STRATA if set(strata.values()) <= set(STRATA) else THEME_STRATA
    draws = read_draws() if args.append else []
    taken = {doc_id for draw in draws for doc_id in draw["strata"]}
    if taken & set(strata):
        sys.exit(f"already drawn: {sorted(taken & set(strata))}")
    split = draw_split(selection, args.seed, args.test_share, order)
    draws.append(
        {
            "seed": args.seed,
            "test_share": args.test_share,
            "strata_order": list(order),
            "max_chars": args.max_chars,
            "procedure": split_procedure(order),
            "strata": {doc_id: strata[doc_id] for doc_id in sorted(strata)},
            **split,
        }
    )
    write_draws(draws)
    for part in ("dev", "test"):
        by_stratum = Counter(strata[d] for d in split[part])
        print(part, len(split[part]), dict(by_stratum))


def read_draws() -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    draws: list[dict[str, Any]] = data["draws"]
    return draws


def write_draws(draws: list[dict[str, Any]]) -> None:
    """``split.json``: every draw as it was made, then the union that the files follow."""
    strata = {doc_id: s for draw in draws for doc_id, s in draw["strata"].items()}
    payload = {
        "draws": draws,
        "strata": {doc_id: strata[doc_id] for doc_id in sorted(strata)},
        "dev": sorted(d for draw in draws for d in draw["dev"]),
        "test": sorted(d for draw in draws for d in draw["test"]),
    }
    SPLIT_FILE.parent.mkdir(parents=True, exist_ok=True)
    SPLIT_FILE.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")


def cmd_draw_themes(args: argparse.Namespace) -> None:
    """The second draw: documents in no earlier draw, by stratum, each stratum's pool sorted and
    sampled with one ``Random(seed)`` in the order of THEME_STRATA.  A Kremlin page with talks
    vocabulary goes to the first theme its (cut) text mentions; a random page is one without
    talks vocabulary; a PolNeAR article names a conflict party at least three times and uses
    talks vocabulary at least twice within its cut text.  With ``--focused`` (the third draw), the
    themes are FOCUSED_THEMES and a page needs two matches of its theme."""
    taken = {doc_id for draw in read_draws() for doc_id in draw["strata"]}
    counts = dict(item.split("=") for item in args.counts)
    pools: dict[str, list[str]] = {s: [] for s in THEME_STRATA}
    index = kremlin_index(args.kremlin)
    for page_id in sorted(index, key=int):
        doc_id = f"kremlin-{page_id}"
        if doc_id in taken:
            continue
        if index[page_id]["keyword_hits"] == 0:
            pools["kremlin-random"].append(doc_id)
            continue
        title, body, _date = kremlin_page(args.kremlin, page_id)
        text = cut(f"{title}\n\n{body}", args.max_chars)
        themes, needed = (FOCUSED_THEMES, 2) if args.focused else (THEMES, 1)
        for stratum, pattern in themes.items():
            if len(pattern.findall(text)) >= needed:
                pools[stratum].append(doc_id)
                break
    for path in args.polnear or []:
        for row in read_records(path):
            doc_id = f"polnear-{row['id']}"
            text = cut(row["text"], args.max_chars)
            if doc_id in taken:
                continue
            if len(POLNEAR_CONFLICT.findall(text)) >= 3 and len(POLNEAR_TALKS.findall(text)) >= 2:
                pools["polnear-foreign"].append(doc_id)
    rng = random.Random(args.seed)
    for stratum in THEME_STRATA:
        pool = sorted(set(pools[stratum]))
        drawn = rng.sample(pool, min(int(counts.get(stratum, 0)), len(pool)))
        print(f"# {stratum}: {len(drawn)} of {len(pool)}")
        for doc_id in sorted(drawn):
            print(f"{doc_id}\t{stratum}")


def cmd_prepare(args: argparse.Namespace) -> None:
    """The texts of the documents drawn (of one draw with ``--draw N``, counted from 1), each cut
    at its draw's ``max_chars``."""
    polnear = {row["id"]: row for path in args.polnear or [] for row in read_records(path)}
    index = kremlin_index(args.kremlin) if args.kremlin else {}
    draws = read_draws()
    chosen = [draws[args.draw - 1]] if args.draw else draws
    limits = {doc_id: draw["max_chars"] for draw in chosen for doc_id in draw["strata"]}
    docs = []
    for doc_id in sorted(limits):
        max_chars = limits[doc_id]
        source, _, native_id = doc_id.partition("-")
        if source == "kremlin":
            title, body, date = kremlin_page(args.kremlin, native_id)
            text = cut(f"{title}\n\n{body}", max_chars)
            doc = {
                "id": doc_id,
                "source": "kremlin",
                "url": index[native_id]["url"],
                "title": title,
                "date": date,
                "attribution": f"{KREMLIN_ATTRIBUTION}; {index[native_id]['url']}",
                "licence": KREMLIN_LICENCE,
                "text": text,
            }
        elif source == "polnear":
            row = polnear[native_id]
            doc = {
                "id": doc_id,
                "source": "polnear",
                "title": row["title"],
                "date": row["date"],
                "attribution": POLNEAR_ATTRIBUTION.format(
                    publisher=row["publisher"], date=row["date"]
                ),
                "licence": POLNEAR_LICENCE,
                "text": cut(row["text"], max_chars),
            }
        else:
            sys.exit(f"unknown source in {doc_id}")
        docs.append(doc)
        print(f"{doc_id}\t{len(doc['text'])}\t{doc['title']}", file=sys.stderr)
    write_jsonl(args.out, docs)


def cmd_show(args: argparse.Namespace) -> None:
    docs = {d["id"]: d for d in read_records(args.staging)}
    doc = docs[args.id]
    print(f"{doc['id']}  {doc.get('date')}  {len(doc['text'])} chars  {doc.get('url', '')}")
    for n, para in enumerate(doc["text"].split("\n")):
        if para.strip():
            print(f"[{n}] {para}")


_SPEC_LINE = re.compile(r"^(\w+)\s+([+\-0])\s+(.+?)(?:\s+#(\d+))?$")


def parse_spec(lines: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    specs: dict[str, list[dict[str, Any]]] = {}
    current: str | None = None
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        if line.startswith("@"):
            current = line[1:].strip()
            if current in specs:
                raise ValueError(f"line {number}: {current} given twice")
            specs[current] = []
            continue
        if current is None:
            raise ValueError(f"line {number}: a trigger before any '@ document' line")
        phrase_part, *extra = [p.strip() for p in line.split(" | ")]
        match = _SPEC_LINE.match(phrase_part.strip())
        if not match or match.group(1) not in CATEGORIES:
            raise ValueError(f"line {number}: cannot read {line!r}")
        entry: dict[str, Any] = {
            "category": CATEGORIES[match.group(1)],
            "stance": STANCES[match.group(2)],
            "phrase": match.group(3),
            "occurrence": int(match.group(4)) if match.group(4) else None,
            "line": number,
        }
        if extra and extra[0]:
            entry["parties"] = extra[0]
        if len(extra) > 1 and extra[1]:
            entry["note"] = extra[1]
        specs[current].append(entry)
    return specs


def locate(text: str, phrase: str, occurrence: int | None) -> tuple[int, int]:
    """A space in the phrase matches any run of white space (pages use no-break spaces)."""
    pattern = re.compile(r"\s+".join(re.escape(word) for word in phrase.split()))
    found = [(m.start(), m.end()) for m in pattern.finditer(text)]
    starts = [start for start, _ in found]
    if not starts:
        raise ValueError(f"not in the text: {phrase!r}")
    if occurrence is None and len(starts) > 1:
        shown = "\n".join(
            f"  #{i}: …{text[max(0, s - 50) : s + len(phrase) + 30]!r}…"
            for i, s in enumerate(starts, 1)
        )
        raise ValueError(f"{phrase!r} occurs {len(starts)} times; add #N:\n{shown}")
    index = (occurrence or 1) - 1
    if not 0 <= index < len(starts):
        raise ValueError(f"{phrase!r} has no occurrence #{occurrence} ({len(starts)} found)")
    return found[index]


def triggers_for(text: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    triggers = []
    for entry in entries:
        try:
            start, end = locate(text, entry["phrase"], entry["occurrence"])
        except ValueError as exc:
            raise ValueError(f"spec line {entry['line']}: {exc}") from None
        trigger: dict[str, Any] = {
            "start": start,
            "end": end,
            "text": text[start:end],
            "category": entry["category"],
            "stance": entry["stance"],
        }
        for key in ("parties", "note"):
            if key in entry:
                trigger[key] = entry[key]
        triggers.append(trigger)
    keys = Counter((t["start"], t["end"], t["category"], t["stance"]) for t in triggers)
    twice = [k for k, n in keys.items() if n > 1]
    if twice:
        raise ValueError(f"the same trigger twice: {twice}")
    return sorted(triggers, key=lambda t: (t["start"], t["end"], t["category"]))


def load_split() -> dict[str, str]:
    split = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    return {doc_id: part for part in ("dev", "test") for doc_id in split[part]}


def cmd_annotate(args: argparse.Namespace) -> None:
    staging = {d["id"]: d for d in read_records(args.staging)}
    part_of = load_split()
    specs: dict[str, list[dict[str, Any]]] = {}
    for path in args.spec:
        for doc_id, entries in parse_spec(path.read_text(encoding="utf-8").splitlines()).items():
            if doc_id in specs:
                sys.exit(f"{doc_id} annotated in two spec files")
            specs[doc_id] = entries
    files = {part: GOLD / f"{part}.jsonl" for part in ("dev", "test")}
    annotated = {
        part: {d["id"]: d for d in read_records(path)} if path.exists() else {}
        for part, path in files.items()
    }
    failed = False
    for doc_id, entries in specs.items():
        if doc_id not in part_of:
            sys.exit(f"{doc_id} is not in the split")
        doc = dict(staging[doc_id])
        try:
            doc["triggers"] = triggers_for(doc["text"], entries)
        except ValueError as exc:
            print(f"{doc_id}: {exc}", file=sys.stderr)
            failed = True
            continue
        annotated[part_of[doc_id]][doc_id] = doc
    if failed:
        sys.exit(1)
    order = {doc_id: n for n, doc_id in enumerate(sorted(part_of))}
    for part, docs in annotated.items():
        write_jsonl(files[part], sorted(docs.values(), key=lambda d: order[d["id"]]))
        print(
            f"{part}: {len(docs)} documents, {sum(len(d['triggers']) for d in docs.values())} "
            "triggers"
        )


def count_tables() -> str:
    """Markdown: documents per stratum, then triggers per category × stance, for each split (the
    tables in tests/fixtures/triggers/README.md, which the validator compares with the files)."""
    strata = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))["strata"]
    lines = []
    for part in ("dev", "test"):
        docs = list(read_records(GOLD / f"{part}.jsonl"))
        per_stratum = Counter(strata[d["id"]] for d in docs)
        triggers = [t for d in docs for t in d["triggers"]]
        lines += [
            f"**{part}**: {len(docs)} documents "
            f"({', '.join(f'{s} {per_stratum[s]}' for s in ALL_STRATA if per_stratum[s])}), "
            f"{len(triggers)} triggers",
            "",
            "| category | positive | negative | neutral | total |",
            "|---|---|---|---|---|",
        ]
        cells = Counter((t["category"], t["stance"]) for t in triggers)
        for category in CATEGORIES.values():
            row = [cells[(category, s)] for s in STANCES.values()]
            lines.append(f"| `{category}` | {' | '.join(map(str, row))} | {sum(row)} |")
        totals = [sum(cells[(c, s)] for c in CATEGORIES.values()) for s in STANCES.values()]
        lines += [f"| all | {' | '.join(map(str, totals))} | {sum(totals)} |", ""]
    return "\n".join(lines)


def cmd_counts(_args: argparse.Namespace) -> None:
    print(count_tables())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("catalog")
    p.add_argument("--kremlin", type=Path)
    p.add_argument("--polnear", type=Path, nargs="*")
    p.set_defaults(func=cmd_catalog)
    p = sub.add_parser("draw-random")
    p.add_argument("--kremlin", type=Path, required=True)
    p.add_argument("--count", type=int, default=12)
    p.add_argument("--seed", type=int, required=True)
    p.set_defaults(func=cmd_draw_random)
    p = sub.add_parser("split")
    p.add_argument("--selection", type=Path, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--test-share", type=float, default=0.45)
    p.add_argument("--append", action="store_true", help="add a draw to those recorded")
    p.add_argument("--max-chars", type=int, default=6000, help="where its texts are cut")
    p.set_defaults(func=cmd_split)
    p = sub.add_parser("draw-themes")
    p.add_argument("--kremlin", type=Path, required=True)
    p.add_argument("--polnear", type=Path, nargs="*")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--max-chars", type=int, default=3000)
    p.add_argument("--focused", action="store_true", help="narrower theme words, two matches")
    p.add_argument(
        "--counts",
        nargs="*",
        default=[
            "kremlin-prisoners=7",
            "kremlin-guarantees=7",
            "kremlin-terms=6",
            "kremlin-random=3",
            "polnear-foreign=7",
        ],
    )
    p.set_defaults(func=cmd_draw_themes)
    p = sub.add_parser("prepare")
    p.add_argument("--kremlin", type=Path)
    p.add_argument("--polnear", type=Path, nargs="*")
    p.add_argument("--draw", type=int, help="only this draw's documents (1, 2, …)")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_prepare)
    p = sub.add_parser("show")
    p.add_argument("--staging", type=Path, required=True)
    p.add_argument("id")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("annotate")
    p.add_argument("--staging", type=Path, required=True)
    p.add_argument("spec", type=Path, nargs="+")
    p.set_defaults(func=cmd_annotate)
    p = sub.add_parser("counts")
    p.set_defaults(func=cmd_counts)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
