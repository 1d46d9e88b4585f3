"""Elasticsearch's explanation of an invalid query, in parley's words.

``indices.validate_query`` explains a refusal with the index name and its UUID, Java exception
classes and the query parser's list of expected tokens.  Subscribers and ``parley search``
users need what is wrong and where: ``explain_query_error`` keeps that, drops the internals,
and words the common cases (a syntax error at a column, an unclosed quote, a value that is not
a date or a boolean).
"""

from __future__ import annotations

import re

_INDEX_PREFIX = re.compile(r"\[[^\]/\s]+/[A-Za-z0-9_\-]{16,}\]\s*")
_JAVA_CLASS = re.compile(r"\b(?:[a-z][a-z0-9_]*\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)\b:?\s*")
_EXPECTING = re.compile(r"\s*Was expecting( one of)?:.*", re.DOTALL)
# JavaCC: Encountered "<EOF>" at line 1, column 12.  /  Encountered " <OR> "OR "" at line …
_ENCOUNTERED_EOF = re.compile(r'Encountered\s+"<EOF>"\s+at line \d+, column (?P<column>\d+)')
_ENCOUNTERED = re.compile(
    r'Encountered\s+"\s*(?P<kind>\S+)\s+"(?P<image>.*?)\s*""\s+at line \d+, column (?P<column>\d+)',
    re.DOTALL,
)
_LEXICAL = re.compile(
    r"Lexical error at line \d+, column (?P<column>\d+)\.\s+Encountered: (?P<what>\S+)"
    r'(?P<after> after (?:prefix )?"(?P<quote>\\")?)?'
)
_DATE = re.compile(r"failed to parse date field \[(?P<value>[^\]]*)\]")
_MAX_CHARS = 300


def explain_query_error(raw: str) -> str:
    """One short sentence for a ``validate_query`` error (or several joined by ``; ``)."""
    text = _INDEX_PREFIX.sub("", raw)
    text = _EXPECTING.sub("", text)
    date = _DATE.search(text)
    if date:
        return (
            f"{date.group('value')!r} is not a date: use ISO 8601 (2026-12-06, "
            "2026-12-06T10:00:00Z), date math (now-7d) or epoch milliseconds"
        )
    lexical = _LEXICAL.search(text)
    if lexical:
        column = lexical.group("column")
        if lexical.group("quote"):
            return f'syntax error at column {column}: a quote (") is not closed'
        return f"syntax error at column {column}: unexpected {lexical.group('what')}"
    eof = _ENCOUNTERED_EOF.search(text)
    if eof:
        return (
            f"syntax error at column {eof.group('column')}: the query ends too early "
            "(an unclosed parenthesis or range, or an operator without a term?)"
        )
    encountered = _ENCOUNTERED.search(text)
    if encountered:
        image = encountered.group("image").strip()
        return f"syntax error at column {encountered.group('column')}: unexpected {image!r}"
    parts: list[str] = []
    for part in text.split(";"):
        part = _JAVA_CLASS.sub("", part).strip()
        part = re.sub(r"^(Failed to parse query|failed to create query):?\s*", "", part).strip()
        if part and part not in parts and not any(part in p for p in parts):
            parts.append(part)
    # The innermost cause comes last and is the most specific.
    message = parts[-1] if parts else "Elasticsearch cannot run this query"
    return message if len(message) <= _MAX_CHARS else message[: _MAX_CHARS - 1] + "…"
