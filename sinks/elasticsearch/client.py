"""Elasticsearch client construction and health checks.

The Elasticsearch test distribution has no ``GET /`` (rest-root module), so ``ping()``/``info()``
fail there: health is read from ``_cluster/health`` instead.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import orjson
from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch.serializer import JsonSerializer, NdjsonSerializer

from parley.config import ElasticsearchSettings


def dumps(value: Any) -> bytes:
    """Compact JSON as UTF-8: orjson (several times faster than the standard library on the
    workers' documents), and the standard library for what orjson refuses (a lone surrogate,
    an integer beyond 64 bits, a key that is not a string), so such a value ends as it did
    before: encoded the same way, or refused with the standard library's error."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class FastJsonSerializer(JsonSerializer):
    """The client's JSON through orjson both ways, with the standard library wherever orjson
    refuses: an error that echoes a document's lone surrogate must still be read, or the
    caller would take one bad document for an unreachable Elasticsearch."""

    def json_dumps(self, data: Any) -> bytes:
        try:
            return orjson.dumps(data, default=self.default)
        except TypeError:
            return super().json_dumps(data)

    def json_loads(self, data: bytes) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().json_loads(data)


class FastNdjsonSerializer(FastJsonSerializer, NdjsonSerializer):
    mimetype: ClassVar[str] = "application/x-ndjson"


class _FastCompatibilityJson(FastJsonSerializer):
    mimetype: ClassVar[str] = "application/vnd.elasticsearch+json"


class _FastCompatibilityNdjson(FastNdjsonSerializer):
    mimetype: ClassVar[str] = "application/vnd.elasticsearch+x-ndjson"


SERIALIZERS = {
    cls.mimetype: cls()
    for cls in (
        FastJsonSerializer,
        FastNdjsonSerializer,
        _FastCompatibilityJson,
        _FastCompatibilityNdjson,
    )
}


def make_client(settings: ElasticsearchSettings, **extra: Any) -> Elasticsearch:
    return Elasticsearch(**{"serializers": SERIALIZERS, **settings.client_kwargs(), **extra})


def cluster_health(client: Elasticsearch, timeout: str = "5s") -> dict[str, Any]:
    """``_cluster/health`` as a dict; raises the client's connection errors when unreachable."""
    response = client.cluster.health(timeout=timeout)
    return dict(response.body)


def is_healthy(client: Elasticsearch) -> bool:
    try:
        return cluster_health(client).get("status") in ("green", "yellow")
    except (TransportError, ApiError):
        return False
