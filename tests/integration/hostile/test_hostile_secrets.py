"""Sentinel secrets in every configuration source — inline in the YAML file, in ``PARLEY_*``
environment variables and referenced variables, in ``*_file`` files, in the Elasticsearch URL —
and every command that reads the configuration, run as its own process against the real Kafka
and Elasticsearch: no sentinel appears in any output or log, in any spelling a client would use
(as given, base64 in a basic-auth header, URL-encoded)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from support.alerting import free_port, wait_until

from parley.config import REPO_ROOT, Settings
from sinks.elasticsearch.templates import INDICES

pytestmark = [pytest.mark.slow]


class Sentinels:
    """One unique value per secret; ``leaks(text)`` names those found in ``text``."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def __call__(self, what: str) -> str:
        value = f"SNTNL{what.upper()}{uuid.uuid4().hex[:10]}"
        self.values[what] = value
        return value

    def spellings(self) -> dict[str, str]:
        out = {}
        for what, value in self.values.items():
            out[what] = value
            out[f"{what} (url-encoded)"] = quote(value, safe="")
            out[f"{what} (base64)"] = base64.b64encode(value.encode()).decode()
            out[f"{what} (basic auth)"] = base64.b64encode(f"elastic:{value}".encode()).decode()
        return out

    def leaks(self, text: str) -> list[str]:
        found = [what for what, spelled in self.spellings().items() if spelled in text]
        return found + (["SNTNL prefix"] if not found and "SNTNL" in text else [])


@pytest.fixture
def sentinel_config(
    tmp_path: Path, settings: Settings, es_client: Elasticsearch, unique_name: str
) -> Iterator[tuple[Sentinels, dict[str, str], Path]]:
    secret = Sentinels()
    files = tmp_path / "secrets"
    files.mkdir()

    def secret_file(what: str) -> str:
        path = files / what
        path.write_text(secret(what) + "\n", encoding="utf-8")
        return str(path)

    es_host = settings.elasticsearch.hosts.split(",")[0].strip().split("://", 1)[-1]
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: http://127.0.0.1:9/rss\n", encoding="utf-8")
    article = tmp_path / "article.txt"
    article.write_text('Kremlin spokesman Dmitry Peskov said: "We are open to talks."\n')
    api_port = free_port()
    config = {
        "kafka": {
            "bootstrap_servers": settings.kafka.bootstrap_servers,
            # Held by the configuration without SASL switched on: never used, never shown.
            "sasl_password": secret("kafka-yaml"),
            "topics": {
                name: f"{unique_name}.{name}" for name in ("articles", "alerts", "deadletter")
            },
        },
        "elasticsearch": {
            "hosts": f"http://elastic:{secret('es-url')}@{es_host}",
            "api_key_file": secret_file("es-api-key-file"),
            "index_prefix": f"t-{unique_name}",
        },
        "services": {"data_dir": str(tmp_path / "var")},
        "http": {"allow_private_networks": ["127.0.0.1/32"]},
        "metrics": {"enabled": False},
        "ingest": {
            "assignment": "file",
            "feeds_file": str(feeds),
            "state_dir": str(tmp_path / "ingest"),
            "fetch_articles": False,
        },
        "pipeline": {"group_id": f"{unique_name}-pipeline", "bounded": True},
        "alerts": {
            "signing_secret": {"value": secret("signing-yaml")},
            "signing_secrets": {"desk": {"env": "SENTINEL_DESK_SIGNING"}},
            "smtp": {
                "host": "127.0.0.1",
                "port": free_port(),
                "starttls": True,
                "username": "parley",
                "password": {"file": secret_file("smtp-file")},
            },
            "api": {
                "host": "127.0.0.1",
                "port": api_port,
                "token": {"value": secret("api-admin-yaml")},
                "tokens": [{"owner": "desk", "token": {"file": secret_file("api-desk-file")}}],
            },
            "dispatcher": {"group_id": f"{unique_name}-dispatcher"},
        },
    }
    path = tmp_path / "parley.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    env = {
        **os.environ,
        "PARLEY_CONFIG": str(path),
        "PARLEY_ELASTICSEARCH__PASSWORD": secret("es-password-env"),
        "PARLEY_ELASTICSEARCH__USERNAME": "elastic",
        "PARLEY_KAFKA__SASL_PASSWORD_FILE": secret_file("kafka-file"),
        "SENTINEL_DESK_SIGNING": secret("signing-env"),
        "PARLEY_LOG__FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PARLEY_API_TOKEN", None)
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers.split(","))
    admin.create_topics(
        [NewTopic(f"{unique_name}.{n}", 1, 1) for n in ("articles", "alerts", "deadletter")]
    )
    yield secret, env, article
    admin.delete_topics([f"{unique_name}.{n}" for n in ("articles", "alerts", "deadletter")])
    admin.close()
    for name in (*INDICES, "matching"):
        index = f"t-{unique_name}-{name}"
        es_client.indices.delete(index=index, ignore_unavailable=True)
        es_client.options(ignore_status=404).indices.delete_index_template(name=index)


