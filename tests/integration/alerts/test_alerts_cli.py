"""``parley subscribe …`` and ``parley alerts list`` against the real Elasticsearch, run as the
installed command in a child process (as a user runs it)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml
from elasticsearch import Elasticsearch
from support.alerting import index_statements, seed_text, statement_docs

from parley.config import Settings

PARLEY = str(Path(sys.executable).with_name("parley"))


def config_file(settings: Settings, tmp_path: Path) -> Path:
    path = tmp_path / "parley.yaml"
    data = {
        "elasticsearch": {
            "hosts": settings.elasticsearch.hosts,
            "index_prefix": settings.elasticsearch.index_prefix,
        },
        "kafka": {"bootstrap_servers": settings.kafka.bootstrap_servers},
        "http": {"allow_private_networks": settings.http.allow_private_networks},
        "alerts": settings.alerts,
    }
    path.write_text(yaml.safe_dump(data))
    return path


def test_subscribe_commands(
    make_settings: Callable[..., Settings], tmp_path: Path, es_client: Elasticsearch
) -> None:
    settings = make_settings()
    config = config_file(settings, tmp_path)

    def parley(*args: str) -> tuple[int, str, str]:
        result = subprocess.run(
            [PARLEY, "--config", str(config), "--log-format", "console", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        return result.returncode, result.stdout, result.stderr

    code, _, err = parley(
        "subscribe", "create", "--name", "broken", "--query", "speaker.name:(Putin AND",
        "--email", "desk@example.org",
    )  # fmt: skip
    assert code == 2
    assert "invalid query 'speaker.name:(Putin AND'" in err

    code, _, err = parley(
        "subscribe", "create", "--name", "internal", "--query", "talks",
        "--webhook", "http://10.0.0.1/hook",
    )  # fmt: skip
    assert code == 2 and "10.0.0.1" in err and "refused" in err

    code, out, err = parley(
        "subscribe", "create", "--name", "talks by Russian officials",
        "--country", "ru", "--officials-only", "--category", "negotiations",
        "--email", "desk@example.org", "--max-per-hour", "10", "--json",
    )  # fmt: skip
    assert code == 0, err
    sub = json.loads(out)
    assert sub["filters"]["countries"] == ["RU"]
    assert sub["delivery"]["rate_limit"] == {"max_alerts": 10, "period_seconds": 3600}

    code, out, _ = parley("subscribe", "list", "--json")
    assert code == 0
    assert [json.loads(line)["subscription_id"] for line in out.splitlines()] == [
        sub["subscription_id"]
    ]

    index = settings.elasticsearch.index("statements")
    index_statements(es_client, index, statement_docs(seed_text()))
    es_client.indices.refresh(index=index)
    code, out, _ = parley("subscribe", "test", sub["subscription_id"])
    assert code == 0 and out.startswith("4 statements match")

    code, out, _ = parley(
        "subscribe", "update", sub["subscription_id"], "--stance", "negative", "--disable",
        "--json",
    )  # fmt: skip
    assert code == 0
    updated = json.loads(out)
    assert updated["enabled"] is False
    assert updated["filters"]["stances"] == ["negative"]
    assert updated["filters"]["countries"] == ["RU"]  # kept
    code, out, _ = parley("subscribe", "test", sub["subscription_id"])
    assert out.startswith("1 statement match")

    code, out, _ = parley("subscribe", "delete", sub["subscription_id"])
    assert code == 0
    code, _, err = parley("subscribe", "show", sub["subscription_id"])
    assert code == 1 and "no subscription" in err

    code, out, _ = parley("alerts", "list")
    assert code == 0 and out == ""
