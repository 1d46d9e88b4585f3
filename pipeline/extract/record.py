"""Contract records: one input line (``{"id", "text", …}``) → one output line.

``extract_record`` never raises: whatever the input (not a dict, no text, binary junk, an
extractor bug), it returns an output line with the input's id and an ``error`` field, because
the batch CLI and the Beam pipeline must keep one output per input, in order.
"""

from __future__ import annotations

import json
from typing import Any

from pipeline.extract.extractor import StatementExtractor

_default: StatementExtractor | None = None


def default_extractor() -> StatementExtractor:
    """The process-wide extractor (built on first use: lexicons and gazetteer load once)."""
    global _default
    if _default is None:
        _default = StatementExtractor()
    return _default


def error_line(record_id: Any, reason: str) -> dict[str, Any]:
    return {
        "id": record_id if isinstance(record_id, str) else None,
        "statements": [],
        "triggers": [],
        "error": reason,
    }


def extract_record(
    record: Any, extractor: StatementExtractor | None = None, *, encodable: bool = False
) -> dict[str, Any]:
    """Map a contract input record to its output line (``error`` set when it cannot be done).

    With ``encodable`` the line keeps the result's dataclasses (``ExtractionResult.
    to_encodable``): for writers that encode with orjson, not for consumers of the dict."""
    if not isinstance(record, dict):
        return error_line(None, f"record is not a JSON object but {type(record).__name__}")
    record_id = record.get("id")
    if not isinstance(record_id, str) or not record_id:
        return error_line(None, "record has no string 'id'")
    text = record.get("text")
    if not isinstance(text, str):
        return error_line(record_id, "record has no string 'text'")
    title = record.get("title")
    language = record.get("language")
    try:
        result = (extractor or default_extractor()).extract(
            text,
            title=title if isinstance(title, str) else None,
            language=language if isinstance(language, str) and language else None,
        )
        out: dict[str, Any] = {"id": record_id}
        out.update(result.to_encodable() if encodable else result.to_dict())
    except Exception as exc:  # noqa: BLE001 - one bad record must not stop the stream
        return error_line(record_id, f"extractor failed: {type(exc).__name__}: {exc}")
    return out


def extract_line(
    line: str,
    extractor: StatementExtractor | None = None,
    default_language: str | None = None,
    *,
    encodable: bool = False,
) -> dict[str, Any]:
    """One JSONL input line → output line; empty and unparsable lines give an error line.

    ``default_language`` applies to records without a ``language`` field."""
    if not line.strip():
        return error_line(None, "empty input line")
    try:
        record = json.loads(line)
    except ValueError as exc:
        return error_line(None, f"invalid JSON: {exc}")
    except RecursionError:  # thousands of nested arrays: the parser gives up
        return error_line(None, "invalid JSON: nested too deeply to parse")
    if default_language and isinstance(record, dict) and not record.get("language"):
        record["language"] = default_language
    return extract_record(record, extractor, encodable=encodable)
