"""Prometheus metrics of the pipeline worker (served by ``parley.metrics.serve_metrics``).

They live in the default registry of the process that runs the Beam workers: the whole job with
the embedded runner, each SDK harness on a distributed runner.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECORDS_IN = Counter(
    "parley_pipeline_records_total", "Kafka records read by the pipeline", ["topic"]
)
DEAD_LETTERS = Counter(
    "parley_pipeline_dead_letters_total", "Records sent to the dead-letter topic", ["reason"]
)
DOCUMENTS = Counter(
    "parley_pipeline_documents_total",
    "Documents written to Elasticsearch, by index and outcome (created, exists, failed)",
    ["index", "outcome"],
)
BULK_REQUESTS = Counter("parley_pipeline_bulk_requests_total", "Bulk requests sent")
BULK_RETRIES = Counter("parley_pipeline_bulk_retries_total", "Bulk retries, by cause", ["reason"])
BULK_ERRORS = Counter(
    "parley_pipeline_bulk_errors_total", "Documents Elasticsearch rejected for good"
)
HOOK_FAILURES = Counter(
    "parley_pipeline_hook_failures_total", "Failed post-index hook calls (retried)"
)
COMMIT_FAILURES = Counter(
    "parley_pipeline_commit_failures_total",
    "Offset commits that failed (the records are read again; parley status shows stuck offsets)",
)
OFFSETS_COMMITTED = Gauge(
    "parley_pipeline_committed_offset",
    "Last committed offset (next to read) per partition",
    ["topic", "partition"],
)
CONSUMER_LAG = Gauge(
    "parley_pipeline_consumer_lag",
    "Records between the reader's position and the partition end, from the last fetch",
    ["topic", "partition"],
)
PRODUCE_TO_STORED = Histogram(
    "parley_pipeline_produce_to_stored_seconds",
    "From the Kafka record timestamp to Elasticsearch acknowledging its documents",
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0, 60.0),
)
ASSIGNED_PARTITIONS = Gauge(
    "parley_pipeline_assigned_partitions",
    "Partitions the consumer group assigned to this pipeline process (group assignment)",
)
REBALANCE_PAUSE = Histogram(
    "parley_pipeline_rebalance_pause_seconds",
    "From a rebalance revoking this process's partitions to its run over the new assignment",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0),
)
