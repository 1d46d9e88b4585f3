"""Index templates for parley's four indices.

Mappings are written for the core-only Elasticsearch test distribution: ``standard`` analyzer,
``keyword`` sub-fields for aggregations, ``date`` fields for Kibana's time filter.  Trigger and
speaker fields are plain objects (not ``nested``) so that Lucene query strings — the syntax of
Kibana's Lucene mode and of subscriptions — can address them (``triggers.category:ceasefire``).
Production clusters may add language analyzers with ``language_subfields`` (needs the
analysis-common module that the test distribution lacks).
"""

from __future__ import annotations

from typing import Any

TEMPLATE_VERSION = 2
INDICES = ("articles", "statements", "alerts", "subscriptions")

# Articles and statements are what readers search as they arrive: refreshed every second.  The
# alerts index is written three times per alert (created, queued, delivered) and searched
# rarely (``parley alerts list``, the API, digests): left to Elasticsearch's default, which
# skips the periodic refresh of a shard nobody searched for 30 s and refreshes it when a
# search comes (the search then sees everything written before it).  Subscriptions are
# written with ``refresh=wait_for``, which waits for the next periodic refresh.
REFRESH_INTERVALS: dict[str, str | None] = {
    "articles": "1s",
    "statements": "1s",
    "alerts": None,
    "subscriptions": "1s",
}

KEYWORD = {"type": "keyword", "ignore_above": 1024}
DATE = {"type": "date"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}


def text_with_keyword(ignore_above: int = 256) -> dict[str, Any]:
    return {
        "type": "text",
        "fields": {"keyword": {"type": "keyword", "ignore_above": ignore_above}},
    }


def span(text: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"properties": {"text": text or text_with_keyword(), "start": INT, "end": INT}}


SPEAKER = {
    "properties": {
        "mention": span(),
        "name": text_with_keyword(),
        "role": KEYWORD,
        "organization": text_with_keyword(),
        "country": KEYWORD,
        "official": BOOL,
    }
}

TRIGGER = {
    "properties": {
        "category": KEYWORD,
        "stance": KEYWORD,
        "text": text_with_keyword(),
        "start": INT,
        "end": INT,
        "codes": KEYWORD,
    }
}

# Fields every document carries about the article it comes from.
ARTICLE_CONTEXT = {
    "article_id": KEYWORD,
    "url": KEYWORD,
    "title": text_with_keyword(512),
    "outlet": KEYWORD,
    "country": KEYWORD,
    "language": KEYWORD,
    "feed_id": KEYWORD,
    "tags": KEYWORD,
    "published_at": DATE,
    "seen_at": DATE,
    "fetched_at": DATE,
    "indexed_at": DATE,
    "@timestamp": DATE,
}

MAPPINGS: dict[str, dict[str, Any]] = {
    "articles": {
        "dynamic": "false",
        "properties": {
            **ARTICLE_CONTEXT,
            "original_url": KEYWORD,
            "text": {"type": "text"},
            "summary": {"type": "text"},
            "author": text_with_keyword(),
            "text_source": KEYWORD,
            "text_error": {"type": "text"},
            "statement_count": INT,
            "trigger_count": INT,
            "trigger_categories": KEYWORD,
            "stances": KEYWORD,
            "speakers": KEYWORD,
            "triggers": TRIGGER,
        },
    },
    "statements": {
        "dynamic": "false",
        "properties": {
            **ARTICLE_CONTEXT,
            "statement_id": KEYWORD,
            "cluster_id": KEYWORD,
            "kind": KEYWORD,
            "quote": span(
                {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 512}}}
            ),
            "cue": span(),
            "speaker": SPEAKER,
            "triggers": TRIGGER,
            "trigger_categories": KEYWORD,
            "stances": KEYWORD,
            "has_trigger": BOOL,
        },
    },
    "alerts": {
        "dynamic": "false",
        "properties": {
            "alert_id": KEYWORD,
            "subscription_id": KEYWORD,
            "subscription_name": text_with_keyword(),
            "owner": KEYWORD,
            "cluster_id": KEYWORD,
            "statement_id": KEYWORD,
            "article_id": KEYWORD,
            "url": KEYWORD,
            "outlet": KEYWORD,
            "title": text_with_keyword(512),
            "quote": span(),
            "speaker": SPEAKER,
            "triggers": TRIGGER,
            "trigger_categories": KEYWORD,
            "stances": KEYWORD,
            "channels": KEYWORD,
            "status": KEYWORD,
            "attempts": INT,
            "outlets_count": INT,
            "delivery_mode": KEYWORD,
            "created_at": DATE,
            "due_at": DATE,
            "claimed_at": DATE,
            "delivered_at": DATE,
            "statement_indexed_at": DATE,
            "@timestamp": DATE,
        },
    },
    "subscriptions": {
        "dynamic": "false",
        "properties": {
            "subscription_id": KEYWORD,
            "name": text_with_keyword(),
            "owner": KEYWORD,
            "query": {"type": "keyword", "index": False},
            "filters": {
                "properties": {
                    "speakers": KEYWORD,
                    "countries": KEYWORD,
                    "officials_only": BOOL,
                    "categories": KEYWORD,
                    "stances": KEYWORD,
                    "outlets": KEYWORD,
                    "languages": KEYWORD,
                }
            },
            # Channel settings are stored, not searched; secrets are references, never values.
            "channels": {"type": "object", "enabled": False},
            "delivery": {"type": "object", "enabled": False},
            "enabled": BOOL,
            "created_at": DATE,
            "updated_at": DATE,
        },
    },
}

# Bare words in a query string ("ceasefire") search the fields a reader means.
DEFAULT_FIELDS: dict[str, list[str]] = {
    "articles": ["title", "text", "summary"],
    "statements": ["quote.text", "title", "speaker.name", "speaker.organization", "triggers.text"],
    "alerts": ["quote.text", "title", "speaker.name", "subscription_name"],
    "subscriptions": ["name"],
}


def index_template(
    name: str,
    index_name: str,
    *,
    shards: int = 1,
    replicas: int = 0,
    language_subfields: list[str] | None = None,
) -> dict[str, Any]:
    """Body for ``PUT _index_template/<index_name>`` matching ``<index_name>`` and rollovers."""
    mappings: dict[str, Any] = {
        **MAPPINGS[name],
        "_meta": {"parley_template_version": TEMPLATE_VERSION, "parley_index": name},
    }
    if language_subfields and name in ("articles", "statements"):
        mappings = _with_language_subfields(mappings, name, language_subfields)
    settings: dict[str, Any] = {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "query": {"default_field": DEFAULT_FIELDS[name]},
    }
    if REFRESH_INTERVALS[name] is not None:
        settings["refresh_interval"] = REFRESH_INTERVALS[name]
    return {
        "index_patterns": [index_name, f"{index_name}-*"],
        "priority": 200,
        "version": TEMPLATE_VERSION,
        "template": {"settings": settings, "mappings": mappings},
        "_meta": {"description": f"parley {name} index", "managed_by": "parley setup"},
    }


def _with_language_subfields(
    mappings: dict[str, Any], name: str, languages: list[str]
) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(mappings)
    props = out["properties"]
    targets = [props["title"]]
    if name == "articles":
        targets.append(props["text"])
    else:
        targets.append(props["quote"]["properties"]["text"])
    for field in targets:
        fields = field.setdefault("fields", {})
        for lang in languages:
            fields[lang] = {"type": "text", "analyzer": lang}
    return out
