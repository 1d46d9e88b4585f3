"""Throughput of ``parley extract --input … --output …``, start-up included.

    python benchmarks/bench_extract.py [--articles 5000] [--json out] [--repeat 3]
        [--data FILE [FILE …] --min-chars 3000 --max-chars 5000 [--cut] [--distinct]]

Articles: by default synthetic 3-5 KB news articles about talks and ceasefires, assembled
deterministically from the paragraphs of the committed test fixtures (seed article, extraction
cases) and a few neutral paragraphs: every paragraph is a quote or trigger case, about 27
statements and 26 triggers per article, several times denser than real news, so a worst case.
With ``--data`` real texts are used instead: PolNeAR (political news, quote-heavy) or the
article-page corpus's ground truth, optionally only those of 3-5 KB (typical articles), or
with ``--cut`` every text cut at paragraph breaks into 3-5 KB pieces, and with ``--distinct``
each text once: the extractor caches what it learns about names, so repeating texts would
flatter it.

Measured, each in a fresh process:
- ``parley extract`` (the console script: loads every sub-command, then the gazetteer);
- ``python -m pipeline.extract`` (the same command without the other sub-commands);
- start-up alone (an empty input), so the steady-state rate can be told apart;
- in-process ``StatementExtractor.extract`` per article (no JSON, no start-up): the first
  pass over the articles, and the best later pass (caches warm), with the garbage collector
  set as `parley extract` sets it.

Each measurement is the best of ``--repeat`` runs: the machine is shared, and the best run is
the one least disturbed by other work.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: benchmarks.harness lives in the repository
    sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures"
NEUTRAL = [
    "The meeting took place in a government building in the capital, where security was "
    "tight and journalists waited outside for several hours before the delegations appeared.",
    "Analysts noted that the economic situation in the region has deteriorated over the past "
    "year, with inflation rising and the currency losing value against the dollar.",
    "Local residents described long queues at petrol stations and pharmacies, and many "
    "families have left for safer areas in the west of the country since the spring.",
    "The European Union is expected to discuss a new package of measures at its summit next "
    "month, diplomats in Brussels said, although no draft has been circulated yet.",
]


def synthetic_articles(n: int, seed: int = 1) -> list[dict[str, Any]]:
    seed_text = (FIXTURES / "seed-article.txt").read_text(encoding="utf-8")
    cases = yaml.safe_load((FIXTURES / "extract_cases.yaml").read_text(encoding="utf-8"))
    english = [
        c["text"]
        for c in cases["cases"]
        if not any("\u0400" <= ch <= "\u04ff" for ch in c["text"]) and "language" not in c
    ]
    pool = [p for p in seed_text.split("\n") if p.strip()] + english + NEUTRAL
    rng = random.Random(seed)
    out = []
    for i in range(n):
        target = rng.randint(3000, 5000)
        paras: list[str] = []
        size = 0
        while size < target:
            p = rng.choice(pool)
            paras.append(p)
            size += len(p) + 1
        out.append({"id": f"bench-{i}", "text": "\n".join(paras), "language": "en"})
    return out


def read_texts(path: Path) -> list[str]:
    """Texts of a JSONL file (a ``text`` field per line, e.g. PolNeAR; gzipped or not) or of a
    corpus ``ground-truth.json`` (page id → ``articleBody``)."""
    import gzip

    if path.suffix == ".json":
        return [v["articleBody"] for v in json.loads(path.read_text(encoding="utf-8")).values()]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def windows(text: str, min_chars: int, max_chars: int) -> list[str]:
    """``text`` cut at paragraph breaks into consecutive pieces of ``min_chars``-``max_chars``
    characters (a paragraph longer than ``max_chars`` is a piece of its own; a last piece
    shorter than ``min_chars`` is dropped)."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for para in (p for p in text.split("\n") if p.strip()):
        if current and size + len(para) + 1 > max_chars:
            if size >= min_chars:
                out.append("\n\n".join(current))
            current, size = [], 0
        current.append(para)
        size += len(para) + 2
    if current and size >= min_chars:
        out.append("\n\n".join(current))
    return out


def file_articles(
    paths: list[Path],
    n: int,
    min_chars: int = 0,
    max_chars: int | None = None,
    *,
    cut: bool = False,
    distinct: bool = False,
) -> list[dict[str, Any]]:
    """Real texts of ``min_chars``-``max_chars`` characters: whole texts of that size, or
    with ``cut`` every text cut into pieces of that size.  Repeated in order until there are
    ``n``, unless ``distinct`` (then at most one record per distinct text)."""
    texts: list[str] = []
    for path in paths:
        texts += read_texts(path)
    if cut:
        if max_chars is None:
            raise SystemExit("--cut needs --max-chars")
        texts = [w for t in texts for w in windows(t, min_chars, max_chars)]
    else:
        texts = [t for t in texts if min_chars <= len(t) <= (max_chars or len(t))]
    if distinct:
        texts = list(dict.fromkeys(texts))
        n = min(n, len(texts))
    if not texts:
        raise SystemExit(f"no texts of {min_chars}-{max_chars} characters in {paths}")
    return [{"id": f"doc-{i}", "text": texts[i % len(texts)]} for i in range(n)]


