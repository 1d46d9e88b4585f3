"""Does page extraction survive several threads?  Fresh processes, four threads each.

Each trial is a new Python process whose four threads extract real news pages (the
article-page corpus) side by side for a few seconds, the way a poller's extraction threads do.
A trial that ends by a signal (SIGSEGV, SIGABRT) is a crash; one still running ten times
its time later is hung (corrupted processes spin too) and is killed.  ``--unlocked`` calls
trafilatura directly, without ``ingest.lxml_lock`` — what pollers did before the lock; by
default the trials go through ``extract_article``, as pollers do now.

Usage::

    python -m benchmarks.lxml_threads [--trials 40] [--seconds 3] [--unlocked]
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT / ".." / "shared" / "corpus" / "article-pages"


def trial(corpus: Path, seconds: float, unlocked: bool, threads: int = 4) -> None:
    """One process's work (runs in the child)."""
    import faulthandler

    import trafilatura

    from ingest.articles import extract_article

    faulthandler.enable()
    pages = [gzip.decompress(p.read_bytes()) for p in sorted(corpus.glob("*.html.gz"))]
    stop = time.monotonic() + seconds

    def work(k: int) -> None:
        rng = random.Random(time.time_ns() + k)
        while time.monotonic() < stop:
            page = rng.choice(pages)
            try:
                if unlocked:
                    trafilatura.bare_extraction(page.decode("utf-8", "replace"), fast=True)
                else:
                    extract_article(page, url="https://example.org/a", content_type="text/html")
            except Exception:  # broken pages are not what this measures
                continue

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--unlocked", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    if args.child:
        trial(corpus, args.seconds, args.unlocked)
        return 0
    if not any(corpus.glob("*.html.gz")):
        print(f"no pages in {corpus}", file=sys.stderr)
        return 2
    crashes: dict[int, int] = {}
    hung = 0
    for _ in range(args.trials):
        command = [sys.executable, "-m", "benchmarks.lxml_threads", "--child"]
        command += ["--corpus", str(corpus), "--seconds", str(args.seconds)]
        command += ["--unlocked"] if args.unlocked else []
        try:
            code = subprocess.run(
                command,
                cwd=REPO_ROOT,
                capture_output=True,
                check=False,
                env=os.environ.copy(),
                timeout=args.seconds * 10 + 30,
            ).returncode
        except subprocess.TimeoutExpired:  # a corrupted process may also spin for ever
            hung += 1
            continue
        if code < 0:
            crashes[-code] = crashes.get(-code, 0) + 1
    mode = "trafilatura without the lock" if args.unlocked else "extract_article (locked)"
    total = sum(crashes.values())
    print(
        f"{mode}: {total} of {args.trials} processes crashed "
        f"({', '.join(f'signal {s}: {n}' for s, n in sorted(crashes.items())) or 'none'}), "
        f"{hung} hung; 4 threads, {args.seconds:g} s each, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
