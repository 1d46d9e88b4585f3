"""How close a poller's CPU per article is to bare trafilatura on the same pages.

The end-to-end benchmark (``e2e_latency.py``) reports each poller's CPU per article.  HTML text
extraction is the floor of that figure: this script times, on the very pages that benchmark
serves (the article-page corpus with the benchmark's statement inserted), in one process and
on one core:

- ``trafilatura``: ``trafilatura.bare_extraction`` alone, as the poller calls it (fast mode, no
  comments, no page metadata: the benchmark's feeds carry title and date);
- ``extract_article``: parley's whole page step (content-type check, decoding, trafilatura,
  language), i.e. what a poller adds around trafilatura for the text itself.

The difference between the pollers' CPU per article in the end-to-end run (the sum over its
pollers: each article is fetched by one of them) and ``extract_article`` is what the pollers
spend elsewhere: feeds, HTTP, their stores, Kafka.

Usage::

    python -m benchmarks.extraction_floor [--corpus DIR] [--rounds 3] [--e2e-pollers-ms 14.5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness.machine import machine
from benchmarks.harness.newsroom import CorpusPages, statement_for, statement_survives

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT / ".." / "shared" / "corpus" / "article-pages"


def cpu_ms_per_page(fn: Any, pages: list[bytes], rounds: int) -> list[float]:
    """CPU milliseconds per page of ``fn`` over all pages, once per round (``process_time``:
    this process's CPU, whatever else the machine runs)."""
    out = []
    for _ in range(rounds):
        start = time.process_time()
        for page in pages:
            fn(page)
        out.append((time.process_time() - start) * 1000 / len(pages))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--e2e-pollers-ms",
        type=float,
        help="the pollers' CPU ms per article in an e2e run (sum over pollers), to state what "
        "they spend beyond the page step",
    )
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args(argv)

    import trafilatura

    from ingest.articles import decode_body, extract_article

    corpus = Path(args.corpus)
    if not (corpus / "ground-truth.json").exists():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    source = CorpusPages(corpus, statement_survives)
    pages = [source.render(i, statement_for(i)) for i in range(len(source))]
    content_type = "text/html; charset=utf-8"

    def bare(page: bytes) -> None:
        trafilatura.bare_extraction(
            decode_body(page, content_type),
            url="http://127.0.0.1/a",
            with_metadata=False,
            include_comments=False,
            fast=True,
        )

    def whole(page: bytes) -> None:
        extract_article(
            page, url="http://127.0.0.1/a", content_type=content_type, with_metadata=False
        )

    cpu_ms_per_page(whole, pages[:20], 1)  # warm both paths (imports, caches)
    figures: dict[str, Any] = {"pages": len(pages), "rounds": args.rounds}
    runs: dict[str, list[float]] = {"trafilatura": [], "extract_article": []}
    for _ in range(args.rounds):  # alternated, so that a busy moment hits both alike
        runs["trafilatura"] += cpu_ms_per_page(bare, pages, 1)
        runs["extract_article"] += cpu_ms_per_page(whole, pages, 1)
    for name, values in runs.items():
        figures[name] = {
            "runs_ms": [round(r, 2) for r in values],
            "median_ms": round(statistics.median(values), 2),
        }
    line = (
        f"{len(pages)} pages: bare trafilatura {figures['trafilatura']['median_ms']:.2f} ms, "
        f"parley's page step {figures['extract_article']['median_ms']:.2f} ms CPU per page"
    )
    if args.e2e_pollers_ms is not None:
        own = args.e2e_pollers_ms - figures["extract_article"]["median_ms"]
        figures["e2e_pollers_ms"] = args.e2e_pollers_ms
        figures["pollers_beyond_page_step_ms"] = round(own, 2)
        line += f"; pollers in the e2e run: {args.e2e_pollers_ms:.2f} ms, {own:.2f} ms beyond it"
    figures["machine"] = machine()
    figures["load_average"] = list(os.getloadavg())
    print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
