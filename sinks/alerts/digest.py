"""Digests: alerts of digest-mode subscriptions (and alerts deferred by the rate limit) wait in
``parley-alerts`` with a ``due_at`` time; at that time one message carries all of them.

Windows are aligned to UTC hours or days, so every dispatcher computes the same ``due_at``.  Several
dispatchers may look for due digests at once; each alert is *claimed* with an optimistic-concurrency
update (``if_seq_no``), so one digest goes out once.  A claim left behind by a dispatcher that died
is taken over after ``digest_claim_timeout`` seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sinks.alerts.models import Alert

PENDING = ("digest_pending", "deferred")


def window_end(period: Literal["hourly", "daily"], now: datetime) -> datetime:
    """End of the UTC hour or day that contains ``now`` (the moment the digest is due)."""
    now = now.astimezone(UTC)
    if period == "hourly":
        return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def window_start(period: Literal["hourly", "daily"], end: datetime) -> datetime:
    return end - (timedelta(hours=1) if period == "hourly" else timedelta(days=1))


def due_query(now: datetime, claim_timeout: float) -> dict[str, Any]:
    stale = now - timedelta(seconds=claim_timeout)
    return {
        "bool": {
            "should": [
                {
                    "bool": {
                        "filter": [
                            {"terms": {"status": list(PENDING)}},
                            {"range": {"due_at": {"lte": now.isoformat()}}},
                        ]
                    }
                },
                {
                    "bool": {
                        "filter": [
                            {"term": {"status": "digest_sending"}},
                            {"range": {"claimed_at": {"lte": stale.isoformat()}}},
                        ]
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def group_by_subscription(alerts: Sequence[Alert]) -> dict[str, list[Alert]]:
    groups: dict[str, list[Alert]] = defaultdict(list)
    for alert in sorted(alerts, key=lambda a: (a.subscription_id, a.created_at, a.alert_id)):
        groups[alert.subscription_id].append(alert)
    return dict(groups)


def claimed_alerts(
    hits: Sequence[Mapping[str, Any]], bulk_items: Sequence[Mapping[str, Any]]
) -> list[Alert]:
    """The hits whose claim (conditional update) succeeded."""
    out = []
    for hit, item in zip(hits, bulk_items, strict=True):
        if int(item["update"].get("status", 500)) == 200:
            out.append(Alert.model_validate(hit["_source"]))
    return out
