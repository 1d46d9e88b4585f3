"""One Kafka record in, documents or a dead letter out (pure: no Beam, Kafka or Elasticsearch).

``process_message`` is the whole per-record logic of the pipeline: decode and validate the bytes
as an ``ingest.records.ArticleRecord``, run the extractor, build the documents.  It never raises
for a bad record: whatever cannot be processed comes back as a ``DeadLetter`` with a reason, so
the stream goes on.  Every record yields exactly one ``ProcessedRecord``, which carries the
record's position so that the writer knows which offsets its documents stand for.

Reasons (``DeadLetter.reason``): ``empty`` (no value), ``too_large`` (over the byte limit; not
even parsed), ``invalid_json`` (not JSON, or nested too deeply to parse), ``schema`` (not an
ArticleRecord), ``extractor_crash``, ``document_build`` (the extraction broke the contract),
``processing_error`` (anything else one record triggers); the writer adds ``index_rejected`` and
``hook_failed``.  Lone UTF-16 surrogates (a ``\\ud800`` escape in the JSON) are not text: they
become U+FFFD, so that string offsets stay the same and the documents can be encoded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic import ValidationError

from ingest.records import ArticleRecord
from parley.deadletter import DeadLetter
from pipeline.documents import IndexDocument, build_documents

WORKER = "pipeline"

#: Extraction in its contract form (DESIGN.md), plus ``language``.
ExtractFn = Callable[[ArticleRecord], Mapping[str, Any]]


class KafkaMessage(NamedTuple):
    """A record as read from Kafka; the payload is left undecoded so poison stays byte-exact."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int


class SourcePosition(NamedTuple):
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class ProcessedRecord:
    position: SourcePosition
    documents: tuple[IndexDocument, ...] = ()
    dead_letters: tuple[DeadLetter, ...] = ()
    # Kafka record timestamp (produce time): the writer measures produce-to-stored latency.
    timestamp_ms: int = 0


class RejectedRecord(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def decode_article(payload: bytes | None, *, max_bytes: int) -> ArticleRecord:
    """Bytes -> ``ArticleRecord`` or ``RejectedRecord``.  The size check comes first so that a
    20 MB record is refused without being parsed."""
    if payload is None or len(payload) == 0:
        raise RejectedRecord("empty", "the record has no value")
    if len(payload) > max_bytes:
        raise RejectedRecord(
            "too_large", f"{len(payload)} bytes is over the limit of {max_bytes} bytes"
        )
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RejectedRecord("invalid_json", str(exc)) from exc
    except RecursionError as exc:
        # Thousands of nested arrays: the parser gives up before reading a value.
        raise RejectedRecord("invalid_json", "JSON nested too deeply to parse") from exc
    if not isinstance(data, dict):
        raise RejectedRecord("schema", f"expected a JSON object, got {type(data).__name__}")
    if _SURROGATE_ESCAPE.search(payload):
        data = _without_surrogates(data)
    try:
        record = ArticleRecord.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
        raise RejectedRecord("schema", problems[:2000]) from exc
    return record


# Only a \uD800-\uDFFF escape can put a surrogate into parsed JSON (raw surrogate bytes are
# not UTF-8 and fail decoding); valid pairs match too and are left as they are.
_SURROGATE_ESCAPE = re.compile(rb"\\[uU][dD][89a-fA-F]")


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
        return value
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value


def dead_letter_for(
    message: KafkaMessage, reason: str, error: BaseException | str, **context: Any
) -> DeadLetter:
    return DeadLetter.from_error(
        worker=WORKER,
        reason=reason,
        error=error,
        payload=message.value,
        source_topic=message.topic,
        source_partition=message.partition,
        source_offset=message.offset,
        source_key=message.key.decode("utf-8", "replace") if message.key is not None else None,
        context=context,
    )


def process_message(
    message: KafkaMessage,
    *,
    extract: ExtractFn,
    max_record_bytes: int,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ProcessedRecord:
    position = SourcePosition(message.topic, message.partition, message.offset)

    def rejected(reason: str, error: BaseException | str, **context: Any) -> ProcessedRecord:
        return ProcessedRecord(
            position,
            dead_letters=(dead_letter_for(message, reason, error, **context),),
            timestamp_ms=message.timestamp_ms,
        )

    # Poison policy (parley.poison): nothing here talks to a service, so every exception is
    # this record's and becomes its dead letter; the stream never stops for one record.
    try:
        record = decode_article(message.value, max_bytes=max_record_bytes)
    except RejectedRecord as exc:
        return rejected(exc.reason, exc.detail)
    except Exception as exc:  # noqa: BLE001 - e.g. a validator's own bug on odd input
        return rejected("processing_error", exc)
    try:
        extraction = extract(record)
    except Exception as exc:  # noqa: BLE001 - any extractor bug is one record's problem, not the stream's
        return rejected("extractor_crash", exc, article_id=record.id)
    try:
        documents = build_documents(record, extraction, indexed_at=now())
    except Exception as exc:  # noqa: BLE001 - the extraction broke the contract for this record
        return rejected("document_build", exc, article_id=record.id)
    return ProcessedRecord(position, documents.all(), (), message.timestamp_ms)


def statement_extractor() -> ExtractFn:
    """The production extractor, adapted to ``ExtractFn``.  Built once per worker: loading the
    lexicons and gazetteer is the expensive part."""
    from pipeline.extract import StatementExtractor  # type: ignore[attr-defined]

    extractor = StatementExtractor()

    def extract(record: ArticleRecord) -> Mapping[str, Any]:
        result = extractor.extract(record.text, title=record.title, language=record.language)
        out = dict(result.to_dict())
        out.setdefault("language", result.language)
        return out

    return extract
