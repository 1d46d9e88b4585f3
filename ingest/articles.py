"""Article text extraction: trafilatura for title, text and author, htmldate (through
trafilatura's metadata) for the publication date, the page's declared language or py3langid.

Pure: bytes and headers in, ``ExtractedArticle`` out, or ``ExtractionError`` with a short reason
(the poller then falls back to the feed's summary and records why).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import trafilatura

from ingest.lxml_lock import LXML_LOCK

HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain")
MIN_TEXT_CHARS = 1
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$", re.IGNORECASE)
_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)")


class ExtractionError(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class ExtractedArticle:
    title: str | None
    text: str
    author: str | None
    published: datetime | None
    language: str | None


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_content_type(content_type: str | None) -> None:
    """Only HTML-like pages are extracted; a missing type is given the benefit of the doubt."""
    kind = media_type(content_type)
    if kind and kind not in HTML_TYPES:
        raise ExtractionError("content_type", f"not a web page: {kind}")


def decode_body(body: bytes, content_type: str | None) -> str | bytes:
    """Text decoded with the HTTP charset when it names a real codec; otherwise the bytes, and
    trafilatura detects the encoding from the page (meta charset, then statistics)."""
    match = _CHARSET.search(content_type or "")
    if match:
        try:
            codec = codecs.lookup(match.group(1)).name
        except LookupError:
            return body
        return body.decode(codec, errors="replace")
    return body


def _published(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def detect_language(text: str) -> str | None:
    try:
        import py3langid

        lang, _score = py3langid.classify(text[:1500])
    except Exception:  # noqa: BLE001 - language id is a nicety; never fail an article for it
        return None
    return str(lang) if lang else None


def load_language_model() -> None:
    """Load py3langid's model now (a few seconds of CPU, decompressing it) rather than inside
    the first article's extraction, where it delays that article and, with several extraction
    threads starting at once, is loaded by each of them."""
    detect_language("warm-up")


def normalise_language(value: str | None) -> str | None:
    if not value or not _LANG.match(value.strip()):
        return None
    return value.strip().split("-")[0].split("_")[0].lower()


def extract_article(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    fast: bool = True,
    with_metadata: bool = True,
) -> ExtractedArticle:
    """``fast`` skips trafilatura's fallback extractors (readability, jusText), which run on
    every page and cost about a third of the time, for 1 % less text on news pages
    (``benchmarks/extraction.py`` measures both modes against ground truth).

    ``with_metadata=False`` skips the page's metadata (title, author, date: trafilatura and
    htmldate read the whole tree for them), about a third of the time again; the caller then
    has them from elsewhere (the feed) and gets ``None`` here."""
    check_content_type(content_type)
    if not body.strip():
        raise ExtractionError("empty", "empty body")
    html = decode_body(body, content_type)
    # Trees live and die inside the lock (see ingest.lxml_lock): only strings leave it.
    failure: str | None = None
    with LXML_LOCK:
        try:
            document = trafilatura.bare_extraction(
                html,
                url=url,
                with_metadata=with_metadata,
                include_comments=False,  # reader comments are not the article, and cost time
                fast=fast,
            )
            fields = _plain_fields(document)
            del document
        except Exception as exc:  # noqa: BLE001 - trafilatura/lxml raise assorted errors
            # the message only: the traceback's frames hold trees, freed here with it
            failure, fields = f"{type(exc).__name__}: {exc}", None
    if failure is not None:
        raise ExtractionError("extractor_crash", failure)
    if fields is None:
        raise ExtractionError("no_text", "trafilatura found no main text")
    text = (fields.get("text") or "").strip()
    if len(text) < MIN_TEXT_CHARS:
        raise ExtractionError("no_text", "trafilatura found no main text")
    declared = _HTML_LANG.search(body[:4096])
    language = (
        normalise_language(fields.get("language"))
        or normalise_language(declared.group(1).decode("ascii") if declared else None)
        or detect_language(text)
    )
    return ExtractedArticle(
        title=fields.get("title") or None,
        text=text,
        author=fields.get("author") or None,
        published=_published(fields.get("date")),
        language=language,
    )


_FIELDS = ("text", "title", "author", "date", "language")


def _plain_fields(document: Any) -> dict[str, Any] | None:
    """The fields read from trafilatura's result, as plain values (its document also holds lxml
    elements, which must not outlive the lock)."""
    if document is None:
        return None
    fields = document if isinstance(document, dict) else document.as_dict()
    return {name: fields.get(name) for name in _FIELDS}