def native_build() -> bool:
    """Whether ``parley extract`` runs the mypyc-compiled modules (see setup.py)."""
    probe = "from pipeline.extract.native import running_native; print(running_native())"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return out.stdout.strip() == "True"


def run_command(cmd: list[str], records: list[dict[str, Any]], repeat: int = 1) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        dst = Path(tmp) / "out.jsonl"
        src.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
        elapsed = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(
                [*cmd, "--input", str(src), "--output", str(dst)],
                check=True,
                cwd=ROOT,
                stderr=subprocess.DEVNULL,
            )
            elapsed = min(elapsed, time.perf_counter() - start)
            lines = sum(1 for _ in dst.open(encoding="utf-8"))
            if lines != len(records):
                raise SystemExit(f"{cmd}: {lines} output lines for {len(records)} inputs")
    return {
        "seconds": round(elapsed, 3),
        "articles_per_s": round(len(records) / elapsed, 1) if records else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument(
        "--data",
        type=Path,
        nargs="+",
        help="real texts instead of synthetic: JSONL files with a 'text' field, or corpus "
        "ground-truth.json files (articleBody)",
    )
    ap.add_argument("--min-chars", type=int, default=0, help="with --data: shortest text")
    ap.add_argument("--max-chars", type=int, default=None, help="with --data: longest text")
    ap.add_argument(
        "--cut",
        action="store_true",
        help="with --data: cut every text at paragraph breaks into pieces of "
        "--min-chars..--max-chars instead of keeping only texts of that size",
    )
    ap.add_argument(
        "--distinct",
        action="store_true",
        help="with --data: each distinct text once (fewer than --articles if there are fewer)",
    )
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = ap.parse_args(argv)
    records = (
        file_articles(
            args.data,
            args.articles,
            args.min_chars,
            args.max_chars,
            cut=args.cut,
            distinct=args.distinct,
        )
        if args.data
        else synthetic_articles(args.articles)
    )
    avg = sum(len(r["text"]) for r in records) / len(records)
    parley = str(Path(sys.executable).with_name("parley"))
    from benchmarks.harness.machine import commit, load_average, machine

    results: dict[str, Any] = {
        "articles": len(records),
        "average_chars": round(avg),
        "source": "+".join(p.name for p in args.data) if args.data else "synthetic",
        "selection": {
            "min_chars": args.min_chars,
            "max_chars": args.max_chars,
            "cut": args.cut,
            "distinct": args.distinct,
        }
        if args.data
        else None,
        "native": native_build(),
        "distinct_texts": len({r["text"] for r in records}),
        "machine": machine(),
        **commit(),
        "load_average_before": load_average(),
    }
    repeat = max(1, args.repeat)
    results["repeat"] = repeat
    results["startup_parley_s"] = run_command([parley, "extract"], [], repeat)["seconds"]
    results["startup_module_s"] = run_command(
        [sys.executable, "-m", "pipeline.extract"], [], repeat
    )["seconds"]
    results["parley_extract"] = run_command([parley, "extract"], records, repeat)
    results["python_m_pipeline_extract"] = run_command(
        [sys.executable, "-m", "pipeline.extract"], records, repeat
    )

    from pipeline.extract import StatementExtractor
    from pipeline.extract.batch import extraction_collections

    extractor = StatementExtractor()
    extractor.extract("The minister said talks would resume.")
    passes = []
    # The collector as `parley extract` sets it: with the default one the first pass looks
    # ~30 % dearer than the command's.
    with extraction_collections():
        for _ in range(repeat + 1):
            cpu0 = time.process_time()
            wall0 = time.perf_counter()
            for r in records:
                extractor.extract(r["text"], language=r.get("language"))
            passes.append((time.perf_counter() - wall0, time.process_time() - cpu0))
    wall = min(w for w, _ in passes[1:])
    cpu = min(c for _, c in passes[1:])
    results["in_process"] = {
        "first_pass_ms_per_article_cpu": round(1000 * passes[0][1] / len(records), 3),
        "ms_per_article_wall": round(1000 * wall / len(records), 3),
        "ms_per_article_cpu": round(1000 * cpu / len(records), 3),
        "articles_per_s_cpu": round(len(records) / cpu, 1),
    }
    results["load_average_after"] = load_average()
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
