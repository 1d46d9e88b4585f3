"""The Elasticsearch clients' JSON: orjson where it can, the standard library elsewhere."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sinks.elasticsearch.client import SERIALIZERS, FastJsonSerializer, dumps


def stdlib(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


DOCUMENTS = [
    {"quote": {"text": "«Мы готовы к переговорам», — сказал он.", "start": 0, "end": 39}},
    {"speaker": {"name": "Recep Tayyip Erdoğan", "official": True}, "score": 0.25, "n": None},
    {"emoji": "talks 🕊", "nested": [[1, 2], {"a": []}], "big": 2**63 - 1},
]


@pytest.mark.parametrize("doc", DOCUMENTS)
def test_the_same_bytes_as_the_standard_library(doc: dict[str, Any]) -> None:
    assert dumps(doc) == stdlib(doc)
    assert json.loads(dumps(doc)) == doc


def test_what_orjson_refuses_ends_as_the_standard_library_ends_it() -> None:
    assert dumps({"big": 2**70}) == stdlib({"big": 2**70})
    assert dumps({1: "key not a string"}) == stdlib({1: "key not a string"})
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate: refused as before
        dumps({"text": "broken \ud800 text"})


def test_responses_that_echo_a_lone_surrogate_are_still_read() -> None:
    body = b'{"error":{"reason":"failed to parse [\\ud800]"},"status":400}'
    parsed = SERIALIZERS["application/json"].loads(body)
    assert parsed["status"] == 400 and parsed["error"]["reason"].endswith("[\ud800]")


def test_every_mimetype_the_client_speaks_is_served() -> None:
    assert set(SERIALIZERS) >= {
        "application/json",
        "application/x-ndjson",
        "application/vnd.elasticsearch+json",
        "application/vnd.elasticsearch+x-ndjson",
    }
    ndjson = SERIALIZERS["application/x-ndjson"].dumps([{"index": {"_id": "a"}}, {"x": "é"}])
    assert ndjson == b'{"index":{"_id":"a"}}\n{"x":"\xc3\xa9"}\n'
    assert isinstance(SERIALIZERS["application/json"], FastJsonSerializer)