def parley(env: dict[str, str], *args: str, timeout: float = 120) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "parley", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def long_running(
    env: dict[str, str], *args: str, run_s: float, during: Any = None
) -> tuple[int, str]:
    """Start a worker command, let it run (``during`` is called meanwhile), stop it with
    SIGTERM as a supervisor would; returns its exit code and everything it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "parley", *args],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(run_s)
        if during is not None:
            during()
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=60)
    return process.returncode, out


def test_no_command_shows_a_secret_from_any_configuration_source(
    sentinel_config: tuple[Sentinels, dict[str, str], Path],
) -> None:
    secret, env, article = sentinel_config
    outputs: dict[str, str] = {}

    def run(*args: str, expect: tuple[int, ...] = (0,), timeout: float = 120) -> str:
        code, out = parley(env, *args, timeout=timeout)
        assert code in expect, f"parley {' '.join(args)} exited {code}:\n{out[-3000:]}"
        outputs[" ".join(args)] = out
        return out

    run("setup")
    run("status", "--json", "--timeout", "5", expect=(0, 1))
    run("status", "--timeout", "5", expect=(0, 1))
    run("search", "*")
    run("search", "*", "--json")
    run("search", "speaker.name:(Putin AND", expect=(2,))
    run("subscribe", "create", "--name", "talks", "--category", "negotiations",
        "--email", "desk@example.org")  # fmt: skip
    run("subscribe", "create", "--name", "bad", "--query", "a AND (",
        "--email", "desk@example.org", expect=(2,))  # fmt: skip
    run("subscribe", "list")
    run("subscribe", "list", "--json")
    run("alerts", "list")
    run("feeds", "list")
    run("feeds", "status", expect=(0, 1))  # 1: no poller state yet
    run("feeds", "status", "--json", expect=(0, 1))
    run("services", "status", expect=(0, 1, 3))
    run("extract", str(article), "--json")
    run("poll", "--once", timeout=180)
    run("feeds", "status", "--json")  # now there is poller state
    run("pipeline", "--bounded", timeout=300)

    port = json.loads(Path(env["PARLEY_CONFIG"]).read_text())["alerts"]["api"]["port"]

    def requests() -> None:
        base = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: _answers(f"{base}/healthz"), timeout=30)
        admin = secret.values["api-admin-yaml"]
        ok = httpx.get(f"{base}/v1/subscriptions", headers={"Authorization": f"Bearer {admin}"})
        assert ok.status_code == 200
        wrong = httpx.get(f"{base}/v1/subscriptions", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401

    code, outputs["alerts api"] = long_running(env, "alerts", "api", run_s=3, during=requests)
    code, outputs["alerts dispatch"] = long_running(env, "alerts", "dispatch", run_s=8)
    assert "dispatcher_starting" in outputs["alerts dispatch"]

    # A bad SMTP configuration (AUTH without TLS) stops the dispatcher with the reason.
    config = json.loads(Path(env["PARLEY_CONFIG"]).read_text())
    config["alerts"]["smtp"] = {"username": "parley", "password": {"value": secret("smtp-yaml")}}
    bad = Path(env["PARLEY_CONFIG"]).with_name("bad-smtp.yaml")
    bad.write_text(json.dumps(config), encoding="utf-8")
    bad_env = {
        **env,
        "PARLEY_CONFIG": str(bad),
        "PARLEY_ALERTS__SMTP__PASSWORD__VALUE": secret("smtp-env") + "x" * 80,
    }
    code, out = parley(bad_env, "alerts", "dispatch")
    outputs["alerts dispatch (bad smtp)"] = out
    assert code == 2 and "alerts.smtp" in out and "clear text" in out

    # Kafka with SASL on (the broker here speaks PLAINTEXT): every Kafka call fails.
    sasl_env = {
        **env,
        "PARLEY_KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "PARLEY_KAFKA__SASL_MECHANISM": "PLAIN",
        "PARLEY_KAFKA__SASL_USERNAME": "parley",
    }
    code, out = parley(sasl_env, "status", "--json", "--timeout", "3", timeout=180)
    outputs["status (kafka sasl)"] = out
    assert code == 1

    leaks = {command: secret.leaks(text) for command, text in outputs.items()}
    assert {c: found for c, found in leaks.items() if found} == {}
    # The commands did run against the services: the redaction hid the secrets, not the output.
    assert "elastic:***@" in outputs["status --timeout 5"]
    assert "statements" in outputs["search * --json"]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False
