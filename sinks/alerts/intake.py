"""What a subscription may hold, checked on the way in (pure: no client, no I/O).

Subscriptions come from API users and the command line; their text reaches e-mail headers,
Slack messages and logs, and their query runs against every new batch of statements.  So,
whenever one is created or changed, ``intake_problems`` checks it against
``alerts.subscriptions`` (``SubscriptionLimits``): no control, line-separator or bidirectional
characters in names, filter values, addresses, URLs and the owner; lengths and counts bounded;
the query bounded and not too expensive (``querycost``); imported ids a plain token.

Stored subscriptions are read back without these checks, so that tightening a limit never
makes existing subscriptions unreadable; the channels render every value safely anyway.
"""

from __future__ import annotations

from parley.safe_text import is_unsafe_char
from sinks.alerts.config import SubscriptionLimits
from sinks.alerts.models import (
    SUBSCRIPTION_ID,
    EmailChannel,
    Subscription,
    SubscriptionSpec,
    WebhookChannel,
)
from sinks.alerts.querycost import cost_problems

MAX_NAME_CHARS = 200
MAX_VALUE_CHARS = 200
MAX_URL_CHARS = 2048
MAX_ADDRESS_CHARS = 254
MAX_OWNER_CHARS = 100


def _bad_chars(text: str, allowed: str = "") -> str | None:
    """The first forbidden character of ``text`` as ``U+XXXX``, or None."""
    for char in text:
        if char not in allowed and (is_unsafe_char(char) or "\ud800" <= char <= "\udfff"):
            return f"U+{ord(char):04X}"
    return None


def _text(where: str, value: str, limit: int, problems: list[str], allowed: str = "") -> None:
    bad = _bad_chars(value, allowed)
    if bad:
        problems.append(f"{where}: contains a control or line-break character ({bad})")
    if len(value) > limit:
        problems.append(f"{where}: {len(value)} characters, at most {limit}")


def query_cost_problems(sub: SubscriptionSpec, limits: SubscriptionLimits) -> list[str]:
    """Why ``sub``'s query is too expensive to run on every batch (empty: it is not)."""
    if sub.query is None:
        return []
    return cost_problems(
        sub.query,
        allow_leading_wildcard=limits.allow_leading_wildcard,
        max_regexps=limits.max_regexps,
        max_wildcard_terms=limits.max_wildcard_terms,
    )


def intake_problems(sub: SubscriptionSpec, limits: SubscriptionLimits) -> list[str]:
    """Everything wrong with ``sub``'s fields as input, one line each (empty: acceptable)."""
    problems: list[str] = []
    _text("name", sub.name, MAX_NAME_CHARS, problems)
    if sub.owner is not None:
        _text("owner", sub.owner, MAX_OWNER_CHARS, problems)
    if isinstance(sub, Subscription) and not SUBSCRIPTION_ID.match(sub.subscription_id):
        problems.append("subscription_id: 1 to 128 letters, digits, '-' or '_'")
    if sub.query is not None:
        _text("query", sub.query, limits.max_query_chars, problems, allowed="\t\n\r")
    filters = sub.filters
    for name in ("speakers", "countries", "categories", "stances", "outlets", "languages"):
        values: list[str] = list(getattr(filters, name))
        if len(values) > limits.max_filter_values:
            problems.append(
                f"filters.{name}: {len(values)} values, at most {limits.max_filter_values}"
            )
        for i, value in enumerate(values[: limits.max_filter_values]):
            _text(f"filters.{name}[{i}]", value, MAX_VALUE_CHARS, problems)
    if len(sub.channels) > limits.max_channels:
        problems.append(f"channels: {len(sub.channels)}, at most {limits.max_channels}")
    for i, channel in enumerate(sub.channels[: limits.max_channels]):
        where = f"channels[{i}]"
        if isinstance(channel, EmailChannel):
            if len(channel.to) > limits.max_recipients:
                problems.append(
                    f"{where}.to: {len(channel.to)} addresses, at most {limits.max_recipients}"
                )
            for j, address in enumerate(channel.to[: limits.max_recipients]):
                _text(f"{where}.to[{j}]", address, MAX_ADDRESS_CHARS, problems)
        else:
            _text(f"{where}.url", channel.url, MAX_URL_CHARS, problems)
            if isinstance(channel, WebhookChannel) and channel.secret is not None:
                _text(f"{where}.secret", channel.secret, MAX_OWNER_CHARS, problems)
    return problems
