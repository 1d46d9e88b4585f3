"""One run of the real parley workers against a newsroom and a webhook receiver.

``Stack`` writes a configuration of its own (topics, index prefix, consumer groups, poller state
directory named after the run), creates the topics and indices, stores the subscription
"officials on talks" that delivers to the receiver, and runs ``parley poll``,
``parley pipeline`` and ``parley alerts dispatch`` as separate processes, the way an operator
runs them.  Workers can be stopped, killed with any signal and restarted one by one.

``LocalServices`` runs a private Kafka and Elasticsearch through ``deploy/local/services.sh``
with their own ports and data directory, for fault tests that kill or stop them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.harness.newsroom import Newsroom
from benchmarks.harness.ports import free_port
from benchmarks.harness.receiver import WebhookReceiver
from parley.config import REPO_ROOT, Settings, load_settings

SUBSCRIPTION_QUERY = "triggers.category:negotiations AND speaker.official:true"
ROLES = ("poller", "pipeline", "dispatcher")
_COMMANDS = {
    "poller": ("poll",),
    "pipeline": ("pipeline",),
    "dispatcher": ("alerts", "dispatch"),
}


def parley_executable() -> str:
    return str(Path(sys.executable).parent / "parley")


@dataclass
class Worker:
    role: str
    index: int
    process: subprocess.Popen[bytes]
    log: Path
    args: tuple[str, ...] = ()  # after the role's command, e.g. a pipeline's --instance-id
    started_at: float = field(default_factory=time.time)
    replaced: bool = False  # exited and restarted by the supervisor

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class StackOptions:
    pollers: int = 1
    # Pipeline processes, each a static member of the consumer group (``--instance-id
    # pipeline-<n>``, as every deployment runs them); more than one share the partitions.
    pipelines: int = 1
    poll_interval: float = 1.0
    partitions: int = 3
    ingest: dict[str, Any] = field(default_factory=dict)
    pipeline: dict[str, Any] = field(default_factory=dict)
    alerts: dict[str, Any] = field(default_factory=dict)
    log_level: str = "INFO"


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = (
            _merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


class Stack:
    def __init__(
        self,
        workdir: Path,
        name: str,
        *,
        bootstrap: str,
        es_hosts: str,
        newsroom: Newsroom,
        receiver: WebhookReceiver,
        options: StackOptions | None = None,
        state_dir: Path | None = None,
    ) -> None:
        self.workdir = workdir
        self.name = name
        self.bootstrap = bootstrap
        self.es_hosts = es_hosts
        self.newsroom = newsroom
        self.receiver = receiver
        self.options = options or StackOptions()
        self.state_dir = state_dir or workdir / "ingest-state"
        self.config_path = workdir / "parley.yaml"
        self.feeds_path = workdir / "feeds.yaml"
        self.workers: dict[str, list[Worker]] = {role: [] for role in ROLES}
        self.subscription_id = f"{name}-officials-on-talks"
        self.restarts: list[tuple[str, float, int | None]] = []  # role, when, exit code
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._lock = threading.RLock()
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = self._config()
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False), encoding="utf-8")
        # The run's YAML is the whole configuration here too, as for the workers (which get no
        # PARLEY_* variables): the caller's environment must not point the harness elsewhere.
        self.settings: Settings = load_settings(self.config_path, **self.config)

    # -- configuration -----------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        o = self.options
        interval = o.poll_interval
        feeds = [
            {
                "url": self.newsroom.feed_url(k),
                "outlet": f"Newsroom desk {k}",
                "language": "en",
                "min_interval": interval,
                "max_interval": interval,
            }
            for k in range(self.newsroom.feed_count)
        ]
        self.feeds_path.write_text(yaml.safe_dump({"feeds": feeds}), encoding="utf-8")
        name = self.name
        ingest = {
            "feeds_file": str(self.feeds_path),
            "state_dir": str(self.state_dir),
            "assignment": "kafka",
            "group_id": f"{name}-poller",
            # Every feed of the newsroom is on one host: per-host politeness would measure the
            # politeness delay, not parley.  Real deployments poll many hosts.
            "politeness": {"per_host_concurrency": 32, "per_host_min_delay": 0.0},
            "schedule": {
                "min_interval": interval,
                "max_interval": interval,
                "initial_interval": interval,
                "jitter": 0.1,
                "failure_backoff_base": 1.0,
                "failure_backoff_max": 5.0,
            },
            "limits": {"connect_timeout": 5, "read_timeout": 10, "total_timeout": 20},
            "session_timeout_ms": 6000,
            "heartbeat_interval_ms": 1000,
            "shutdown_grace": 5,
            "produce_retry_max": 2.0,
        }
        return {
            "kafka": {
                "bootstrap_servers": self.bootstrap,
                "client_id": f"parley-{name}",
                "topics": {
                    "articles": f"parley.articles.{name}",
                    "alerts": f"parley.alerts.{name}",
                    "deadletter": f"parley.deadletter.{name}",
                    "feeds": f"parley.feeds.{name}",
                    "partitions": o.partitions,
                },
            },
            "elasticsearch": {"hosts": self.es_hosts, "index_prefix": name},
            "http": {"allow_private_networks": ["127.0.0.1/32"]},
            "metrics": {"enabled": False},
            "log": {"level": o.log_level, "format": "json"},
            "ingest": _merge(ingest, o.ingest),
            "pipeline": _merge({"group_id": f"{name}-pipeline"}, o.pipeline),
            "alerts": _merge(
                {
                    "signing_secret": {"value": self.receiver.secret},
                    "dispatcher": {"group_id": f"{name}-dispatcher"},
                    "retry": {"max_attempts": 8, "backoff_base": 0.5, "backoff_max": 5.0},
                },
                o.alerts,
            ),
        }

    def prepare(self) -> None:
        """Topics, index templates and indices, and the subscription (idempotent)."""
        from parley.kafka_admin import ensure_topics
        from parley.netguard import NetGuard
        from sinks.alerts.config import alerts_settings
        from sinks.alerts.models import Subscription, WebhookChannel
        from sinks.alerts.store import SubscriptionStore
        from sinks.elasticsearch.client import make_client
        from sinks.elasticsearch.setup import install_templates

        ensure_topics(self.settings.kafka)
        self._wait_for_topics()
        client = make_client(self.settings.elasticsearch)
        try:
            install_templates(client, self.settings.elasticsearch)
            store = SubscriptionStore(
                client,
                self.settings.elasticsearch,
                alerts_settings(self.settings),
                NetGuard.from_settings(self.settings.http),
            )
            store.put(
                Subscription(
                    subscription_id=self.subscription_id,
                    name="Officials on talks",
                    query=SUBSCRIPTION_QUERY,
                    channels=[WebhookChannel(url=self.receiver.url)],
                    owner="benchmark",
                )
            )
        finally:
            client.close()

    def _wait_for_topics(self, timeout: float = 60.0) -> None:
        """Until the broker serves metadata for every topic of the run.  Creating a topic
        returns before its metadata is served; a consumer that subscribes in between sees no
        partitions and, with kafka-python, looks again only after ``metadata_max_age_ms``
        (5 minutes), which is not what a run started right after its topics should measure."""
        from kafka import KafkaConsumer

        topics = self.settings.kafka.topics
        names = [topics.articles, topics.alerts, topics.deadletter, topics.feeds]
        consumer = KafkaConsumer(**self.settings.kafka.client_kwargs())
        try:
            deadline = time.monotonic() + timeout
            while True:
                missing = [n for n in names if not consumer.partitions_for_topic(n)]
                if not missing:
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no metadata for topics {missing} after {timeout}s")
                time.sleep(0.2)
                consumer.topics()  # forces a metadata refresh
        finally:
            consumer.close()

    def destroy(self) -> None:
        """Delete this run's topics and indices (best effort: the services may be down)."""
        from kafka import KafkaAdminClient

        from sinks.elasticsearch.client import make_client

        try:
            client = make_client(self.settings.elasticsearch)
            try:
                client.options(ignore_status=404).indices.delete(index=f"{self.name}-*")
                client.options(ignore_status=404).indices.delete_index_template(
                    name=f"{self.name}-*"
                )
            finally:
                client.close()
        except Exception as exc:
            print(f"cleanup of indices failed: {exc}", file=sys.stderr)
        try:
            admin = KafkaAdminClient(
                **self.settings.kafka.client_kwargs(), request_timeout_ms=10_000
            )
            try:
                topics = self.settings.kafka.topics
                names = [topics.articles, topics.alerts, topics.deadletter, topics.feeds]
                existing = set(admin.list_topics())
                admin.delete_topics([n for n in names if n in existing])
            finally:
                admin.close()
        except Exception as exc:
            print(f"cleanup of topics failed: {exc}", file=sys.stderr)

    # -- processes ---------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        # The run's YAML file is the whole configuration: PARLEY_* variables of the caller
        # (which would override it) are not passed on.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self, role: str, extra_args: tuple[str, ...] = ()) -> Worker:
        with self._lock:
            return self._start(role, extra_args)

    def _start(self, role: str, extra_args: tuple[str, ...]) -> Worker:
        index = len(self.workers[role])
        log = self.workdir / f"{role}-{index}.log"
        command = [
            parley_executable(),
            "--config",
            str(self.config_path),
            "--log-format",
            "json",
            *_COMMANDS[role],
            *extra_args,
        ]
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=self._environment(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(role, index, process, log, extra_args)
        self.workers[role].append(worker)
        return worker

    def start_all(self) -> None:
        for n in range(self.options.pipelines):
            self.start("pipeline", ("--instance-id", f"pipeline-{n}"))
        self.start("dispatcher")
        for _ in range(self.options.pollers):
            self.start("poller")

    def supervise(self, restart_delay: float = 2.0, interval: float = 0.5) -> None:
        """Restart a worker that exited, after ``restart_delay`` seconds, as systemd
        (``Restart=always``) or Kubernetes would; every restart is recorded."""

        def loop() -> None:
            while not self._stopping.wait(interval):
                with self._lock:
                    exited = [
                        w
                        for ws in self.workers.values()
                        for w in ws
                        if not w.alive() and not w.replaced
                    ]
                for worker in exited:
                    if self._stopping.wait(restart_delay):
                        return
                    with self._lock:
                        if worker.replaced:  # restarted meanwhile (``restart``)
                            continue
                        worker.replaced = True
                        self.restarts.append((worker.role, time.time(), worker.process.returncode))
                        self._start(worker.role, worker.args)

        self._supervisor = threading.Thread(target=loop, name="supervisor", daemon=True)
        self._supervisor.start()

    def running(self, role: str) -> list[Worker]:
        return [w for w in self.workers[role] if w.alive()]

    def kill(self, worker: Worker, sig: int = signal.SIGKILL) -> None:
        if worker.alive():
            worker.process.send_signal(sig)
            if sig == signal.SIGKILL:
                worker.process.wait(30)

    def stop(self, worker: Worker, timeout: float = 40.0, *, signalled: bool = False) -> int | None:
        """SIGTERM (unless ``signalled`` already: a second SIGTERM during the clean shutdown
        would kill the process with the default action), then SIGKILL after ``timeout``;
        returns the exit code."""
        if worker.alive():
            if not signalled:
                worker.process.send_signal(signal.SIGTERM)
            try:
                worker.process.wait(timeout)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(10)
        return worker.process.returncode

    def restart(self, worker: Worker, timeout: float = 40.0) -> Worker:
        """Stop with SIGTERM and start again at once with the same arguments (a rolling
        restart: the same static group member comes back); recorded like other restarts."""
        with self._lock:
            code = self.stop(worker, timeout)
            worker.replaced = True
            self.restarts.append((worker.role, time.time(), code))
            return self._start(worker.role, worker.args)

    def stop_all(self, timeout: float = 40.0) -> dict[str, list[int | None]]:
        # Pollers first (nothing new enters), the dispatcher last (it delivers what is queued).
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(30)
        codes: dict[str, list[int | None]] = {}
        for role in ("poller", "pipeline", "dispatcher"):
            for worker in self.workers[role]:
                if worker.alive():
                    worker.process.send_signal(signal.SIGTERM)
            codes[role] = [self.stop(w, timeout, signalled=True) for w in self.workers[role]]
        return codes

    def log_tail(self, role: str, lines: int = 40) -> str:
        out = []
        for worker in self.workers[role]:
            text = worker.log.read_text(encoding="utf-8", errors="replace").splitlines()
            out.append(f"--- {worker.log.name} (exit {worker.process.poll()})")
            out.extend(text[-lines:])
        return "\n".join(out)


# -- private services ------------------------------------------------------------------------


class LocalServices:
    """A private Kafka and Elasticsearch (``deploy/local/services.sh`` with other ports and a
    data directory of their own), so a test may kill or stop them without touching anybody
    else's."""

    def __init__(self, data_dir: Path, *, es_heap: str = "512m") -> None:
        self.data_dir = data_dir
        self.kafka_port = free_port()
        self.kafka_controller_port = free_port()
        self.es_port = free_port()
        self.es_transport_port = free_port()
        self.es_heap = es_heap

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def es_hosts(self) -> str:
        return f"http://127.0.0.1:{self.es_port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        env.update(
            {
                "PARLEY_SERVICES__KAFKA_PORT": str(self.kafka_port),
                "PARLEY_SERVICES__KAFKA_CONTROLLER_PORT": str(self.kafka_controller_port),
                "PARLEY_SERVICES__ELASTICSEARCH_PORT": str(self.es_port),
                "PARLEY_SERVICES__ELASTICSEARCH_TRANSPORT_PORT": str(self.es_transport_port),
                "PARLEY_SERVICES__DATA_DIR": str(self.data_dir),
                "PARLEY_SERVICES__ELASTICSEARCH_HEAP": self.es_heap,
                "PARLEY_SERVICES__CACHE_DIR": str(REPO_ROOT / ".cache"),
                # The default topics of the private broker are never used: every run names its
                # own, so these are created empty and left alone.
                "PYTHON": sys.executable,
            }
        )
        return env

    def run(self, action: str, service: str, timeout: float = 400) -> None:
        result = subprocess.run(
            ["bash", str(REPO_ROOT / "deploy" / "local" / "services.sh"), action, service],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"services.sh {action} {service} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )

    def up(self, service: str = "all") -> None:
        self.run("up", service)

    def down(self, service: str = "all") -> None:
        self.run("down", service)

    def pid(self, service: str) -> int:
        path = (
            self.data_dir / "kafka" / "kafka.pid"
            if service == "kafka"
            else self.data_dir / "elasticsearch" / "elasticsearch.pid"
        )
        return int(path.read_text().strip())

    def kill_kafka(self) -> None:
        """SIGKILL the broker: no clean shutdown, like a crashed machine."""
        pid = self.pid("kafka")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        raise RuntimeError(f"kafka pid {pid} survived SIGKILL")
