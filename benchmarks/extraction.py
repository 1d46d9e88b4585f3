"""Article extraction speed: parley's ``extract_article`` against bare ``trafilatura.extract``.

    python benchmarks/extraction.py --corpus DIR [--rounds 3]

DIR is a folder of gzipped HTML pages (``*.html.gz``).  Every side gets the same bytes; one
process, one thread, timed in CPU seconds (other load on the machine does not count), so
pages/s is per core; the best of the rounds is kept, like timeit.  Two baselines:
``trafilatura.extract`` with its defaults (text only), and with the options parley uses
(metadata on: title, author, date via htmldate; comments off).
Overhead = our time / baseline time - 1.

parley is measured in both modes (``ingest.fast_extraction`` true and false), and in fast mode
without the page's metadata (what the poller does for a feed entry that has its title and date,
``ingest.page_metadata``), against the floor: ``trafilatura.bare_extraction`` in fast mode, text
only.  When DIR has a
``ground-truth.json`` (page id → ``articleBody``), the text each mode extracts is scored against
it: word-bag precision, recall and F1 per page, averaged (pages with no text score 0).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import trafilatura

from ingest.articles import ExtractionError, extract_article


def load(corpus: Path) -> list[bytes]:
    pages = [gzip.decompress(p.read_bytes()) for p in sorted(corpus.glob("*.html.gz"))]
    if not pages:
        sys.exit(f"no *.html.gz pages in {corpus}")
    return pages


_WORD = re.compile(r"\w+")


def word_f1(got: str, truth: str) -> tuple[float, float, float]:
    g, t = Counter(_WORD.findall(got.lower())), Counter(_WORD.findall(truth.lower()))
    common = sum((g & t).values())
    if not common:
        return 0.0, 0.0, 0.0
    p, r = common / sum(g.values()), common / sum(t.values())
    return p, r, 2 * p * r / (p + r)


def fidelity(corpus: Path, fast: bool) -> tuple[float, float, float] | None:
    truth_file = corpus / "ground-truth.json"
    if not truth_file.exists():
        return None
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    scores = []
    for page_id, gold in truth.items():
        page = corpus / f"{page_id}.html.gz"
        if not page.exists():
            continue
        try:
            text = extract_article(
                gzip.decompress(page.read_bytes()),
                url="https://example.org/a",
                content_type="text/html",
                fast=fast,
            ).text
        except ExtractionError:
            text = ""
        scores.append(word_f1(text, gold.get("articleBody") or ""))
    n = len(scores)
    return tuple(sum(s[i] for s in scores) / n for i in range(3))  # type: ignore[return-value]


def bare(pages: list[bytes], **options: bool) -> tuple[float, int]:
    started = time.process_time()
    ok = sum(
        1 for page in pages if trafilatura.extract(page, url="https://example.org/a", **options)
    )
    return time.process_time() - started, ok


SAME_OPTIONS = {"with_metadata": True, "include_comments": False}


def floor(pages: list[bytes]) -> tuple[float, int]:
    """The least trafilatura does for a page's text: ``bare_extraction`` in fast mode, no
    metadata, no comments, no output formatting."""
    started = time.process_time()
    ok = sum(
        1
        for page in pages
        if trafilatura.bare_extraction(
            page, url="https://example.org/a", fast=True, include_comments=False
        )
    )
    return time.process_time() - started, ok


def ours(pages: list[bytes], fast: bool, with_metadata: bool = True) -> tuple[float, int]:
    started = time.process_time()
    ok = 0
    for page in pages:
        try:
            extract_article(
                page,
                url="https://example.org/a",
                content_type="text/html",
                fast=fast,
                with_metadata=with_metadata,
            )
            ok += 1
        except ExtractionError:
            pass
    return time.process_time() - started, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pages = load(args.corpus)
    bare(pages[:5])
    ours(pages[:5], fast=False)  # warm caches (lxml, htmldate, py3langid model)
    bare_times, same_times, our_times, fast_times = [], [], [], []
    floor_times, feed_times = [], []
    for _ in range(args.rounds):  # interleaved, so machine noise hits all alike
        t, bare_ok = bare(pages)
        bare_times.append(t)
        t, same_ok = bare(pages, **SAME_OPTIONS)
        same_times.append(t)
        t, our_ok = ours(pages, fast=False)
        our_times.append(t)
        t, fast_ok = ours(pages, fast=True)
        fast_times.append(t)
        t, floor_ok = floor(pages)
        floor_times.append(t)
        t, feed_ok = ours(pages, fast=True, with_metadata=False)
        feed_times.append(t)
    b, m, o, f = (min(x) for x in (bare_times, same_times, our_times, fast_times))
    lo, fm = min(floor_times), min(feed_times)
    n = len(pages)
    print(f"pages: {n} ({sum(map(len, pages)) / 1e6:.1f} MB of HTML), rounds: {args.rounds}")
    print(f"trafilatura.extract, defaults         : {n / b:6.1f} pages/s ({bare_ok} with text)")
    print(f"trafilatura.extract, parley's options : {n / m:6.1f} pages/s ({same_ok} with text)")
    print(f"parley extract_article, precise       : {n / o:6.1f} pages/s ({our_ok} with text)")
    print(f"parley extract_article, fast (default): {n / f:6.1f} pages/s ({fast_ok} with text)")
    print(f"overhead of precise vs same options   : {100 * (o / m - 1):+.1f} %")
    print(f"overhead of fast vs same options      : {100 * (f / m - 1):+.1f} %")
    print(f"overhead of fast vs defaults          : {100 * (f / b - 1):+.1f} %")
    print(f"trafilatura.bare_extraction, text only : {n / lo:6.1f} pages/s ({floor_ok} with text)")
    print(f"parley fast, title/date from the feed  : {n / fm:6.1f} pages/s ({feed_ok} with text)")
    print(f"overhead of that vs text-only floor    : {100 * (fm / lo - 1):+.1f} %")
    for label, fast in (("precise", False), ("fast", True)):
        scores = fidelity(args.corpus, fast)
        if scores is not None:
            p, r, f1 = scores
            print(
                f"text vs ground truth, {label:7s}        : "
                f"precision {p:.3f} recall {r:.3f} F1 {f1:.3f} (word bags, per page)"
            )


if __name__ == "__main__":
    main()
