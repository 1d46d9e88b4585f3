"""Install parley's index templates and create its indices (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from parley.config import ElasticsearchSettings
from sinks.elasticsearch.templates import INDICES, index_template


@dataclass(frozen=True)
class SetupResult:
    index: str
    template_changed: bool
    index_created: bool


def install_templates(
    client: Elasticsearch,
    settings: ElasticsearchSettings,
    *,
    language_subfields: list[str] | None = None,
) -> list[SetupResult]:
    """Put each index template, then create the index when missing.

    A template whose body is unchanged is not rewritten; an existing index keeps its mapping
    (new fields are added through ``put_mapping``, which is what a template upgrade needs).
    """
    results = []
    for name in INDICES:
        index_name = settings.index(name)
        body = index_template(name, index_name, language_subfields=language_subfields)
        changed = _put_template_if_changed(client, index_name, body)
        created = False
        if not client.indices.exists(index=index_name):
            client.indices.create(index=index_name)
            created = True
        elif changed:
            client.indices.put_mapping(index=index_name, **body["template"]["mappings"])
            # The one dynamic setting the templates change (None: back to the default).
            refresh = body["template"]["settings"].get("refresh_interval")
            client.indices.put_settings(index=index_name, settings={"refresh_interval": refresh})
        results.append(SetupResult(index_name, changed, created))
    return results


def _put_template_if_changed(client: Elasticsearch, name: str, body: dict[str, Any]) -> bool:
    if client.indices.exists_index_template(name=name):
        stored = client.indices.get_index_template(name=name)["index_templates"][0]
        template = stored["index_template"]
        if (
            template.get("version") == body["version"]
            and template.get("template", {}).get("mappings") == body["template"]["mappings"]
        ):
            return False
    client.indices.put_index_template(name=name, **body)
    return True
