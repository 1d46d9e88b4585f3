"""Summarise py-spy samples (``--format raw``: one collapsed stack per line with its count) into
the top frames of one worker: where its CPU time goes, short enough to commit and read."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_SITE = re.compile(r".*/(?:site-packages|lib/python3\.\d+)/")


def _short(frame: str) -> str:
    """``func (path/to/module.py:123)`` → ``module.py:func`` with the path after site-packages
    (or the repository) kept, so frames are comparable across machines."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = _SITE.sub("", match.group("file"))
    for marker in ("/ingest/", "/pipeline/", "/sinks/", "/parley/", "/benchmarks/"):
        if marker in path:
            path = marker.strip("/") + "/" + path.split(marker, 1)[1]
            break
    return f"{path}:{match.group('func')}"


# A frame counts as a "stage" when it belongs to one of these (inclusive time).
STAGE_PREFIXES = (
    "ingest/",
    "pipeline/",
    "sinks/",
    "trafilatura/",
    "feedparser/",
    "htmldate/",
    "courlan/",
    "justext/",
    "lxml/",
    "kafka/",
    "elasticsearch/",
    "elastic_transport/",
    "httpx/",
    "httpcore/",
    "pydantic/",
    "py3langid/",
    "json/",
    "sqlite3/",
)
# Frames that say which worker it is rather than what it does: left out of the inclusive list.
ENTRY_POINTS = (
    "ingest/cli.py:",
    "ingest/runner.py:run_poller",
    "pipeline/cli.py:",
    "pipeline/beam/app.py:run",
    "sinks/alerts/cli.py:",
    "sinks/alerts/dispatcher.py:run_dispatcher",
)


def summarise(raw: Path, top: int = 15) -> dict[str, object]:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_short(f) for f in stack.split(";")]
        self_time[frames[-1]] += count
        for frame in set(frames):
            if frame.startswith(STAGE_PREFIXES) and not frame.startswith(ENTRY_POINTS):
                inclusive[frame] += count
    return {
        "samples": total,
        "top_self": [
            {"frame": f, "share": round(n / total, 3)} for f, n in self_time.most_common(top)
        ]
        if total
        else [],
        "top_inclusive": [
            {"frame": f, "share": round(n / total, 3)} for f, n in inclusive.most_common(top)
        ]
        if total
        else [],
    }


def render(role: str, summary: dict[str, object], seconds: float, rate: int) -> str:
    samples = int(summary["samples"])  # type: ignore[call-overload]
    lines = [
        f"## {role}: {samples} samples at {rate} Hz over {seconds:.0f} s "
        f"(≈ {samples / rate / seconds:.2f} threads busy on average; py-spy leaves idle threads "
        "out, but a thread waiting for the GIL counts as busy)",
        "",
        "self time (the function on top of the stack):",
    ]
    for item in summary["top_self"]:  # type: ignore[attr-defined]
        lines.append(f"  {item['share'] * 100:5.1f}%  {item['frame']}")
    lines += ["", "inclusive time (anywhere on the stack; project code and main libraries):"]
    for item in summary["top_inclusive"]:  # type: ignore[attr-defined]
        lines.append(f"  {item['share'] * 100:5.1f}%  {item['frame']}")
    return "\n".join(lines) + "\n"
