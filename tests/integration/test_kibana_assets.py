"""Kibana saved objects and alerting rules in deploy/kibana, checked without Kibana.

Static part: every NDJSON line, rule and connector validates against the JSON Schemas transcribed
from Kibana (tests/fixtures/kibana/schemas), nested JSON strings parse, and every reference
resolves inside the files.  Elasticsearch part, on indices created by ``install_templates`` under
a unique prefix: data views resolve and their time field is a date, every field an object uses
exists with a fitting type in ``field_caps``, every saved query validates, and saved searches,
rules (run the way Kibana's ``.es-query`` executor runs them) and Lens layers (as the equivalent
aggregations) return exactly the expected documents and counts on seeded statements.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from parley.config import ElasticsearchSettings
from sinks.elasticsearch.setup import install_templates
from sinks.elasticsearch.templates import INDICES

REPO = Path(__file__).resolve().parents[2]
KIBANA_DIR = REPO / "deploy" / "kibana"
SAVED_OBJECTS = KIBANA_DIR / "saved_objects.ndjson"
SCHEMA_DIR = REPO / "tests" / "fixtures" / "kibana" / "schemas"

# The oldest Kibana the files must import into; declared migration versions above it are
# rejected at import ("belongs to a more recent version of Kibana").
SUPPORTED_CORE_VERSION = (8, 8, 0)
TYPE_MIGRATION_VERSIONS = {
    "index-pattern": "8.0.0",
    "search": "8.0.0",
    "lens": "8.9.0",
    "dashboard": "8.9.0",
}
# Basic-license connector types only (.webhook, .email and .slack need gold).
BASIC_CONNECTOR_TYPES = {".index", ".server-log"}
CONNECTOR_PARAMS_DEF = {".index": "indexParams", ".server-log": "serverLogParams"}
ES_QUERY_KEYS = {"query", "fields", "_source", "runtime_mappings"}
DATE_TYPES = {"date", "date_nanos"}
PARLEY_PREFIX = "parley-"
# Where the .index connector writes rule matches (connectors.json, without the "parley-" prefix).
KIBANA_ALERTS_INDEX = "kibana-alerts"


# ------------------------------------------------------------------------------ loading --


def load_saved_objects(path: Path = SAVED_OBJECTS) -> list[dict[str, Any]]:
    objects = []
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        assert isinstance(obj, dict), f"line {n} is not a JSON object"
        objects.append(obj)
    return objects


def load_rules() -> list[dict[str, Any]]:
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((KIBANA_DIR / "rules").glob("*.json"))
    ]


def load_connectors() -> list[dict[str, Any]]:
    data = json.loads((KIBANA_DIR / "connectors.json").read_text(encoding="utf-8"))
    connectors: list[dict[str, Any]] = data["connectors"]
    return connectors


def schema_registry() -> Registry:
    resources = []
    for path in SCHEMA_DIR.glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def validator(schema_file: str, pointer: str = "") -> Draft202012Validator:
    registry = schema_registry()
    schema = json.loads((SCHEMA_DIR / schema_file).read_text(encoding="utf-8"))
    if pointer:
        schema = {"$ref": f"{schema['$id']}#{pointer}"}
    return Draft202012Validator(schema, registry=registry)


def schema_errors(v: Draft202012Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in v.iter_errors(instance)
    ]


def by_type(objects: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["type"] == type_]


def search_source(obj: dict[str, Any]) -> dict[str, Any]:
    source: dict[str, Any] = json.loads(
        obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"]
    )
    return source


def reference(obj: dict[str, Any], name: str) -> dict[str, Any]:
    matches = [r for r in obj["references"] if r["name"] == name]
    assert len(matches) == 1, f"{obj['type']}/{obj['id']}: reference {name!r} x{len(matches)}"
    return matches[0]


def lens_layers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    layers: dict[str, dict[str, Any]] = obj["attributes"]["state"]["datasourceStates"]["formBased"][
        "layers"
    ]
    return layers


# ----------------------------------------------------------------- reference checking --


def reference_problems(objects: list[dict[str, Any]]) -> list[str]:
    """Every reference Kibana (or its UI) follows must land on an object in the same file."""
    present = {(o["type"], o["id"]) for o in objects}
    problems = []
    for obj in objects:
        where = f"{obj['type']}/{obj['id']}"
        names = [r["name"] for r in obj["references"]]
        if len(names) != len(set(names)):
            problems.append(f"{where}: duplicate reference names")
        for ref in obj["references"]:
            if (ref["type"], ref["id"]) not in present:
                problems.append(f"{where}: {ref['name']} -> missing {ref['type']}/{ref['id']}")
        used: set[str] = set()
        meta = obj["attributes"].get("kibanaSavedObjectMeta")
        if meta and "searchSourceJSON" in meta:
            source = json.loads(meta["searchSourceJSON"])
            if "indexRefName" in source:
                used.add(source["indexRefName"])
            for f in source.get("filter", []):
                if "indexRefName" in f.get("meta", {}):
                    used.add(f["meta"]["indexRefName"])
        if obj["type"] == "lens":
            used |= {f"indexpattern-datasource-layer-{layer}" for layer in lens_layers(obj)}
        if obj["type"] == "dashboard":
            for panel in json.loads(obj["attributes"]["panelsJSON"]):
                if "panelRefName" in panel:
                    name = f"{panel['panelIndex']}:{panel['panelRefName']}"
                    used.add(name)
                    refs = [r for r in obj["references"] if r["name"] == name]
                    if refs and refs[0]["type"] != panel["type"]:
                        problems.append(f"{where}: panel {name} type {panel['type']} != ref")
        for name in sorted(used - set(names)):
            problems.append(f"{where}: no reference named {name!r}")
        for name in sorted(set(names) - used):
            problems.append(f"{where}: reference {name!r} is not used")
    return problems


# --------------------------------------------------------------------- static tests --


def test_saved_objects_ndjson_parses_with_unique_ids() -> None:
    assert SAVED_OBJECTS.suffix == ".ndjson"
    objects = load_saved_objects()
    keys = [(o["type"], o["id"]) for o in objects]
    assert len(keys) == len(set(keys)), "duplicate type:id (Kibana answers 400)"
    assert Counter(o["type"] for o in objects) == {
        "index-pattern": 3,
        "search": 3,
        "lens": 4,
        "dashboard": 1,
    }


def test_saved_objects_validate_against_kibana_schemas() -> None:
    line_schema = validator("saved_object_ndjson_line.schema.json")
    panel_schema = validator("dashboard_attributes.schema.json", "/$defs/panel")
    options_schema = validator("dashboard_attributes.schema.json", "/$defs/options")
    for obj in load_saved_objects():
        where = f"{obj['type']}/{obj['id']}"
        assert schema_errors(line_schema, obj) == [], where
        assert "exportedCount" not in obj
        core = tuple(int(p) for p in obj["coreMigrationVersion"].split("."))
        assert core <= SUPPORTED_CORE_VERSION, where
        assert obj["typeMigrationVersion"] == TYPE_MIGRATION_VERSIONS[obj["type"]], where
        attrs = obj["attributes"]
        # Values Kibana stores as JSON strings must parse.
        for key in ("fields", "fieldAttrs", "fieldFormatMap", "runtimeFieldMap", "sourceFilters"):
            if key in attrs:
                json.loads(attrs[key])
        if "kibanaSavedObjectMeta" in attrs:
            source = search_source(obj)
            assert source["query"]["language"] == "lucene", f"{where}: KQL cannot be checked"
        if obj["type"] == "dashboard":
            panels = json.loads(attrs["panelsJSON"])
            assert panels, where
            for panel in panels:
                assert schema_errors(panel_schema, panel) == [], panel["panelIndex"]
                assert panel["gridData"]["i"] == panel["panelIndex"]
                assert panel["gridData"]["x"] + panel["gridData"]["w"] <= 48
            assert schema_errors(options_schema, json.loads(attrs["optionsJSON"])) == []
        if obj["type"] == "lens":
            assert attrs["state"]["query"]["language"] == "lucene"


def test_saved_objects_references_resolve_inside_the_file() -> None:
    assert reference_problems(load_saved_objects()) == []


def test_reference_check_reports_broken_references() -> None:
    """The reference check itself fails on the mistakes it exists to catch."""
    objects = load_saved_objects()
    broken = copy.deepcopy(objects)
    dashboard = by_type(broken, "dashboard")[0]
    dashboard["references"][0]["id"] = "no-such-lens"
    search = by_type(broken, "search")[0]
    search["references"][0]["name"] = "renamed"
    lens = by_type(broken, "lens")[0]
    lens["references"] = []
    problems = reference_problems(broken)
    assert any("missing lens/no-such-lens" in p for p in problems)
    assert any(
        "no reference named 'kibanaSavedObjectMeta.searchSourceJSON.index'" in p for p in problems
    )
    assert any("indexpattern-datasource-layer-" in p for p in problems)


def test_expected_data_views_searches_and_dashboard() -> None:
    objects = load_saved_objects()
    views = {o["id"]: o["attributes"] for o in by_type(objects, "index-pattern")}
    assert set(views) == {"parley-statements", "parley-articles", "parley-alerts"}
    assert {v["timeFieldName"] for v in views.values()} == {"@timestamp"}
    searches = {o["attributes"]["title"] for o in by_type(objects, "search")}
    assert searches == {
        "Officials on talks, last 24 h",
        "Ceasefire triggers",
        "Rejections of talks",
    }
    (dashboard,) = by_type(objects, "dashboard")
    assert dashboard["attributes"]["title"] == "parley overview"
    panel_types = Counter(p["type"] for p in json.loads(dashboard["attributes"]["panelsJSON"]))
    assert panel_types["lens"] == 4


def test_rules_and_connectors_validate() -> None:
    body_schema = validator("alerting_create_rule_body.schema.json")
    params_schema = validator("es_query_rule_params.schema.json")
    connector_schema = validator("connectors.schema.json")
    connectors = {c["id"]: c["body"] for c in load_connectors()}
    for cid, body in connectors.items():
        assert uuid.UUID(cid).version == 4
        assert schema_errors(connector_schema, body) == [], cid
        assert body["connector_type_id"] in BASIC_CONNECTOR_TYPES
    rules = load_rules()
    assert len(rules) == 2
    for rule in rules:
        body = rule["body"]
        name = body["name"]
        assert uuid.UUID(rule["id"]).version == 4, "the 8.x docs require a UUID v1/v4 rule id"
        assert schema_errors(body_schema, body) == [], name
        assert body["rule_type_id"] == ".es-query"
        params = body["params"]
        assert schema_errors(params_schema, params) == [], name
        assert params["searchType"] == "esQuery"
        es_query = json.loads(params["esQuery"])
        assert isinstance(es_query, dict) and "query" in es_query, name
        assert set(es_query) <= ES_QUERY_KEYS, f"{name}: Kibana ignores other keys"
        assert body["actions"], name
        for action in body["actions"]:
            assert action["group"] == "query matched"
            connector = connectors[action["id"]]
            params_def = CONNECTOR_PARAMS_DEF[connector["connector_type_id"]]
            params_validator = validator("connectors.schema.json", f"/$defs/{params_def}")
            assert schema_errors(params_validator, action["params"]) == [], name


def test_rule_schema_rejects_invalid_params() -> None:
    """The transcribed params schema is strict enough to catch the usual mistakes."""
    params_schema = validator("es_query_rule_params.schema.json")
    params = load_rules()[0]["body"]["params"]
    for mutation in (
        {"timeWindowUnit": "w"},
        {"thresholdComparator": "between"},
        {"size": 10001},
        {"searchConfiguration": {"query": {"query": "x", "language": "lucene"}}},
        {"unknownKey": 1},
    ):
        assert schema_errors(params_schema, {**params, **mutation}), mutation
    without_time_field = {k: v for k, v in params.items() if k != "timeField"}
    assert schema_errors(params_schema, without_time_field)


# -------------------------------------------------------------- Elasticsearch fixture --


def rewrite_index(name: str, prefix: str) -> str:
    """parley-statements* -> <prefix>-statements* (the test's own indices)."""
    assert name.startswith(PARLEY_PREFIX), name
    return f"{prefix}-{name[len(PARLEY_PREFIX) :]}"


@dataclass
class Seeded:
    settings: ElasticsearchSettings
    now: datetime
    objects: list[dict[str, Any]]  # data view titles rewritten to the test prefix
    rules: list[dict[str, Any]]  # rule indices rewritten to the test prefix

    @property
    def prefix(self) -> str:
        return self.settings.index_prefix

    def data_view_title(self, view_id: str) -> str:
        (view,) = [o for o in by_type(self.objects, "index-pattern") if o["id"] == view_id]
        title: str = view["attributes"]["title"]
        return title

    def view_of(self, obj: dict[str, Any]) -> dict[str, Any]:
        refs = [r for r in obj["references"] if r["type"] == "index-pattern"]
        (view,) = [o for o in by_type(self.objects, "index-pattern") if o["id"] == refs[0]["id"]]
        return view


def statement(
    sid: str,
    *,
    name: str | None,
    role: str | None,
    organization: str,
    country: str | None,
    official: bool,
    category: str,
    stance: str,
    trigger_text: str,
    quote: str,
    published: datetime,
    indexed: datetime,
    codes: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "statement_id": sid,
        "cluster_id": f"cluster-{sid}",
        "article_id": f"article-{sid}",
        "url": f"https://news.example.org/{sid}",
        "outlet": "news.example.org",
        "title": quote[:40],
        "kind": "direct",
        "quote": {"text": quote, "start": 0, "end": len(quote)},
        "cue": {"text": "said", "start": len(quote) + 2, "end": len(quote) + 6},
        "speaker": {
            "mention": {"text": name or organization, "start": 0, "end": 5},
            "name": name,
            "role": role,
            "organization": organization,
            "country": country,
            "official": official,
        },
        "triggers": [
            {
                "category": category,
                "stance": stance,
                "text": trigger_text,
                "start": 0,
                "end": len(trigger_text),
                "codes": codes or [],
            }
        ],
        "trigger_categories": [category],
        "stances": [stance],
        "has_trigger": True,
        "published_at": published.isoformat(),
        "@timestamp": published.isoformat(),
        "indexed_at": indexed.isoformat(),
    }


def seed_statements(now: datetime) -> list[dict[str, Any]]:
    """Five statements; times are relative to ``now`` so windows can be asserted exactly.

    ``@timestamp`` is publication (what the data views show); ``indexed_at`` is when parley
    stored the statement (what rules watch, so a late-discovered article still alerts).
    """
    return [
        statement(
            "ru-rejects-recent",
            name="Dmitry Peskov",
            role="spokesman",
            organization="Kremlin",
            country="RU",
            official=True,
            category="negotiations",
            stance="negative",
            trigger_text="there is no basis for negotiations",
            quote="There is no basis for negotiations at the moment",
            published=now - timedelta(hours=2),
            indexed=now - timedelta(minutes=3),
            codes=["CAMEO:125"],
        ),
        statement(
            "ua-ceasefire-recent",
            name="Andrii Sybiha",
            role="foreign minister",
            organization="Ministry of Foreign Affairs of Ukraine",
            country="UA",
            official=True,
            category="ceasefire",
            stance="positive",
            trigger_text="ready for a full ceasefire",
            quote="Ukraine is ready for a full ceasefire in the air and at sea",
            published=now - timedelta(hours=1),
            indexed=now - timedelta(minutes=2),
        ),
        statement(
            "media-talks",
            name=None,
            role=None,
            organization="Reuters",
            country=None,
            official=False,
            category="negotiations",
            stance="neutral",
            trigger_text="talks are expected",
            quote="Talks are expected to resume next week, sources said",
            published=now - timedelta(minutes=30),
            indexed=now - timedelta(minutes=1),
        ),
        statement(
            "ru-rejects-old",
            name="Sergei Lavrov",
            role="foreign minister",
            organization="Ministry of Foreign Affairs of Russia",
            country="RU",
            official=True,
            category="negotiations",
            stance="negative",
            trigger_text="we reject these talks",
            quote="We reject these talks on the terms proposed",
            published=now - timedelta(days=3),
            indexed=now - timedelta(days=3),
            codes=["CAMEO:125"],
        ),
        statement(
            "ua-ceasefire-earlier",
            name="Andrii Sybiha",
            role="foreign minister",
            organization="Ministry of Foreign Affairs of Ukraine",
            country="UA",
            official=True,
            category="ceasefire",
            stance="positive",
            trigger_text="calls for a ceasefire",
            quote="We call for an immediate ceasefire",
            published=now - timedelta(hours=5),
            indexed=now - timedelta(hours=5),
        ),
    ]


@pytest.fixture(scope="module")
def seeded(es_client: Elasticsearch) -> Iterator[Seeded]:
    # One seeded prefix for the module (the checks only read); unique so that concurrent runs
    # and other tests never see these documents.
    settings = ElasticsearchSettings(index_prefix=f"t-kibana-{uuid.uuid4().hex[:12]}")
    install_templates(es_client, settings)
    now = datetime.now(UTC).replace(microsecond=0)
    statements_index = settings.index("statements")
    for doc in seed_statements(now):
        es_client.index(index=statements_index, id=doc["statement_id"], document=doc)
    es_client.indices.refresh(index=statements_index)
    objects = load_saved_objects()
    for view in by_type(objects, "index-pattern"):
        view["attributes"]["title"] = rewrite_index(
            view["attributes"]["title"], settings.index_prefix
        )
    rules = load_rules()
    for rule in rules:
        params = rule["body"]["params"]
        params["index"] = [rewrite_index(i, settings.index_prefix) for i in params["index"]]
    try:
        yield Seeded(settings, now, objects, rules)
    finally:
        # Names, not a wildcard: wildcard deletes are refused (action.destructive_requires_name).
        created = [settings.index(name) for name in (*INDICES, KIBANA_ALERTS_INDEX)]
        es_client.indices.delete(index=",".join(created), ignore_unavailable=True)
        for name in INDICES:
            es_client.options(ignore_status=404).indices.delete_index_template(
                name=settings.index(name)
            )


def field_caps(es: Elasticsearch, index: str, fields: list[str]) -> dict[str, dict[str, Any]]:
    caps: dict[str, dict[str, Any]] = es.field_caps(index=index, fields=fields)["fields"]
    return caps


def field_type_problems(
    es: Elasticsearch, index: str, wanted: dict[str, set[str]], *, aggregatable: set[str]
) -> list[str]:
    """``wanted``: field -> acceptable types; ``aggregatable``: fields that must aggregate."""
    caps = field_caps(es, index, sorted(wanted))
    problems = []
    for field, types in sorted(wanted.items()):
        if field not in caps:
            problems.append(f"{index}: no field {field}")
            continue
        if len(caps[field]) != 1:
            problems.append(f"{index}: {field} has conflicting types {sorted(caps[field])}")
            continue
        ((ftype, cap),) = caps[field].items()
        if types and ftype not in types:
            problems.append(f"{index}: {field} is {ftype}, expected one of {sorted(types)}")
        if field in aggregatable and not cap.get("aggregatable"):
            problems.append(f"{index}: {field} is not aggregatable")
    return problems


LUCENE_FIELD = re.compile(r"(?<![\w.@\\])([A-Za-z_@][\w.@]*):")


def lucene_fields(query: str) -> set[str]:
    return set(LUCENE_FIELD.findall(query))


LENS_TYPES = {
    "date_histogram": ({"date", "date_nanos"}, True),
    "terms": ({"keyword", "boolean", "ip", "long", "integer"}, True),
    "count": (set(), False),
}


def wanted_fields(obj: dict[str, Any]) -> tuple[dict[str, set[str]], set[str]]:
    """Fields a saved object uses -> (field: acceptable types, fields that must aggregate)."""
    wanted: dict[str, set[str]] = {}
    aggregatable: set[str] = set()
    attrs = obj["attributes"]
    if obj["type"] == "search":
        for column in attrs.get("columns", []):
            if column != "_source":
                wanted.setdefault(column, set())
        for field, _direction in attrs.get("sort", []):
            wanted.setdefault(field, set())
            aggregatable.add(field)
        for field in lucene_fields(search_source(obj)["query"]["query"]):
            wanted.setdefault(field, set())
    if obj["type"] == "lens":
        for layer in lens_layers(obj).values():
            for column in layer["columns"].values():
                if column.get("sourceField") in (None, "___records___"):
                    continue
                types, must_aggregate = LENS_TYPES[column["operationType"]]
                wanted[column["sourceField"]] = types
                if must_aggregate:
                    aggregatable.add(column["sourceField"])
        for field in lucene_fields(attrs["state"]["query"]["query"]):
            wanted.setdefault(field, set())
    return wanted, aggregatable


def query_fields(node: Any) -> set[str]:
    """Field names used by term/terms/range/match/exists clauses of a Query DSL tree."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("term", "terms", "range", "match", "match_phrase", "prefix", "wildcard"):
                found |= {f for f in value if f not in ("boost", "_name")}
            elif key == "exists":
                found.add(value["field"])
            else:
                found |= query_fields(value)
    elif isinstance(node, list):
        for item in node:
            found |= query_fields(item)
    return found


# ------------------------------------------------------------------ Elasticsearch tests --


@pytest.mark.integration
def test_data_views_resolve_with_a_date_time_field(
    es_client: Elasticsearch, seeded: Seeded
) -> None:
    for view in by_type(seeded.objects, "index-pattern"):
        title = view["attributes"]["title"]
        resolved = es_client.indices.resolve_index(name=title)
        assert resolved["indices"] or resolved["aliases"] or resolved["data_streams"], title
        time_field = view["attributes"]["timeFieldName"]
        caps = field_caps(es_client, title, [time_field])
        assert time_field in caps, title
        assert set(caps[time_field]) <= DATE_TYPES, (title, caps[time_field])


@pytest.mark.integration
def test_every_field_used_exists_with_a_fitting_type(
    es_client: Elasticsearch, seeded: Seeded
) -> None:
    problems = []
    for obj in seeded.objects:
        if obj["type"] not in ("search", "lens"):
            continue
        wanted, aggregatable = wanted_fields(obj)
        assert wanted, obj["id"]
        title = seeded.view_of(obj)["attributes"]["title"]
        problems += field_type_problems(es_client, title, wanted, aggregatable=aggregatable)
    for rule in seeded.rules:
        params = rule["body"]["params"]
        es_query = json.loads(params["esQuery"])
        wanted = {params["timeField"]: DATE_TYPES}
        wanted |= {f: set() for f in query_fields(es_query["query"])}
        wanted |= {f: set() for f in es_query.get("_source", [])}
        for index in params["index"]:
            problems += field_type_problems(
                es_client, index, wanted, aggregatable={params["timeField"]}
            )
    assert problems == []


@pytest.mark.integration
def test_field_check_reports_unknown_fields_and_wrong_types(
    es_client: Elasticsearch, seeded: Seeded
) -> None:
    index = seeded.settings.index("statements")
    problems = field_type_problems(
        es_client,
        index,
        {"speaker.nickname": set(), "quote.text": {"keyword"}, "title": set()},
        aggregatable={"title"},
    )
    assert problems == [
        f"{index}: quote.text is text, expected one of ['keyword']",
        f"{index}: no field speaker.nickname",
        f"{index}: title is not aggregatable",
    ]


def kibana_search_body(query: str, time_field: str, time_range: dict[str, str] | None) -> Any:
    """The request Discover sends for a Lucene saved search (query_string + time filter)."""
    filters: list[dict[str, Any]] = []
    if time_range:
        filters.append(
            {
                "range": {
                    time_field: {
                        "gte": time_range["from"],
                        "lte": time_range["to"],
                        "format": "strict_date_optional_time",
                    }
                }
            }
        )
    return {
        "bool": {
            "must": [{"query_string": {"query": query, "analyze_wildcard": True}}],
            "filter": filters,
        }
    }


SAVED_SEARCH_HITS = {
    # Officials, negotiations, published in the last 24 h: not the 3-day-old rejection, not
    # the unofficial media report.
    "parley-officials-on-talks-24h": {"ru-rejects-recent"},
    # No stored time range: every ceasefire statement, official or not, old or new.
    "parley-ceasefire-triggers": {"ua-ceasefire-recent", "ua-ceasefire-earlier"},
    "parley-rejections-of-talks": {"ru-rejects-recent", "ru-rejects-old"},
}


@pytest.mark.integration
def test_saved_searches_validate_and_return_the_expected_statements(
    es_client: Elasticsearch, seeded: Seeded
) -> None:
    searches = by_type(seeded.objects, "search")
    assert {s["id"] for s in searches} == set(SAVED_SEARCH_HITS)
    for search in searches:
        view = seeded.view_of(search)
        title = view["attributes"]["title"]
        query = search_source(search)["query"]["query"]
        validation = es_client.indices.validate_query(
            index=title,
            explain=True,
            query={"query_string": {"query": query, "analyze_wildcard": True}},
        )
        assert validation["valid"], (search["id"], validation)
        attrs = search["attributes"]
        time_range = attrs.get("timeRange") if attrs.get("timeRestore") else None
        body = kibana_search_body(query, view["attributes"]["timeFieldName"], time_range)
        sort = [{field: {"order": direction}} for field, direction in attrs["sort"]]
        result = es_client.search(index=title, query=body, sort=sort, size=100)
        got = [hit["_id"] for hit in result["hits"]["hits"]]
        assert set(got) == SAVED_SEARCH_HITS[search["id"]], search["id"]
        published = [hit["_source"]["@timestamp"] for hit in result["hits"]["hits"]]
        assert published == sorted(published, reverse=True), "sort @timestamp desc"


@pytest.mark.integration
def test_an_invalid_lucene_query_is_reported(es_client: Elasticsearch, seeded: Seeded) -> None:
    result = es_client.indices.validate_query(
        index=seeded.settings.index("statements"),
        explain=True,
        query={"query_string": {"query": "triggers.category:(ceasefire", "analyze_wildcard": True}},
    )
    assert result["valid"] is False


def run_rule(
    es: Elasticsearch, params: dict[str, Any], latest_timestamp: str | None = None
) -> tuple[bool, list[str], str | None]:
    """One execution of an esQuery rule as Kibana's executor builds it (ALERTING_NOTES §3).

    Returns (alert fires, hit ids, the latest timestamp the next run would exclude up to).
    """
    es_query = json.loads(params["esQuery"])
    time_field = params["timeField"]
    query = es_query["query"]
    if latest_timestamp and params.get("excludeHitsFromPreviousRun", True):
        previous = {
            "range": {time_field: {"lte": latest_timestamp, "format": "strict_date_optional_time"}}
        }
        query = {
            "bool": {"filter": [query, {"bool": {"must_not": [{"bool": {"filter": [previous]}}]}}]}
        }
    window = f"now-{params['timeWindowSize']}{params['timeWindowUnit']}"
    time_filter = {
        "range": {time_field: {"gte": window, "lte": "now", "format": "strict_date_optional_time"}}
    }
    result = es.search(
        index=params["index"],
        allow_no_indices=True,
        ignore_unavailable=True,
        size=params["size"],
        track_total_hits=True,
        query={"bool": {"filter": [query, {"bool": {"filter": [time_filter]}}]}},
        sort=[{time_field: {"order": "desc", "format": "strict_date_optional_time||epoch_millis"}}],
        docvalue_fields=[{"field": time_field, "format": "strict_date_optional_time"}],
        source=es_query.get("_source", True),
    )
    value = result["hits"]["total"]["value"]
    threshold = params["threshold"]
    fires = {
        ">": value > threshold[0],
        ">=": value >= threshold[0],
        "<": value < threshold[0],
        "<=": value <= threshold[0],
        "between": len(threshold) == 2 and threshold[0] <= value <= threshold[1],
        "notBetween": len(threshold) == 2 and not threshold[0] <= value <= threshold[1],
    }[params["thresholdComparator"]]
    hits = result["hits"]["hits"]
    latest = hits[0]["sort"][0] if hits else latest_timestamp
    return fires, [h["_id"] for h in hits], latest


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


RULE_HITS = {
    # Indexed within the 10-minute window: the fresh rejection only (the older one is outside
    # the window, the media report is not official).
    "6a1f0b3e-2c4d-4e5f-8a7b-9c0d1e2f3a01": ["ru-rejects-recent"],
    # The ceasefire statement indexed 5 h ago is outside the window.
    "6a1f0b3e-2c4d-4e5f-8a7b-9c0d1e2f3a02": ["ua-ceasefire-recent"],
}


@pytest.mark.integration
def test_rules_fire_on_new_matches_and_not_again(es_client: Elasticsearch, seeded: Seeded) -> None:
    assert {r["id"] for r in seeded.rules} == set(RULE_HITS)
    for rule in seeded.rules:
        params = rule["body"]["params"]
        es_query = json.loads(params["esQuery"])
        for index in params["index"]:
            validation = es_client.indices.validate_query(
                index=index, explain=True, query=es_query["query"]
            )
            assert validation["valid"], (rule["id"], validation)
        fires, hits, latest = run_rule(es_client, params)
        assert fires, rule["body"]["name"]
        assert hits == RULE_HITS[rule["id"]], rule["body"]["name"]
        hit = es_client.get(index=params["index"][0], id=hits[0])["_source"]
        assert latest is not None
        assert parse_time(latest) == parse_time(hit[params["timeField"]])
        # Next run: excludeHitsFromPreviousRun hides what already alerted.
        fires_again, hits_again, _ = run_rule(es_client, params, latest)
        assert (fires_again, hits_again) == (False, []), rule["body"]["name"]


LENS_EXPECTED = {
    # Statements without a speaker country (the media report) are not a bucket.
    "parley-statements-by-country": {"speaker.country": {"RU": 2, "UA": 2}},
    "parley-statements-by-stance": {"stances": {"negative": 2, "positive": 2, "neutral": 1}},
    "parley-top-speakers": {
        "speaker.name.keyword": {"Andrii Sybiha": 2, "Dmitry Peskov": 1, "Sergei Lavrov": 1}
    },
    "parley-trigger-categories": {"trigger_categories": {"negotiations": 3, "ceasefire": 2}},
}


def lens_aggregation(layer: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The aggregation Lens runs for a form-based layer: bucket columns nested in order."""
    buckets = [
        layer["columns"][c] for c in layer["columnOrder"] if layer["columns"][c]["isBucketed"]
    ]
    aggs: dict[str, Any] = {}
    names = []
    for n, column in reversed(list(enumerate(buckets))):
        name = f"b{n}"
        if column["operationType"] == "terms":
            body: dict[str, Any] = {
                "terms": {"field": column["sourceField"], "size": column["params"]["size"]}
            }
        elif column["operationType"] == "date_histogram":
            body = {"date_histogram": {"field": column["sourceField"], "fixed_interval": "1h"}}
        else:
            raise AssertionError(f"unexpected bucket operation {column['operationType']}")
        if aggs:
            body["aggs"] = aggs
        aggs = {name: body}
        names.insert(0, column["sourceField"])
    return aggs, names


def flatten(aggs: dict[str, Any], depth: int = 0) -> list[tuple[Any, ...]]:
    """Aggregation result -> rows of (bucket keys..., doc_count)."""
    rows: list[tuple[Any, ...]] = []
    for bucket in aggs[f"b{depth}"]["buckets"]:
        key = bucket.get("key_as_string", bucket["key"])
        if f"b{depth + 1}" in bucket:
            rows += [(key, *rest) for rest in flatten(bucket, depth + 1)]
        else:
            rows.append((key, bucket["doc_count"]))
    return rows


@pytest.mark.integration
def test_lens_layers_aggregate_the_seeded_statements(
    es_client: Elasticsearch, seeded: Seeded
) -> None:
    lenses = by_type(seeded.objects, "lens")
    assert {lens["id"] for lens in lenses} == set(LENS_EXPECTED)
    for lens in lenses:
        title = seeded.view_of(lens)["attributes"]["title"]
        ((field, expected),) = LENS_EXPECTED[lens["id"]].items()
        for layer in lens_layers(lens).values():
            aggs, fields = lens_aggregation(layer)
            result = es_client.search(
                index=title,
                size=0,
                aggs=aggs,
                query={
                    "query_string": {"query": lens["attributes"]["state"]["query"]["query"] or "*"}
                },
            )
            totals: Counter[str] = Counter()
            for row in flatten(result["aggregations"]):
                totals[row[fields.index(field)]] += row[-1]
            assert dict(totals) == expected, lens["id"]


def render_mustache(template: Any, context: dict[str, str]) -> Any:
    if isinstance(template, str):
        return re.sub(r"{{\s*([\w.]+)\s*}}", lambda m: context[m.group(1)], template)
    if isinstance(template, dict):
        return {k: render_mustache(v, context) for k, v in template.items()}
    if isinstance(template, list):
        return [render_mustache(v, context) for v in template]
    return template


@pytest.mark.integration
def test_index_connector_documents_are_accepted(es_client: Elasticsearch, seeded: Seeded) -> None:
    """What the .index connector writes when a rule fires is indexable, with a date time field."""
    connectors = {c["id"]: c["body"] for c in load_connectors()}
    (index_connector,) = [c for c in connectors.values() if c["connector_type_id"] == ".index"]
    target = rewrite_index(index_connector["config"]["index"], seeded.prefix)
    assert target == seeded.settings.index(KIBANA_ALERTS_INDEX)
    time_field = index_connector["config"]["executionTimeField"]
    rendered = 0
    for rule in seeded.rules:
        context = {
            "rule.id": rule["id"],
            "rule.name": rule["body"]["name"],
            "alert.id": "query matched",
            "context.value": "1",
            "context.date": seeded.now.isoformat(),
            "context.message": "Document count is 1 in the last 10m.",
            "context.link": "http://localhost:5601/app/management/insightsAndAlerting",
        }
        for action in rule["body"]["actions"]:
            connector = connectors[action["id"]]
            if connector["connector_type_id"] != ".index":
                continue
            for template in action["params"]["documents"]:
                doc = render_mustache(template, context)
                doc[time_field] = seeded.now.isoformat()
                es_client.index(index=target, document=doc, op_type="create", refresh=True)
                rendered += 1
    assert rendered == len(seeded.rules)
    caps = field_caps(es_client, target, [time_field, "rule_id"])
    assert set(caps[time_field]) == {"date"}
    assert es_client.count(index=target)["count"] == rendered
