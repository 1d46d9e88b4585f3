"""Article extraction speed: parley's ``extract_article`` against bare ``trafilatura.extract``.

    python benchmarks/extraction.py --corpus DIR [--rounds 3]

DIR is a folder of gzipped HTML pages (``*.html.gz``).  Every side gets the same bytes; one
process, one thread, timed in CPU seconds (other load on the machine does not count), so
pages/s is per core; the best of the rounds is kept, like timeit.  Two baselines:
``trafilatura.extract`` with its defaults (text only), and with the options parley uses
(metadata on: title, author, date via htmldate; comments off).
Overhead = our time / baseline time - 1.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

import trafilatura

from ingest.articles import ExtractionError, extract_article


def load(corpus: Path) -> list[bytes]:
    pages = [gzip.decompress(p.read_bytes()) for p in sorted(corpus.glob("*.html.gz"))]
    if not pages:
        sys.exit(f"no *.html.gz pages in {corpus}")
    return pages


def bare(pages: list[bytes], **options: bool) -> tuple[float, int]:
    started = time.process_time()
    ok = sum(
        1 for page in pages if trafilatura.extract(page, url="https://example.org/a", **options)
    )
    return time.process_time() - started, ok


SAME_OPTIONS = {"with_metadata": True, "include_comments": False}


def ours(pages: list[bytes]) -> tuple[float, int]:
    started = time.process_time()
    ok = 0
    for page in pages:
        try:
            extract_article(page, url="https://example.org/a", content_type="text/html")
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
    ours(pages[:5])  # warm caches (lxml, htmldate, py3langid model)
    bare_times, same_times, our_times = [], [], []
    for _ in range(args.rounds):  # interleaved, so machine noise hits all alike
        t, bare_ok = bare(pages)
        bare_times.append(t)
        t, same_ok = bare(pages, **SAME_OPTIONS)
        same_times.append(t)
        t, our_ok = ours(pages)
        our_times.append(t)
    b, m, o = (min(x) for x in (bare_times, same_times, our_times))
    n = len(pages)
    print(f"pages: {n} ({sum(map(len, pages)) / 1e6:.1f} MB of HTML), rounds: {args.rounds}")
    print(f"trafilatura.extract, defaults         : {n / b:6.1f} pages/s ({bare_ok} with text)")
    print(f"trafilatura.extract, parley's options : {n / m:6.1f} pages/s ({same_ok} with text)")
    print(f"parley extract_article                : {n / o:6.1f} pages/s ({our_ok} with text)")
    print(f"overhead vs same options              : {100 * (o / m - 1):+.1f} %")
    print(f"overhead vs defaults (adds metadata)  : {100 * (o / b - 1):+.1f} %")


if __name__ == "__main__":
    main()
