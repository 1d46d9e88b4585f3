"""What `parley up` plans to run and the settings it hands its workers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import typer

from ingest.feeds import load_feeds
from parley.config import load_settings
from parley.runtime_paths import RuntimePaths
from parley.up_cli import (
    DEFAULT_FEEDS_FILE,
    UpOptions,
    parse_worker_option,
    plan_workers,
    where_to_look,
)


@pytest.fixture
def paths(tmp_path: Path) -> RuntimePaths:
    return RuntimePaths(tmp_path)


def test_default_plan_runs_every_worker_with_the_demo(
    paths: RuntimePaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARLEY_API_TOKEN", raising=False)
    settings = load_settings(services={"data_dir": str(paths.data_dir)})
    plan = plan_workers(settings, paths, UpOptions(), None)

    by_name = {s.name: s for s in plan.specs}
    assert list(by_name) == ["replay", "demo-webhook", "poller", "pipeline", "dispatcher", "api"]
    assert by_name["poller"].argv == [sys.executable, "-m", "parley", "poll"]
    assert by_name["dispatcher"].argv[-2:] == ["alerts", "dispatch"]
    assert by_name["pipeline"].log_path == paths.log_dir / "pipeline.log"
    assert by_name["poller"].env == {"PARLEY_METRICS__PORT": "9464"}
    assert by_name["pipeline"].env == {
        "PARLEY_METRICS__PORT": "9465",
        "PARLEY_PIPELINE__INSTANCE_ID": "{hostname}-pipeline",  # a static group member
    }
    assert "--secret-file" in by_name["demo-webhook"].argv

    env = plan.env
    assert env["PARLEY_LOG__FORMAT"] == "json"
    assert env["PARLEY_INGEST__ASSIGNMENT"] == "file"
    assert json.loads(env["PARLEY_HTTP__ALLOW_PRIVATE_NETWORKS"]) == ["127.0.0.1/32"]
    assert env["PARLEY_ALERTS__SIGNING_SECRETS__DEMO__FILE"] == str(paths.demo_secret_file)
    assert env["PARLEY_ALERTS__API__TOKEN__FILE"] == str(paths.api_token_file)
    for secret in (paths.demo_secret_file, paths.api_token_file):
        assert secret.stat().st_mode & 0o777 == 0o600
        assert len(secret.read_text()) >= 32

    feeds = load_feeds(Path(env["PARLEY_INGEST__FEEDS_FILE"]))
    assert len(feeds) == len(load_feeds(DEFAULT_FEEDS_FILE)) + 1
    replay = feeds[-1]
    assert replay.url == "http://127.0.0.1:8765/feed.xml"
    assert replay.min_interval is not None and replay.min_interval <= 5


def test_user_settings_are_respected(
    paths: RuntimePaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_API_TOKEN", "configured-token")
    own_feeds = tmp_path / "feeds.yaml"
    own_feeds.write_text("feeds:\n  - url: https://news.example.org/rss\n    outlet: Example\n")
    settings = load_settings(
        services={"data_dir": str(paths.data_dir)},
        ingest={"feeds_file": str(own_feeds), "assignment": "kafka"},
        http={"allow_private_networks": ["10.1.0.0/16"]},
        alerts={"api": {"token": {"env": "MY_API_TOKEN"}}},
        metrics={"port": 9600},
    )
    plan = plan_workers(settings, paths, UpOptions(demo=False), Path("my.yaml"))

    assert [s.name for s in plan.specs] == ["poller", "pipeline", "dispatcher", "api"]
    assert plan.env["PARLEY_CONFIG"] == str(Path("my.yaml").resolve())
    assert "PARLEY_INGEST__ASSIGNMENT" not in plan.env
    assert "PARLEY_HTTP__ALLOW_PRIVATE_NETWORKS" not in plan.env
    assert "PARLEY_ALERTS__API__TOKEN__FILE" not in plan.env
    assert not paths.api_token_file.exists()
    assert [f.url for f in load_feeds(plan.feeds_file)] == ["https://news.example.org/rss"]
    assert plan.metrics_ports == {"poller": 9600, "pipeline": 9601, "dispatcher": 9602, "api": 9603}

    with_demo = plan_workers(settings, paths, UpOptions(), None)
    assert json.loads(with_demo.env["PARLEY_HTTP__ALLOW_PRIVATE_NETWORKS"]) == [
        "10.1.0.0/16",
        "127.0.0.1/32",
    ]


def test_worker_option_replaces_or_adds_workers(paths: RuntimePaths) -> None:
    settings = load_settings(services={"data_dir": str(paths.data_dir)})
    options = UpOptions(
        demo=False,
        workers=(
            parse_worker_option("pipeline=python -m my.pipeline --runner 'Flink Runner'"),
            parse_worker_option("extra-poller=parley poll"),
        ),
    )
    specs = {s.name: s for s in plan_workers(settings, paths, options, None).specs}
    assert specs["pipeline"].argv == ["python", "-m", "my.pipeline", "--runner", "Flink Runner"]
    assert specs["extra-poller"].argv == ["parley", "poll"]
    assert specs["extra-poller"].log_path == paths.log_dir / "extra-poller.log"
    for bad in ("no-command=", "=parley poll", "just-a-name", "bad name=x"):
        with pytest.raises(typer.BadParameter):
            parse_worker_option(bad)


def test_where_to_look_names_every_place(
    paths: RuntimePaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARLEY_API_TOKEN", raising=False)
    settings = load_settings(services={"data_dir": str(paths.data_dir)})
    options = UpOptions()
    plan = plan_workers(settings, paths, options, None)

    text = where_to_look(settings, paths, options, plan, interactive=True)
    for expected in (
        "http://127.0.0.1:9200",
        "parley search",
        "parley status",
        "poller :9464  pipeline :9465  dispatcher :9466  api :9467",
        f"token in {paths.api_token_file}",
        f"{paths.log_dir}/<worker>.log",
        str(paths.demo_alerts),
        "http://127.0.0.1:8765/feed.xml",
        "Ctrl-C, or `parley down` (also stops Kafka and Elasticsearch)",
    ):
        assert expected in text, expected
    assert settings.elasticsearch.index("*") in text

    detached = where_to_look(
        settings, paths, UpOptions(services=False, demo=False), plan, interactive=False
    )
    assert "Ctrl-C" not in detached and "also stops" not in detached
    assert "demo alerts" not in detached
    # Kafka and Elasticsearch that were running before `parley up` are left to their owner.
    borrowed = where_to_look(settings, paths, options, plan, interactive=True, owns_services=False)
    assert "parley down" in borrowed and "also stops" not in borrowed
