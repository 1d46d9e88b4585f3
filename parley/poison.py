"""The poison policy, the same for every worker: what is retried and what is dead-lettered.

An input (a Kafka record, an alert, a feed entry, a line given to ``parley extract``) fails in
one of two ways, and the way decides its fate:

- **infrastructure** — Kafka, Elasticsearch or the network is unavailable, overloaded or too
  slow: the input is *retried*, and nothing after it is committed until it is stored;
- **everything else** — a bad value, an exception from parsing, rendering or a channel's own
  validation, a bug one input triggers: retrying cannot fix it, so the input goes to the
  dead-letter topic with its reason (``parley.deadletter.DeadLetter``), its offset moves on, the
  worker's ``…_dead_letters_total{reason}`` metric counts it, and the worker keeps running.

No worker exits because of one input.  ``is_transient`` draws the line; the exception hierarchy::

    TransientError        raised by parley code for "the service failed, not the input"
    kafka.errors.KafkaError, elasticsearch.TransportError, httpx.TransportError, OSError,
    TimeoutError          infrastructure
    elasticsearch.ApiError
        408, 429, 5xx, 401/403 (credentials, blocks), 404 (index missing), cluster and index
        blocks, a closed index                                         infrastructure
        any other 4xx (a document Elasticsearch refuses)               the input's
    anything else                                                      the input's

An exception counts as infrastructure when it or one of its causes (``raise … from``) is.
"""

from __future__ import annotations

from typing import Any

# Elasticsearch errors that a 400 reports but that say nothing about the request's content.
_ES_INFRASTRUCTURE_TYPES = frozenset(
    {
        "cluster_block_exception",
        "index_closed_exception",
        "index_not_found_exception",
        "no_shard_available_action_exception",
        "unavailable_shards_exception",
        "circuit_breaking_exception",
        "es_rejected_execution_exception",
        "node_not_connected_exception",
        "master_not_discovered_exception",
    }
)
_MAX_CAUSES = 10


class TransientError(RuntimeError):
    """A service (Kafka, Elasticsearch, SMTP, a receiver's network) failed, not the input:
    retry later."""


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` (or a cause of it) is an infrastructure error worth retrying."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < _MAX_CAUSES:
        if _transient_itself(current):
            return True
        current = current.__cause__
        seen += 1
    return False


def _transient_itself(exc: BaseException) -> bool:
    if isinstance(exc, TransientError | TimeoutError | ConnectionError):
        return True
    if isinstance(exc, OSError):  # sockets, TLS, files (a secret file not mounted yet)
        return True
    from elasticsearch import ApiError, TransportError
    from kafka.errors import KafkaError

    if isinstance(exc, KafkaError | TransportError):
        return True
    if isinstance(exc, ApiError):
        return _transient_es_status(exc.meta.status, _es_error_type(exc.body))
    try:
        import httpx
    except ImportError:  # pragma: no cover - a dependency of every worker
        return False
    return isinstance(exc, httpx.TransportError)


def _transient_es_status(status: int, error_type: str | None) -> bool:
    if status in (401, 403, 404, 408, 429) or status >= 500:
        return True
    return error_type in _ES_INFRASTRUCTURE_TYPES


def _es_error_type(body: Any) -> str | None:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            root = error.get("root_cause") or [error]
            first = root[0] if isinstance(root, list) and root else error
            return str(first.get("type")) if isinstance(first, dict) else None
    return None


def describe(exc: BaseException, limit: int = 1000) -> str:
    """``Type: message`` in one line, for a dead letter's reason detail and the logs."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
