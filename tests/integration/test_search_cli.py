"""`parley search` against the real Elasticsearch node, on seeded statements in private indices."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from parley.cli import app
from parley.config import ElasticsearchSettings, configure
from parley.search import IndexKind, SearchError, TimeRange, run_search, time_range
from sinks.elasticsearch.setup import install_templates
from sinks.elasticsearch.templates import INDICES

NOW = datetime.now(UTC).replace(microsecond=0)


def statement(
    sid: str,
    *,
    quote: str,
    name: str,
    country: str,
    category: str,
    stance: str,
    age: timedelta,
    official: bool = True,
    outlet: str = "Test Wire",
) -> dict[str, Any]:
    when = (NOW - age).isoformat()
    return {
        "statement_id": sid,
        "cluster_id": f"c-{sid}",
        "article_id": f"a-{sid}",
        "kind": "direct",
        "quote": {"text": quote, "start": 0, "end": len(quote)},
        "speaker": {
            "name": name,
            "role": "spokesman",
            "organization": "Kremlin" if country == "RU" else "Foreign Ministry",
            "country": country,
            "official": official,
        },
        "triggers": [{"category": category, "stance": stance, "text": category}],
        "trigger_categories": [category],
        "stances": [stance],
        "has_trigger": True,
        "outlet": outlet,
        "url": f"https://news.example.org/{sid}",
        "@timestamp": when,
        "published_at": when,
    }


SEED = [
    statement(
        "ru-ceasefire",
        quote="A ceasefire is possible only if the conditions are met",
        name="Pavel Voronin",
        country="RU",
        category="ceasefire",
        stance="neutral",
        age=timedelta(hours=2),
    ),
    statement(
        "ru-talks",
        quote="We remain open to talks in Istanbul",
        name="Pavel Voronin",
        country="RU",
        category="negotiations",
        stance="positive",
        age=timedelta(hours=1),
    ),
    statement(
        "ua-ceasefire",
        quote="A full ceasefire must come before any summit",
        name="Olena Kovalchuk",
        country="UA",
        category="ceasefire",
        stance="positive",
        age=timedelta(hours=3),
    ),
    statement(
        "ru-ceasefire-old",
        quote="The ceasefire proposal is unacceptable",
        name="Irina Sokolova",
        country="RU",
        category="ceasefire",
        stance="negative",
        age=timedelta(days=3),
    ),
]


@pytest.fixture
def prefix(unique_name: str, es_client: Elasticsearch) -> Iterator[str]:
    prefix = f"t-{unique_name}"
    es = ElasticsearchSettings(index_prefix=prefix)
    install_templates(es_client, es)
    for doc in SEED:
        es_client.index(index=es.index("statements"), id=doc["statement_id"], document=doc)
    es_client.indices.refresh(index=es.index("statements"))
    yield prefix
    for name in INDICES:
        es_client.indices.delete(index=es.index(name), ignore_unavailable=True)
        es_client.options(ignore_status=404).indices.delete_index_template(name=es.index(name))


@pytest.fixture
def cli(es_client: Elasticsearch) -> Iterator[CliRunner]:
    yield CliRunner()
    configure()  # the CLI replaced the process-wide settings; restore them from the environment


def invoke(runner: CliRunner, prefix: str, *args: str) -> Any:
    return runner.invoke(
        app,
        ["search", *args],
        env={"PARLEY_ELASTICSEARCH__INDEX_PREFIX": prefix, "COLUMNS": "250"},
    )


def test_query_string_with_fields_finds_exactly_the_matching_statements(
    es_client: Elasticsearch, prefix: str
) -> None:
    es = ElasticsearchSettings(index_prefix=prefix)
    result = run_search(es_client, es, "ceasefire AND speaker.country:RU")
    assert result.index == f"{prefix}-statements"
    assert result.total == 2
    # Newest first.
    assert [h["_id"] for h in result.hits] == ["ru-ceasefire", "ru-ceasefire-old"]
    assert result.hits[0]["highlight"]["quote.text"] == [
        "A \x02ceasefire\x03 is possible only if the conditions are met"
    ]

    recent = run_search(
        es_client, es, "triggers.category:ceasefire", window=time_range("24h", None, None)
    )
    assert sorted(h["_id"] for h in recent.hits) == ["ru-ceasefire", "ua-ceasefire"]

    explicit = run_search(
        es_client,
        es,
        "*",
        window=TimeRange(gte=(NOW - timedelta(hours=2, minutes=30)).isoformat(), lte="now"),
        size=1,
    )
    assert explicit.total == 2 and len(explicit.hits) == 1
    assert explicit.hits[0]["_id"] == "ru-talks"


def test_json_output(cli: CliRunner, prefix: str) -> None:
    result = invoke(cli, prefix, "ceasefire AND speaker.country:RU", "--json", "--since", "24h")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == 1
    (hit,) = data["hits"]
    assert hit["_id"] == "ru-ceasefire"
    assert hit["speaker"]["name"] == "Pavel Voronin"
    assert hit["highlight"]["quote.text"] == [
        "A <em>ceasefire</em> is possible only if the conditions are met"
    ]


def test_table_shows_speaker_role_country_stance_quote_outlet_and_link(
    cli: CliRunner, prefix: str
) -> None:
    result = invoke(cli, prefix, "speaker.country:UA")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1 hit in" in out
    for expected in (
        "Olena Kovalchuk",
        "spokesman Foreign Ministry",
        "UA · official",
        "ceasefire+",
        "A full ceasefire must come before any summit",
        "Test Wire",
        "https://news.example.org/ua-ceasefire",
        (NOW - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M"),
    ):
        assert expected in out, expected
    assert "Voronin" not in out


def test_invalid_query_is_explained(cli: CliRunner, prefix: str) -> None:
    result = invoke(cli, prefix, "speaker.country:(RU")
    assert result.exit_code == 2
    assert "invalid query 'speaker.country:(RU'" in result.stderr
    assert "syntax error at column" in result.stderr
    assert "Exception" not in result.stderr and "org.apache" not in result.stderr
    assert "Traceback" not in result.output


def test_bad_time_options_and_missing_index_are_reported(
    cli: CliRunner, prefix: str, es_client: Elasticsearch
) -> None:
    bad = invoke(cli, prefix, "*", "--since", "yesterday")
    assert bad.exit_code == 2 and "not a duration" in bad.stderr
    both = invoke(cli, prefix, "*", "--since", "1h", "--from", "now-2h")
    assert both.exit_code == 2 and "either --since or --from" in both.stderr
    with pytest.raises(SearchError, match="does not exist yet"):
        run_search(
            es_client,
            ElasticsearchSettings(index_prefix=f"{prefix}-none"),
            "*",
            kind=IndexKind.alerts,
        )
