"""feedparser's own test corpus (shipped in its sdist), served the way feedparser's test runner
serves it: each file with the HTTP headers written in its ``Header:`` comment lines."""

from __future__ import annotations

import mimetypes
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import feedparser

from support.feedserver import Reply, ScriptedServer, Seen

HEADER_LINE = re.compile(rb"^Header:\s+([^:]+):(.+)$", re.MULTILINE)


def corpus_dir(cache: Path) -> Path:
    """The ``tests/`` folder of the installed feedparser version's sdist (downloaded once)."""
    version = feedparser.__version__
    root = cache / f"feedparser-{version}"
    tests = root / "tests"
    if tests.is_dir():
        return tests
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--quiet",
            "-d",
            str(cache),
            f"feedparser=={version}",
        ],
        check=True,
        timeout=300,
    )
    archive = cache / f"feedparser-{version}.tar.gz"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(f"feedparser-{version}/tests/")]
        tar.extractall(cache, members=members, filter="data")
    return tests


def corpus_files(tests: Path) -> list[Path]:
    return sorted(p for p in tests.rglob("*") if p.is_file() and p.suffix != ".py")


def reply_for(path: Path, tests: Path, base_url: str) -> tuple[int, dict[str, str], bytes]:
    blob = path.read_bytes()
    rel = path.relative_to(tests).as_posix()
    if rel.startswith("compression/"):
        encoding = "gzip" if path.suffix == ".gz" else "deflate"
        return 200, {"Content-Encoding": encoding, "Content-Type": "application/xml"}, blob
    headers = {
        k.decode().strip(): v.decode().strip().replace("http://localhost:8097", base_url)
        for k, v in HEADER_LINE.findall(blob)
    }
    status = int(headers.pop("Status", "200"))
    headers.setdefault("Content-type", mimetypes.guess_type(path.name)[0] or "application/xml")
    return status, headers, blob


def serve_corpus(server: ScriptedServer, tests: Path) -> dict[str, Path]:
    """Route every corpus file at ``/tests/<relative path>``; returns url → file."""
    base = server.url("")
    urls = {}
    for path in corpus_files(tests):
        status, headers, blob = reply_for(path, tests, base)
        route = "/tests/" + path.relative_to(tests).as_posix()

        def answer(
            seen: Seen, status: int = status, headers: dict[str, str] = headers, blob: bytes = blob
        ) -> Reply:
            etag, modified = headers.get("ETag"), headers.get("Last-Modified")
            if (etag and seen.headers.get("if-none-match") == etag) or (
                modified and seen.headers.get("if-modified-since") == modified
            ):
                return Reply(304)
            return Reply(status, blob if status not in (301, 302, 303, 304, 307) else b"", headers)

        server.route_fn(route, answer)
        urls[server.url(route)] = path
    server.route("/-/return-304.xml", Reply(304, headers={"Content-type": "text/xml"}))
    return urls
