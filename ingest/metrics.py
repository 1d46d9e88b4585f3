"""Prometheus metrics of the feed poller (registered once per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

POLLS = Counter(
    "parley_poller_polls_total",
    "Feed polls by outcome: 200 (new content), not_modified (304), unchanged (same body), "
    "or the error kind (timeout, blocked, http_404, not_a_feed, ...).",
    ["outcome"],
)
ARTICLES_PRODUCED = Counter(
    "parley_poller_articles_produced_total", "Article records acknowledged by Kafka."
)
EXTRACTION_FAILURES = Counter(
    "parley_poller_extraction_failures_total",
    "Articles whose text fell back to the feed summary, by reason.",
    ["reason"],
)
ENTRIES_SKIPPED = Counter(
    "parley_poller_entries_skipped_total",
    "Feed entries that cannot become an article (no http(s) link, invalid URL).",
    ["reason"],
)
PRODUCE_RETRIES = Counter(
    "parley_poller_produce_retries_total", "Kafka deliveries retried after an error."
)
FEED_REPORTS = Counter(
    "parley_poller_feed_reports_total",
    "Feeds reported unhealthy: failing (N consecutive failures), silent, disabled (410).",
    ["kind"],
)
FEEDS_ASSIGNED = Gauge("parley_poller_feeds_assigned", "Feeds this worker polls.")
STORE_WRITE_ERRORS = Counter(
    "parley_poller_store_write_errors_total",
    "Writes to the poller's state store that failed (disk full, I/O error), by table; the "
    "poller carries on from memory.",
    ["table"],
)
DEAD_LETTERS = Counter(
    "parley_poller_dead_letters_total",
    "Inputs the poller sent to the dead-letter topic (a feed record or an entry it cannot use), "
    "by reason.",
    ["reason"],
)
