"""Subscriptions are checked on the way in: their text, their sizes and their query's cost;
Elasticsearch's query errors are told in parley's words."""

from __future__ import annotations

from typing import Any

import pytest

from parley.query_errors import explain_query_error
from sinks.alerts.config import SubscriptionLimits
from sinks.alerts.intake import intake_problems, query_cost_problems
from sinks.alerts.models import Subscription, SubscriptionSpec
from sinks.alerts.querycost import query_cost

LIMITS = SubscriptionLimits()


def spec(**kw: Any) -> SubscriptionSpec:
    base: dict[str, Any] = {
        "name": "talks",
        "query": "triggers.category:negotiations",
        "channels": [{"type": "email", "to": ["desk@example.org"]}],
    }
    return SubscriptionSpec.model_validate({**base, **kw})


@pytest.mark.parametrize(
    ("query", "leading", "regexps", "wildcards"),
    [
        ("quote.text:/.*a.*b.*c.*/", 0, 1, 0),
        ("*a*b*c*d*e*", 1, 0, 1),
        ("-?alks~2^3 AND talk*", 1, 0, 2),
        ('quote.text:"*not a wildcard*" AND negotiat?', 0, 0, 1),
        ("published_at:[* TO now-1d] AND speaker.name:* AND *:*", 0, 0, 0),
        (r"a\*b AND x:/a\/b/ AND path/to/x", 0, 2, 0),
        ("(ceasefire OR truce) AND speaker.country:RU AND f*:talks", 0, 0, 0),
    ],
)
def test_query_cost_reads_lucene_syntax(
    query: str, leading: int, regexps: int, wildcards: int
) -> None:
    cost = query_cost(query)
    assert (len(cost.leading_wildcards), len(cost.regexps), len(cost.wildcard_terms)) == (
        leading,
        regexps,
        wildcards,
    )


def test_expensive_queries_are_refused_with_the_reason() -> None:
    (leading,) = query_cost_problems(spec(query="*a*b*c*d*e*"), LIMITS)
    assert "may not start with a wildcard ('*a*b*c*d*e*')" in leading
    (regexp,) = query_cost_problems(spec(query="quote.text:/.*a.*b.*c.*/"), LIMITS)
    assert regexp.startswith("regular expressions are not allowed")
    many = " OR ".join(f"w{i}*" for i in range(6))
    assert query_cost_problems(spec(query=many), LIMITS) == [
        "6 wildcard terms; at most 5 per subscription"
    ]
    assert query_cost_problems(spec(query="negotiat* AND speaker.name:Peskov"), LIMITS) == []
    lenient = SubscriptionLimits(allow_leading_wildcard=True, max_regexps=1)
    assert query_cost_problems(spec(query="*war OR /tr.ce/"), lenient) == []


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"name": "hi\r\nBcc: evil@example.org"}, "name: contains a control or line-break"),
        ({"name": "a\u2028b"}, "(U+2028)"),
        ({"name": "a\u202eb"}, "(U+202E)"),
        ({"filters": {"speakers": ["Pes\x00kov"]}}, "filters.speakers[0]: contains"),
        ({"filters": {"outlets": ["x"] * 101}}, "filters.outlets: 101 values, at most 100"),
        ({"query": "a" * 4001}, "query: 4001 characters, at most 4000"),
        ({"query": "a\x00b"}, "query: contains"),
        ({"channels": [{"type": "email", "to": ["a\x00b@example.org"]}]}, "channels[0].to[0]"),
        (
            {"channels": [{"type": "email", "to": [f"d{i}@example.org" for i in range(51)]}]},
            "51 addresses, at most 50",
        ),
        (
            {"channels": [{"type": "webhook", "url": "https://example.org/" + "a" * 2100}]},
            "channels[0].url: 2120 characters",
        ),
        ({"owner": "x\ny"}, "owner: contains"),
    ],
)
def test_fields_are_checked_on_the_way_in(fields: dict[str, Any], problem: str) -> None:
    problems = intake_problems(spec(**fields), LIMITS)
    assert any(problem in p for p in problems), problems


def test_an_ordinary_subscription_passes_and_newlines_in_a_query_are_fine() -> None:
    assert intake_problems(spec(query="ceasefire\nAND speaker.country:RU"), LIMITS) == []
    assert intake_problems(spec(name="Песков о переговорах — «да»"), LIMITS) == []


def test_imported_ids_are_plain_tokens() -> None:
    base = {**spec().model_dump(), "owner": "desk"}
    sub = Subscription.model_validate({**base, "subscription_id": "a" * 129})
    assert "subscription_id: 1 to 128 letters" in intake_problems(sub, LIMITS)[0]
    ok = Subscription.model_validate({**base, "subscription_id": "imp-01_x"})
    assert intake_problems(ok, LIMITS) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "[parley-statements/7rVp1v5qS26PoWXXWVGeHQ] org.elasticsearch.index.query."
            "QueryShardException: Failed to parse query [quote.text:(]; org.apache.lucene."
            "queryparser.classic.ParseException: Cannot parse 'quote.text:(': Encountered "
            '"<EOF>" at line 1, column 12.\nWas expecting one of:\n    <NOT> ...\n',
            "syntax error at column 12: the query ends too early (an unclosed parenthesis or "
            "range, or an operator without a term?)",
        ),
        (
            'Cannot parse \'a OR OR b\': Encountered " <OR> "OR "" at line 1, column 5.\n'
            "Was expecting one of:",
            "syntax error at column 5: unexpected 'OR'",
        ),
        (
            "Cannot parse 'a AND \"x': Lexical error at line 1, column 9.  Encountered: <EOF> "
            'after prefix "\\"x" (in lexical state 2)',
            'syntax error at column 9: a quote (") is not closed',
        ),
        (
            "[p-statements/7rVp1v5qS26PoWXXWVGeHQ] org.elasticsearch.index.query."
            "QueryShardException: failed to create query: failed to parse date field [notadate]"
            " with format [strict_date_optional_time||epoch_millis]",
            "'notadate' is not a date: use ISO 8601 (2026-12-06, 2026-12-06T10:00:00Z), date "
            "math (now-7d) or epoch milliseconds",
        ),
        (
            "[p-statements/7rVp1v5qS26PoWXXWVGeHQ] org.elasticsearch.index.query."
            "QueryShardException: failed to create query: Can't parse boolean value [maybe], "
            "expected [true] or [false]; java.lang.IllegalArgumentException: Can't parse "
            "boolean value [maybe], expected [true] or [false]",
            "Can't parse boolean value [maybe], expected [true] or [false]",
        ),
    ],
)
def test_query_errors_in_parley_s_words(raw: str, expected: str) -> None:
    text = explain_query_error(raw)
    assert text == expected
    assert "Exception" not in text and "7rVp1v5q" not in text
