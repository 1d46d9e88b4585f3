"""The dead-letter record: what a worker cannot process goes to ``parley.deadletter.v1``, with why.

Defined once here because every worker (poller, pipeline, dispatcher) produces it.  The original
payload is kept byte-exact (base64) so that a fixed worker can replay it.
"""

from __future__ import annotations

import base64
import json
import traceback
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from parley.redact import redact

SCHEMA = "parley.deadletter.v1"


class DeadLetter(BaseModel):
    schema_: str = Field(SCHEMA, alias="schema")
    worker: str
    reason: str  # short machine-readable kind, e.g. "invalid_json", "schema", "extractor_crash"
    detail: str  # human-readable explanation
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    source_key: str | None = None
    payload_b64: str | None = None
    payload_size: int | None = None
    attempts: int = 1
    failed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    context: dict[str, Any] = Field(default_factory=dict)

    model_config = {"populate_by_name": True}

    @classmethod
    def from_error(
        cls,
        *,
        worker: str,
        reason: str,
        error: BaseException | str,
        payload: bytes | None = None,
        max_payload: int = 256 * 1024,
        **fields: Any,
    ) -> DeadLetter:
        """Build a dead letter; payloads above ``max_payload`` bytes are truncated (size kept)."""
        if isinstance(error, BaseException):
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        else:
            detail = error
        return cls(
            worker=worker,
            reason=reason,
            detail=redact(detail[:4000]),
            payload_b64=(
                base64.b64encode(payload[:max_payload]).decode("ascii")
                if payload is not None
                else None
            ),
            payload_size=len(payload) if payload is not None else None,
            **fields,
        )

    def payload(self) -> bytes | None:
        return base64.b64decode(self.payload_b64) if self.payload_b64 is not None else None

    def to_bytes(self) -> bytes:
        data = self.model_dump(mode="json", by_alias=True)
        try:
            return json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            # A lone surrogate from the input in the detail or context is not UTF-8; escaped,
            # it is valid JSON, and the letter must be written whatever the input held.
            return json.dumps(data).encode()
