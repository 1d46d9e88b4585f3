"""Same output before and after a speed change: ``parley extract`` over fixed inputs, compared
line by line with a saved reference.

    python benchmarks/extract_identity.py --data POLNEAR_TRAIN POLNEAR_DEV GROUND_TRUTH \\
        --save ref/                      # before the change: outputs written to ref/
    python benchmarks/extract_identity.py --data … --check ref/   # after: exit 1 on a difference
    python benchmarks/extract_identity.py --data … --write-inputs inputs/   # the inputs only

Five inputs: the typical articles of ``bench_extract.py`` (the 853 distinct 3-5 KB pieces of
PolNeAR train + dev and the article-page corpus: ``--data polnear_train.jsonl.gz
polnear_dev.jsonl ground-truth.json``), the whole PolNeAR dev articles (the file of ``--data``
whose name contains ``dev``), the dev parts of the wire set and of the Kremlin trigger set
(``tests/fixtures/{wire,triggers}/dev.jsonl``, with their titles), and the 5000 synthetic
articles (dense in statements and triggers).  ``--root`` runs the extractor of another
checkout (its own compiled modules), so a reference can be made from the code before the
change without switching branches.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_extract import (  # noqa: E402
    FIXTURES,
    file_articles,
    read_texts,
    synthetic_articles,
)


def inputs(data: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """Name → records of each input set."""
    typical = file_articles(data, 2000, 3000, 5000, cut=True, distinct=True)
    dev = [p for p in data if "dev" in p.name]
    out = {"typical": typical}
    if dev:
        out["polnear_dev"] = [
            {"id": f"dev-{i}", "text": t} for i, t in enumerate(read_texts(dev[0]))
        ]
    for name, folder in (("wire_dev", "wire"), ("kremlin_dev", "triggers")):
        lines = (FIXTURES / folder / "dev.jsonl").read_text(encoding="utf-8").splitlines()
        docs = [json.loads(line) for line in lines if line.strip()]
        out[name] = [{"id": d["id"], "title": d["title"], "text": d["text"]} for d in docs]
    out["synthetic"] = synthetic_articles(5000)
    return out


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )


def run_extract(root: Path, src: Path, dst: Path) -> None:
    """``python -m pipeline.extract`` of the checkout at ``root`` (its sources and builds)."""
    env = dict(os.environ, PYTHONPATH=str(root))
    subprocess.run(
        [sys.executable, "-m", "pipeline.extract", "--input", str(src), "--output", str(dst)],
        check=True,
        cwd=root,
        env=env,
        stderr=subprocess.DEVNULL,
    )


def first_difference(a: Path, b: Path) -> str | None:
    """A description of the first line where ``a`` and ``b`` differ, or None."""
    with a.open(encoding="utf-8") as fa, b.open(encoding="utf-8") as fb:
        for number, (la, lb) in enumerate(zip(fa, fb, strict=False), 1):
            if la != lb:
                return f"line {number}:\n  reference {la[:400]}\n  now       {lb[:400]}"
    lines_a = sum(1 for _ in a.open(encoding="utf-8"))
    lines_b = sum(1 for _ in b.open(encoding="utf-8"))
    if lines_a != lines_b:
        return f"{lines_a} reference lines, {lines_b} now"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, nargs="+", required=True)
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout whose extractor runs")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write inputs and outputs to this directory")
    group.add_argument("--check", type=Path, help="compare with the outputs saved here")
    group.add_argument("--write-inputs", type=Path, help="only write the inputs here")
    args = ap.parse_args(argv)
    sets = inputs(args.data)
    target = args.save or args.write_inputs
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        for name, records in sets.items():
            write_jsonl(target / f"{name}.in.jsonl", records)
            print(f"{name}: {len(records)} records", file=sys.stderr)
        if args.write_inputs is not None:
            return 0
        for name in sets:
            run_extract(args.root, target / f"{name}.in.jsonl", target / f"{name}.out.jsonl")
        return 0
    import tempfile

    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, records in sets.items():
            src = Path(tmp) / f"{name}.in.jsonl"
            write_jsonl(src, records)
            if src.read_bytes() != (args.check / f"{name}.in.jsonl").read_bytes():
                print(f"{name}: the inputs differ from the reference's", file=sys.stderr)
                failed = True
                continue
            dst = Path(tmp) / f"{name}.out.jsonl"
            run_extract(args.root, src, dst)
            diff = first_difference(args.check / f"{name}.out.jsonl", dst)
            print(f"{name}: {len(records)} records, " + ("identical" if diff is None else diff))
            failed = failed or diff is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
