"""The seed article, produced to Kafka, is searchable in parley-statements within seconds, with
its speakers; post-index hooks see the statements before the offsets are committed."""

from __future__ import annotations

import time

import pytest
from support import pipeline_env
from support.pipeline_env import PipelineEnv, StreamingPipeline, seed_article, wait_until

from pipeline.processing import statement_extractor


@pytest.mark.timeout(180)
def test_seed_article_is_searchable_with_speakers_within_seconds(env: PipelineEnv) -> None:
    record = seed_article(1)
    expected = statement_extractor()(record)
    assert expected["statements"], "the extractor finds statements in the seed article"

    job = StreamingPipeline(env.settings, hook_factories=[pipeline_env.recording_hook])
    try:
        # The job is up when it has read the (empty) partitions once; give it a moment.
        time.sleep(3)
        (produced,) = env.produce([record])
        started = time.monotonic()

        def searchable() -> bool:
            hits = env.es.search(
                index=env.index("statements"),
                query={"term": {"article_id": record.id}},
                size=100,
            )["hits"]["hits"]
            return len(hits) == len(expected["statements"])

        assert wait_until(searchable, timeout=15), "statements not searchable in 15 s"
        latency = time.monotonic() - started
        assert latency < 10, f"searchable after {latency:.1f}s"

        # Offsets are committed once the documents are stored.
        assert wait_until(
            lambda: env.committed()[produced.partition] == produced.offset + 1, timeout=10
        )
    finally:
        state = job.stop()
    assert state is not None and "DONE" in state

    docs = env.documents("statements")
    assert len(docs) == len(expected["statements"])
    for st in expected["statements"]:
        quote = st["quote"]
        doc = docs[f"{record.id}-{quote['start']}-{quote['end']}"]
        assert doc["speaker"] == st["speaker"]
        assert doc["quote"]["text"] == quote["text"]
        assert doc["kind"] == st["kind"]
        assert doc["url"] == record.url and doc["outlet"] == "outlet-1"
    # Speaker fields are searchable the way Kibana users query them.
    mention = expected["statements"][0]["speaker"]["mention"]["text"]
    assert env.count("statements", {"match_phrase": {"speaker.mention.text": mention}}) >= 1
    named = [s for s in expected["statements"] if s["speaker"].get("name")]
    for st in named:
        hits = env.count("statements", {"term": {"speaker.name.keyword": st["speaker"]["name"]}})
        assert hits >= 1

    article = env.documents("articles")[record.id]
    assert article["statement_count"] == len(expected["statements"])
    assert article["trigger_count"] == len(expected["triggers"])

    # The hook saw every statement, and at that moment the record was not yet committed.
    assert sorted(pipeline_env.iter_hook_ids()) == sorted(docs)
    first = pipeline_env.HOOK_CALLS[0]
    assert (first["committed"].get(produced.partition) or 0) <= produced.offset
