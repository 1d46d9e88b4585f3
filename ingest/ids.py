"""Canonical article URLs and the article id derived from them (DESIGN.md: "Article id").

The id is the first 32 hex digits (128 bits) of SHA-256 over the canonical URL: stable across
processes and releases, and short enough for Kafka keys and Elasticsearch ``_id``.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

import courlan


class InvalidUrlError(ValueError):
    """The URL cannot be canonicalised (not http/https, no host, …)."""


def canonical_url(url: str) -> str:
    """courlan normalisation (lower-case host, default port, sorted query, tracking parameters
    such as utm_* and fbclid removed), without the fragment, which never names another article."""
    stripped = url.strip()
    parts = urlsplit(stripped)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidUrlError(f"not an http(s) URL: {url!r}")
    try:
        normalised = str(courlan.normalize_url(stripped))
    except Exception as exc:  # courlan raises assorted errors on exotic input
        raise InvalidUrlError(f"cannot normalise URL {url!r}: {exc}") from exc
    scheme, netloc, path, query, _ = urlsplit(normalised)
    return urlunsplit((scheme, netloc, path or "/", query, ""))


def article_id(url: str) -> str:
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:32]
