"""Topic administration shared by ``parley setup`` and the local services."""

from __future__ import annotations

from dataclasses import dataclass

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from parley.config import KafkaSettings


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    configs: dict[str, str]


def topic_specs(settings: KafkaSettings) -> list[TopicSpec]:
    t = settings.topics
    return [
        TopicSpec(t.articles, t.partitions, {"retention.ms": str(7 * 24 * 3600 * 1000)}),
        TopicSpec(t.alerts, t.partitions, {"retention.ms": str(30 * 24 * 3600 * 1000)}),
        TopicSpec(t.deadletter, t.partitions, {"retention.ms": str(30 * 24 * 3600 * 1000)}),
        # Feeds are shared by the poller workers through this compacted topic (key = feed id).
        TopicSpec(t.feeds, t.partitions, {"cleanup.policy": "compact"}),
    ]


def ensure_topics(settings: KafkaSettings, timeout_ms: int = 30_000) -> list[tuple[str, bool]]:
    """Create missing topics; returns ``(name, created)`` pairs.  Existing topics are left as
    they are (partition counts are never shrunk)."""
    admin = KafkaAdminClient(**settings.client_kwargs(), request_timeout_ms=timeout_ms)
    try:
        existing = set(admin.list_topics())
        results = []
        for spec in topic_specs(settings):
            if spec.name in existing:
                results.append((spec.name, False))
                continue
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            name=spec.name,
                            num_partitions=spec.partitions,
                            replication_factor=settings.topics.replication_factor,
                            topic_configs=spec.configs,
                        )
                    ],
                    timeout_ms=timeout_ms,
                )
                results.append((spec.name, True))
            except TopicAlreadyExistsError:
                results.append((spec.name, False))
        return results
    finally:
        admin.close()
