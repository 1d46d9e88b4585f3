"""A scripted stand-in for Elasticsearch's ``_bulk`` call (unit tests of retry/verdict logic;
the real node is exercised by the integration tests)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def api_error(status: int, kind: str = "x") -> Any:
    """An ``elasticsearch.ApiError`` as the client raises it for an HTTP ``status``."""
    from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
    from elasticsearch import ApiError

    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "127.0.0.1", 9200),
    )
    body = {"error": {"root_cause": [{"type": kind, "reason": "y"}], "type": kind, "reason": "y"}}
    return ApiError(f"HTTP {status}", meta=meta, body=body)


Statuses = Callable[[list[tuple[dict[str, Any], dict[str, Any]]]], list[int]]


class ScriptedBulkClient:
    """Answers each ``bulk`` call with the next scripted step: an exception to raise, or a
    function from the parsed request to per-item HTTP statuses (default: all 201)."""

    def __init__(self, *steps: BaseException | Statuses) -> None:
        self.steps = list(steps)
        self.requests: list[list[tuple[dict[str, Any], dict[str, Any]]]] = []

    def bulk(self, *, operations: bytes, refresh: Any) -> dict[str, Any]:
        lines = operations.decode().splitlines()
        request = [
            (json.loads(lines[i]), json.loads(lines[i + 1])) for i in range(0, len(lines), 2)
        ]
        self.requests.append(request)
        step = self.steps.pop(0) if self.steps else (lambda req: [201] * len(req))
        if isinstance(step, BaseException):
            raise step
        statuses = step(request)
        items = []
        for (meta, _), status in zip(request, statuses, strict=True):
            ((op, info),) = meta.items()
            item: dict[str, Any] = {"_index": info["_index"], "_id": info["_id"], "status": status}
            if status in (200, 201):
                item["result"] = "created" if status == 201 else "updated"
            elif status >= 300:
                item["error"] = {"type": f"e{status}", "reason": "scripted"}
            items.append({op: item})
        return {"errors": any(s >= 300 for s in statuses), "items": items}
