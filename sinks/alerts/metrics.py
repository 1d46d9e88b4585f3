"""Prometheus metrics of the alerting sink (exposed by ``parley.metrics.serve_metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ALERTS_MATCHED = Counter(
    "parley_alerts_matched_total", "Alerts created by the matcher (new alert ids only)"
)
MATCH_SECONDS = Histogram(
    "parley_alert_matching_seconds",
    "Time to match one batch of statements against all subscriptions",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SUBSCRIPTIONS_SEARCHED = Histogram(
    "parley_alert_subscriptions_searched",
    "Subscriptions sent to Elasticsearch per batch after the structured prefilter",
    buckets=(0, 10, 100, 1000, 5000, 10000, 50000),
)
DELIVERIES = Counter(
    "parley_alert_deliveries_total",
    "Alert and digest deliveries by channel and outcome",
    ["channel", "outcome"],
)
DELIVERY_ATTEMPTS = Counter(
    "parley_alert_delivery_attempts_total", "HTTP/SMTP attempts, retries included", ["channel"]
)
DELIVERY_LATENCY = Histogram(
    "parley_alert_delivery_latency_seconds",
    "From 'statement indexed' to 'alert delivered' (immediate mode)",
    ["channel"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
DEAD_LETTERS = Counter(
    "parley_alert_dead_letters_total",
    "Records the dispatcher sent to the dead-letter topic",
    ["reason"],
)
COMMITTED_OFFSET = Gauge(
    "parley_alert_dispatcher_committed_offset",
    "Last offset the dispatcher committed (next record to read), per partition",
    ["topic", "partition"],
)
COMMIT_FAILURES = Counter(
    "parley_alert_dispatcher_commit_failures_total",
    "Offset commits of the dispatcher that failed (the offsets are committed later)",
)
COMMIT_FAILURES_CONSECUTIVE = Gauge(
    "parley_alert_dispatcher_commit_failures_consecutive",
    "Offset commits that failed in a row since the last successful one (parley status reads it)",
)
LAST_COMMIT = Gauge(
    "parley_alert_dispatcher_last_commit_timestamp_seconds",
    "When the dispatcher last committed offsets successfully (Unix time)",
)
CONSUMER_LAG = Gauge(
    "parley_alert_dispatcher_consumer_lag",
    "Alert records behind the end of each partition this dispatcher reads, from its last "
    "fetch (reported once the partition has delivered records since it was assigned)",
    ["topic", "partition"],
)
HANDLING_RETRIES = Counter(
    "parley_alert_dispatcher_handling_retries_total",
    "Alert records whose handling is retried because a service (Kafka, Elasticsearch) failed",
)
API_REQUESTS = Counter(
    "parley_api_requests_total",
    "Requests to the subscriptions API, by method, route template and status",
    ["method", "route", "status"],
)
API_REQUEST_SECONDS = Histogram(
    "parley_api_request_duration_seconds",
    "Time to answer a request to the subscriptions API, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
API_AUTH_FAILURES = Counter(
    "parley_api_auth_failures_total",
    "API requests refused for a missing or invalid token",
    ["reason"],
)
