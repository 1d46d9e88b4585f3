"""`parley extract --input` (the real command, in its own process): a line nested too deeply
to parse gets an error line, and every line after it is still extracted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.harness.newsroom import statement_for


def test_a_deeply_nested_line_does_not_end_the_batch(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "before", "text": statement_for(0)}),
        '{"id": "deep", "text": "x", "tags": ' + "[" * 1000 + "]" * 1000 + "}",
        '{"id": "deeper", "text": "x", "tags": ' + "[" * 100_000 + "]" * 100_000 + "}",
        json.dumps({"id": "after", "text": statement_for(1)}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "parley", "extract", "--input", str(source), "--output", "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["before", None, None, "after"]
    assert out[1]["error"] == out[2]["error"] == "invalid JSON: nested too deeply to parse"
    assert out[0]["statements"] and out[3]["statements"]
    assert result.stderr.strip().endswith("4 records")
