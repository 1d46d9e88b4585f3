"""Session fixtures shared by all tests.

Integration tests (everything under ``tests/integration``, marked ``integration`` automatically)
talk to the real Kafka broker and Elasticsearch node.  ``kafka_bootstrap`` and ``es_client``
connect to the configured ones and, when nothing answers, start the local services once per
session with ``deploy/local/services.sh up``.  Under ``CI=true`` they never start anything
(CI starts the services itself) and a missing service fails the test loudly instead of
skipping it: a suite that silently skips its integration tests proves nothing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from parley.config import REPO_ROOT, Settings, load_settings
from parley.services_cli import services_env

TESTS_DIR = Path(__file__).resolve().parent
INTEGRATION_DIR = TESTS_DIR / "integration"
SERVICES_SCRIPT = REPO_ROOT / "deploy" / "local" / "services.sh"
# Cold start includes the one-time download from Maven Central.
SERVICES_UP_TIMEOUT_S = 600


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "integration: needs the real Kafka broker and Elasticsearch node (deploy/local)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(INTEGRATION_DIR):
            item.add_marker(pytest.mark.integration)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def run_services(
    action: str,
    service: str,
    env: dict[str, str],
    timeout: float = SERVICES_UP_TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SERVICES_SCRIPT), action, service],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_local_service(service: str, settings: Settings, why: str) -> None:
    """Start one local service, or fail the session with everything needed to debug it."""
    if in_ci():
        pytest.fail(
            f"{service} is not reachable ({why}) and CI=true: CI must start the services "
            f"before the tests (bash deploy/local/services.sh up)",
            pytrace=False,
        )
    try:
        result = run_services("up", service, services_env(settings))
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"`services.sh up {service}` did not finish in {SERVICES_UP_TIMEOUT_S}s",
            pytrace=False,
        )
    if result.returncode != 0:
        pytest.fail(
            f"{service} is not reachable ({why}) and `bash deploy/local/services.sh up "
            f"{service}` failed (exit {result.returncode}):\n{result.stdout}{result.stderr}",
            pytrace=False,
        )


def _first_hostport(servers: str) -> tuple[str, int]:
    host, _, port = servers.split(",")[0].strip().rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def kafka_reachable(settings: Settings) -> str | None:
    """None when the broker answers a metadata request, else the reason it does not."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    host, port = _first_hostport(settings.kafka.bootstrap_servers)
    try:
        # A cheap TCP check first: the admin client's own retries take much longer to give up.
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        return f"{host}:{port}: {exc}"
    try:
        admin = KafkaAdminClient(
            **settings.kafka.client_kwargs(),
            request_timeout_ms=10_000,
        )
    except (KafkaError, OSError, ValueError) as exc:
        return f"{host}:{port}: {exc!r}"
    try:
        admin.list_topics()
    except (KafkaError, OSError) as exc:
        return f"{host}:{port}: {exc!r}"
    finally:
        admin.close()
    return None


def es_reachable(client: Elasticsearch) -> str | None:
    """None when the cluster is at least yellow, else the reason it is not."""
    from elasticsearch import ApiError, TransportError

    try:
        health = client.cluster.health(wait_for_status="yellow", timeout="30s")
    except ApiError as exc:
        if exc.message == "media_type_header_exception":
            from importlib.metadata import version

            return (
                f"elasticsearch-py {version('elasticsearch')} and the server differ in major "
                f"version (the server rejects the client's compatible-with header): "
                f"{str(exc.body)[:300]}"
            )
        return f"{exc.meta.status} {exc.message}: {str(exc.body)[:300]}"
    except TransportError as exc:
        return repr(exc)
    if health.get("status") not in ("green", "yellow"):
        return f"cluster health is {health.get('status')}"
    return None


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def kafka_bootstrap(settings: Settings) -> str:
    """``host:port`` of a broker that answers; starts the local one when needed (not in CI)."""
    why = kafka_reachable(settings)
    if why is not None:
        start_local_service("kafka", settings, why)
        why = kafka_reachable(settings)
        if why is not None:
            pytest.fail(
                f"Kafka is still not reachable after `services.sh up kafka`: {why}",
                pytrace=False,
            )
    return settings.kafka.bootstrap_servers.split(",")[0].strip()


@pytest.fixture(scope="session")
def es_client(settings: Settings) -> Iterator[Elasticsearch]:
    """Client of a healthy Elasticsearch; starts the local node when needed (not in CI)."""
    client = Elasticsearch(**settings.elasticsearch.client_kwargs())
    try:
        why = es_reachable(client)
        if why is not None:
            start_local_service("elasticsearch", settings, why)
            why = es_reachable(client)
            if why is not None:
                pytest.fail(
                    f"Elasticsearch is not usable after `services.sh up elasticsearch`: {why}",
                    pytrace=False,
                )
        yield client
    finally:
        client.close()


@pytest.fixture
def unique_name() -> str:
    """A short token, unique per test, valid in Kafka topic and Elasticsearch index names."""
    return "t" + uuid.uuid4().hex[:12]
