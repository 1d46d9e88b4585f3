"""Untrusted text made safe to show on one line (pure).

Article text, quotes, titles and the names subscribers give reach e-mail headers, chat messages
and terminals.  ``inline`` turns any of it into one line that cannot break out: control
characters (CR, LF, VT, FF, NUL, ESC — which starts a terminal escape sequence —, NEL, the C0
information separators), line and paragraph separators (U+2028/U+2029, which str.splitlines
and mail parsers treat as line breaks) and bidirectional overrides become spaces, runs of
whitespace one space, lone surrogates U+FFFD.
"""

from __future__ import annotations

import unicodedata

# Bidirectional embeddings, overrides and isolates: they reorder what a reader sees.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_unsafe_char(char: str) -> bool:
    """Characters that break a line or change what a reader sees: Cc (C0/C1 controls), Zl/Zp
    (U+2028/U+2029) and the bidirectional controls."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS


def inline(value: str | None) -> str:
    """Untrusted text as one safe line (see the module docstring)."""
    if not value:
        return ""
    if value.isascii() and value.isprintable():
        return value
    out = []
    for char in value:
        if "\ud800" <= char <= "\udfff":
            out.append("\ufffd")
        elif char.isspace() or is_unsafe_char(char):
            out.append(" ")
        else:
            out.append(char)
    return " ".join("".join(out).split())
