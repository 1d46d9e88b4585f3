"""Elasticsearch client construction and health checks.

The Elasticsearch test distribution has no ``GET /`` (rest-root module), so ``ping()``/``info()``
fail there: health is read from ``_cluster/health`` instead.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from parley.config import ElasticsearchSettings


def make_client(settings: ElasticsearchSettings, **extra: Any) -> Elasticsearch:
    return Elasticsearch(**{**settings.client_kwargs(), **extra})


def cluster_health(client: Elasticsearch, timeout: str = "5s") -> dict[str, Any]:
    """``_cluster/health`` as a dict; raises the client's connection errors when unreachable."""
    response = client.cluster.health(timeout=timeout)
    return dict(response.body)


def is_healthy(client: Elasticsearch) -> bool:
    try:
        return cluster_health(client).get("status") in ("green", "yellow")
    except (TransportError, ApiError):
        return False
