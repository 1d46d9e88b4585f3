"""Replaying the same topic, twice, creates zero new documents and rewrites none."""

from __future__ import annotations

import pytest
from support.pipeline_env import PipelineEnv, seed_article

from pipeline import metrics


def created_total() -> float:
    return sum(
        s.value
        for m in metrics.DOCUMENTS.collect()
        for s in m.samples
        if s.name.endswith("_total") and s.labels.get("outcome") == "created"
    )


@pytest.mark.timeout(300)
def test_replaying_the_topic_twice_creates_nothing(env: PipelineEnv) -> None:
    env.produce([seed_article(i) for i in range(12)])
    articles, statements = env.expected_documents()

    before = created_total()
    assert "DONE" in env.run_bounded()
    assert created_total() - before == len(articles) + len(statements)
    first = {**env.documents("articles"), **env.documents("statements")}
    assert set(first) == articles | statements
    assert env.committed() == env.end_offsets()

    # Replay 1: a new consumer group reads the topic from the start.
    # Replay 2: the pipeline's own group, told to ignore its committed offsets.
    for replay in (
        {"group_id": f"{env.settings.pipeline['group_id']}-replay"},
        {"start_from": "earliest"},
    ):
        before = created_total()
        assert "DONE" in env.run_bounded(**replay)
        assert created_total() == before, f"new documents on replay {replay}"
        again = {**env.documents("articles"), **env.documents("statements")}
        assert again == first  # same ids, same content, _version still 1 (never rewritten)
    assert {doc["_version"] for doc in first.values()} == {1}
