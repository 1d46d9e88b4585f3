"""Poison records go to the dead-letter topic with their reason; the stream goes on."""

from __future__ import annotations

import base64
import json
import time

import pytest
from support.pipeline_env import PipelineEnv, StreamingPipeline, seed_article, wait_until


@pytest.mark.timeout(300)
def test_poison_records_are_dead_lettered_and_the_stream_goes_on(env: PipelineEnv) -> None:
    job = StreamingPipeline(env.settings)
    try:
        time.sleep(2)
        good = seed_article(1)
        # Valid JSON with every field, but 20 MB of text (a producer without the size cap).
        huge = json.dumps(
            {**seed_article(2).model_dump(mode="json", by_alias=True), "text": "x" * 20_000_000}
        ).encode()
        missing = json.dumps({"url": "https://outlet.example/a", "title": "no id, no text"})
        # 5,000 nested lists: Python's JSON parser gives up with a RecursionError.
        nested = (
            json.dumps(seed_article(5).model_dump(mode="json", by_alias=True))[:-1]
            + ', "tags": '
            + "[" * 5000
            + "]" * 5000
            + "}"
        ).encode()
        produced = env.produce(
            [good, b"{this is not json", missing.encode(), huge, nested, seed_article(3)],
            partition=0,
        )
        last = produced[-1]
        assert wait_until(lambda: env.committed()[0] == last.offset + 1, timeout=60), (
            "offsets did not move past the poison records"
        )
        # The stream is still running: a record produced after the poison gets indexed.
        late = seed_article(4)
        env.produce([late], partition=1)
        assert wait_until(
            lambda: env.count("articles", {"ids": {"values": [late.id]}}) == 1, timeout=30
        )
    finally:
        job.stop()

    indexed = env.documents("articles")
    assert set(indexed) == {good.id, seed_article(3).id, late.id}

    letters = env.dead_letters(expected=4)
    by_offset = {dl["source_offset"]: dl for dl in letters}
    assert len(letters) == 4
    assert by_offset[produced[1].offset]["reason"] == "invalid_json"
    assert by_offset[produced[2].offset]["reason"] == "schema"
    assert "id" in by_offset[produced[2].offset]["detail"]
    assert by_offset[produced[3].offset]["reason"] == "too_large"
    assert by_offset[produced[4].offset]["reason"] == "invalid_json"
    assert "nested too deeply" in by_offset[produced[4].offset]["detail"]
    for dl in letters:
        assert dl["worker"] == "pipeline"
        assert dl["source_topic"] == env.topic and dl["source_partition"] == 0
    # Byte-exact payload for a replay after a fix; the 20 MB one is sampled, its size kept.
    assert base64.b64decode(by_offset[produced[1].offset]["payload_b64"]) == b"{this is not json"
    assert by_offset[produced[3].offset]["payload_size"] == len(huge)
    assert len(base64.b64decode(by_offset[produced[3].offset]["payload_b64"])) < len(huge) // 10
