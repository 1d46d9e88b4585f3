"""Throughput of ``parley extract --input … --output …``, start-up included.

    python benchmarks/bench_extract.py [--articles 5000] [--json out] [--repeat 3]
        [--data polnear_dev.jsonl|ground-truth.json --min-chars 3000 --max-chars 5000]

Articles: by default synthetic 3-5 KB news articles about talks and ceasefires, assembled
deterministically from the paragraphs of the committed test fixtures (seed article, extraction
cases) and a few neutral paragraphs: every paragraph is a quote or trigger case, about 27
statements and 26 triggers per article, several times denser than real news, so a worst case.
With ``--data`` real texts are used instead: PolNeAR (political news, quote-heavy) or the
article-page corpus's ground truth, optionally only those of 3-5 KB (typical articles).

Measured, each in a fresh process:
- ``parley extract`` (the console script: loads every sub-command, then the gazetteer);
- ``python -m pipeline.extract`` (the same command without the other sub-commands);
- start-up alone (an empty input), so the steady-state rate can be told apart;
- in-process ``StatementExtractor.extract`` per article (no JSON, no start-up).

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


def file_articles(
    path: Path, n: int, min_chars: int = 0, max_chars: int | None = None
) -> list[dict[str, Any]]:
    """Texts of a JSONL file (a ``text`` field per line, e.g. PolNeAR) or of a corpus
    ``ground-truth.json`` (page id → ``articleBody``), those of ``min_chars``-``max_chars``
    characters, repeated in order until there are ``n``."""
    import gzip

    if path.suffix == ".json":
        texts = [v["articleBody"] for v in json.loads(path.read_text(encoding="utf-8")).values()]
    else:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            texts = [json.loads(line)["text"] for line in fh if line.strip()]
    texts = [t for t in texts if min_chars <= len(t) <= (max_chars or len(t))]
    if not texts:
        raise SystemExit(f"no texts of {min_chars}-{max_chars} characters in {path}")
    return [{"id": f"doc-{i}", "text": texts[i % len(texts)]} for i in range(n)]


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
        help="real texts instead of synthetic: JSONL with a 'text' field, or a corpus "
        "ground-truth.json (articleBody)",
    )
    ap.add_argument("--min-chars", type=int, default=0, help="with --data: shortest text")
    ap.add_argument("--max-chars", type=int, default=None, help="with --data: longest text")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = ap.parse_args(argv)
    records = (
        file_articles(args.data, args.articles, args.min_chars, args.max_chars)
        if args.data
        else synthetic_articles(args.articles)
    )
    avg = sum(len(r["text"]) for r in records) / len(records)
    parley = str(Path(sys.executable).with_name("parley"))
    from benchmarks.harness.machine import commit, load_average, machine

    results: dict[str, Any] = {
        "articles": len(records),
        "average_chars": round(avg),
        "source": args.data.name if args.data else "synthetic",
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

    extractor = StatementExtractor()
    extractor.extract(records[0]["text"])
    cpu = wall = float("inf")
    for _ in range(repeat):
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        for r in records:
            extractor.extract(r["text"], language=r.get("language"))
        wall = min(wall, time.perf_counter() - wall0)
        cpu = min(cpu, time.process_time() - cpu0)
    results["in_process"] = {
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
