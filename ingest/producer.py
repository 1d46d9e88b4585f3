"""Kafka producer of article records (``parley.articles.v1``, key = article id).

Idempotent (``enable_idempotence=True``, ``acks=all``): the broker drops the duplicates that
the producer's own retries could create.  ``send`` returns only once Kafka acknowledged the record;
an error is retried with capped backoff until it succeeds or the poller stops (then
``ProducerStopped``), so a record is never dropped: the caller marks an item seen only after
``send`` returned.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from ingest.metrics import PRODUCE_RETRIES
from ingest.records import ArticleRecord
from parley.logs import get_logger

log = get_logger(__name__)

# Keep each record under the broker's default message.max.bytes (1 MB) with room for headers.
MAX_RECORD_BYTES = 900_000


class ProducerStopped(Exception):
    """The poller is stopping; the record was not acknowledged and stays unseen."""


def fit_record(record: ArticleRecord, limit: int = MAX_RECORD_BYTES) -> bytes:
    """Serialised record, with the text shortened (and flagged) when it would exceed ``limit``."""
    data = record.to_bytes()
    if len(data) <= limit:
        return data
    overflow = len(data) - limit
    text = record.text.encode("utf-8")
    keep = max(0, len(text) - overflow - 1024)
    shorter = record.model_copy(
        update={
            "text": text[:keep].decode("utf-8", errors="ignore"),
            "text_truncated": True,
            "summary": (record.summary or "")[:2000] or None,
        }
    )
    return shorter.to_bytes()


class ArticleProducer:
    def __init__(
        self,
        client_kwargs: dict[str, Any],
        topic: str,
        *,
        retry_max: float = 30.0,
        **producer_overrides: Any,
    ) -> None:
        self.topic = topic
        self.retry_max = retry_max
        self._stopping = asyncio.Event()
        config: dict[str, Any] = {
            **client_kwargs,
            "enable_idempotence": True,
            "acks": "all",
            "linger_ms": 20,
            "compression_type": "gzip",
            "max_request_size": 1_048_576,
            "delivery_timeout_ms": 120_000,
            **producer_overrides,
        }
        self._producer = KafkaProducer(**config)

    def stop_retrying(self) -> None:
        self._stopping.set()

    async def send(self, key: str, value: bytes) -> None:
        delay = 0.5
        while True:
            try:
                await self._send_once(key, value)
                return
            except KafkaError as exc:
                if self._stopping.is_set():
                    raise ProducerStopped(str(exc)) from exc
                PRODUCE_RETRIES.inc()
                log.warning("produce_retry", key=key, error=str(exc), retry_in=delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
                delay = min(self.retry_max, delay * 2)

    async def _send_once(self, key: str, value: bytes) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def settle(exc: BaseException | None) -> None:
            if done.done():
                return
            if exc is None:
                done.set_result(None)
            else:
                done.set_exception(exc)

        def ok(_metadata: Any) -> None:
            loop.call_soon_threadsafe(settle, None)

        def failed(exc: BaseException) -> None:
            loop.call_soon_threadsafe(settle, exc)

        # send() may block while it fetches topic metadata, so it runs off the event loop.
        future = await asyncio.to_thread(
            self._producer.send, self.topic, key=key.encode("utf-8"), value=value
        )
        future.add_callback(ok)
        future.add_errback(failed)
        await done

    def flush(self, timeout: float | None = None) -> None:
        self._producer.flush(timeout=timeout)

    def close(self, timeout: float | None = None) -> None:
        self._producer.close(timeout=timeout)
