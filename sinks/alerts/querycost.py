"""How expensive a subscription's Lucene query is, read from the query string (pure).

Every batch of new statements runs every subscription's query, so a subscription's cost is
paid again and again.  Two kinds of term are what makes a query string expensive in
Elasticsearch: a term that *starts* with a wildcard (``*war``, ``?alks``) and a regular
expression (``/.*a.*b.*/``) — both are expanded over the term dictionary, term by term, with
no index to start from.  ``query_cost`` finds them (and counts the other wildcard terms) with
the tokenisation rules of Lucene's classic query parser, which ``query_string`` uses: a
backslash escapes the next character, quoted phrases and ranges (``[a TO b]``, ``{a TO b}``)
hold no wildcards, a term followed by ``:`` is a field name, ``*`` alone means "any value",
and a ``/`` starts a regular expression that runs to the next unescaped ``/``.

``SubscriptionStore`` refuses a query beyond ``alerts.subscriptions`` limits when the
subscription is created or changed, with the reason in these words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Characters that end a term in the classic query parser (besides whitespace).
_TERM_END = frozenset('()[]{}:^~"+!&|/')


@dataclass
class QueryCost:
    leading_wildcards: list[str] = field(default_factory=list)
    regexps: list[str] = field(default_factory=list)
    wildcard_terms: list[str] = field(default_factory=list)  # leading wildcards included


def query_cost(query: str) -> QueryCost:
    cost = QueryCost()
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char == "\\":
            i += 2
        elif char == '"':
            i = _skip_until(query, i + 1, '"')
        elif char in "[{":
            i = _skip_until(query, i + 1, "]}")
        elif char == "/":
            end = _skip_until(query, i + 1, "/")
            if end <= n and query[end - 1 : end] == "/" and end - 1 > i:
                cost.regexps.append(query[i:end])
            i = end
        elif char.isspace() or char in _TERM_END:
            i += 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in _TERM_END:
                i += 2 if query[i] == "\\" else 1
            term = query[start:i]
            if query[i : i + 1] == ":" or term in ("*", "-", "AND", "OR", "NOT", "&&", "||"):
                continue  # a field name, "any value", or an operator
            if _has_wildcard(term.lstrip("-")):
                cost.wildcard_terms.append(term)
                if term.lstrip("-")[:1] in ("*", "?"):
                    cost.leading_wildcards.append(term)
    return cost


def _skip_until(query: str, i: int, closers: str) -> int:
    """Index just past the next unescaped character of ``closers`` (or the end)."""
    n = len(query)
    while i < n:
        if query[i] == "\\":
            i += 2
            continue
        if query[i] in closers:
            return i + 1
        i += 1
    return n


def _has_wildcard(term: str) -> bool:
    escaped = False
    for char in term:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "*?":
            return True
    return False


def cost_problems(
    query: str, *, allow_leading_wildcard: bool, max_regexps: int, max_wildcard_terms: int
) -> list[str]:
    """What makes ``query`` too expensive under these limits, in words for the subscriber."""
    cost = query_cost(query)
    problems = []
    if cost.leading_wildcards and not allow_leading_wildcard:
        terms = ", ".join(repr(t) for t in cost.leading_wildcards[:3])
        problems.append(
            f"a term may not start with a wildcard ({terms}): it is compared with every word "
            "ever indexed; put at least one letter first (talk*), or use a phrase"
        )
    if len(cost.regexps) > max_regexps:
        terms = ", ".join(repr(t) for t in cost.regexps[:3])
        allowed = "are not allowed" if max_regexps == 0 else f"are limited to {max_regexps}"
        problems.append(
            f"regular expressions {allowed} in subscriptions ({terms}); "
            "use words, phrases or trailing wildcards (negotiat*)"
        )
    if len(cost.wildcard_terms) > max_wildcard_terms:
        problems.append(
            f"{len(cost.wildcard_terms)} wildcard terms; at most {max_wildcard_terms} "
            "per subscription"
        )
    return problems
