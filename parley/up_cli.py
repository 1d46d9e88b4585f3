"""``parley up`` runs the whole monitor on this machine; ``parley down`` stops it.

``up``: start the local Kafka and Elasticsearch unless they run (``--no-services`` uses the
clusters from the configuration), create topics and index templates, then supervise the workers —
feed pollers, the Beam pipeline, the alert dispatcher and the subscriptions API — plus, unless
``--no-demo``, an offline replay newsroom (so statements appear without internet access) and a
demo webhook receiver behind a demo subscription (so alerts appear without any set-up).

Every worker gets the same configuration as ``up`` itself: ``up`` adds its few settings (the feed
list, the demo signing key, 127.0.0.1 on the SSRF allow-list for the demo servers) as
``PARLEY_*`` environment variables, which the children inherit; it never writes the user's
configuration (which may hold secrets) anywhere.

Files (under ``services.data_dir``): ``run/parley-up.pid`` and ``run/parley-up.json`` (state read
by ``parley status`` and ``parley down``), ``log/<worker>.log`` (JSON lines), ``demo-alerts.jsonl``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from parley.config import REPO_ROOT, Settings, configure, get_settings
from parley.logs import get_logger
from parley.metrics import DEFAULT_PORTS, worker_metrics_port
from parley.redact import redact
from parley.runtime_paths import RuntimePaths
from parley.status import process_alive, read_supervisor_state
from parley.supervisor import (
    RestartPolicy,
    Supervisor,
    WorkerEvent,
    WorkerSpec,
    WorkerState,
    group_members,
    terminate_group,
)

log = get_logger(__name__)

DEFAULT_FEEDS_FILE = REPO_ROOT / "deploy" / "feeds" / "default.yaml"
LOOPBACK_ONLY = "127.0.0.1/32"
RESTART_POLICY = RestartPolicy(initial_delay=1.0, max_delay=60.0, stable_after=30.0)


@dataclass(frozen=True)
class UpOptions:
    services: bool = True
    demo: bool = True
    feeds_file: Path | None = None
    replay_port: int = 8765
    replay_interval: float = 5.0
    webhook_port: int = 8766
    stop_timeout: float = 30.0
    # The demo newsroom's edition: a new one on every start (see ``parley.demo``).
    edition: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y%m%dT%H%M%S"))
    # name → argv: replaces the built-in worker of that name, or adds one.
    workers: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class WorkerPlan:
    """What ``up`` will run, and the settings it adds for the workers."""

    specs: list[WorkerSpec]
    env: dict[str, str]
    metrics_ports: dict[str, int]
    feeds_file: Path
    api_token_generated: bool


class StartupError(Exception):
    """A step before the workers start failed; the message says which and why."""


# -- planning --------------------------------------------------------------------------------------


def replay_feed_url(options: UpOptions) -> str:
    return f"http://127.0.0.1:{options.replay_port}/feed.xml"


def demo_webhook_url(options: UpOptions) -> str:
    return f"http://127.0.0.1:{options.webhook_port}/alerts"


def write_feed_list(settings: Settings, paths: RuntimePaths, options: UpOptions) -> Path:
    """The pollers' feed list: ``--feeds``, else ``ingest.feeds_file``, else the default feeds;
    plus the replay newsroom's feed when the demo runs."""
    from ingest.config import ingest_settings
    from ingest.feeds import Feed, load_feeds, save_feeds

    source = options.feeds_file or ingest_settings(settings).feeds_file or DEFAULT_FEEDS_FILE
    feeds = load_feeds(Path(source))
    if options.demo:
        feeds.append(
            Feed(
                url=replay_feed_url(options),
                title="parley demo newsroom",
                outlet="parley demo newsroom",
                tags=["demo", "replay"],
                # The newsroom publishes every few seconds; poll it about as often.
                min_interval=max(1.0, options.replay_interval / 2),
                max_interval=max(10.0, options.replay_interval * 2),
            )
        )
    save_feeds(paths.feeds_file, feeds)
    return paths.feeds_file


def _write_private(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content)


def plan_workers(
    settings: Settings, paths: RuntimePaths, options: UpOptions, config_file: Path | None
) -> WorkerPlan:
    from parley.demo import DEMO_SECRET_NAME, ensure_secret_file
    from sinks.alerts.config import alerts_settings

    env: dict[str, str] = {
        "PARLEY_LOG__FORMAT": "json",
        "PARLEY_INGEST__FEEDS_FILE": str(write_feed_list(settings, paths, options)),
    }
    if config_file is not None:
        env["PARLEY_CONFIG"] = str(config_file.resolve())
    if "assignment" not in settings.ingest:
        # One poller on one machine polls the whole list itself; sharing feeds between poller
        # processes through the feeds topic is for deployments with several of them.
        env["PARLEY_INGEST__ASSIGNMENT"] = "file"
    if options.demo:
        allowed = list(settings.http.allow_private_networks)
        if LOOPBACK_ONLY not in allowed:
            # The replay newsroom and the demo receiver listen on 127.0.0.1 only.
            allowed.append(LOOPBACK_ONLY)
        env["PARLEY_HTTP__ALLOW_PRIVATE_NETWORKS"] = json.dumps(allowed)
        ensure_secret_file(paths.demo_secret_file)
        env[f"PARLEY_ALERTS__SIGNING_SECRETS__{DEMO_SECRET_NAME.upper()}__FILE"] = str(
            paths.demo_secret_file
        )
    token_generated = False
    if not alerts_settings(settings).api.resolved_tokens():
        # The API refuses to run without a token; make one that only this user can read.
        if not paths.api_token_file.exists():
            _write_private(paths.api_token_file, secrets.token_urlsafe(32))
        env["PARLEY_ALERTS__API__TOKEN__FILE"] = str(paths.api_token_file)
        token_generated = True

    metrics_ports = {
        worker: worker_metrics_port(settings.metrics, worker) for worker in DEFAULT_PORTS
    }

    python = sys.executable

    def parley(*args: str) -> list[str]:
        return [python, "-m", "parley", *args]

    def spec(
        name: str, argv: list[str], metrics: str | None = None, **env_extra: str
    ) -> WorkerSpec:
        extra = {"PARLEY_METRICS__PORT": str(metrics_ports[metrics])} if metrics else {}
        return WorkerSpec(
            name, argv, paths.worker_log(name), env={**extra, **env_extra}, cwd=REPO_ROOT
        )

    # A static consumer-group member: restarted after a crash, the pipeline gets its partitions
    # back at once instead of after the session timeout of its former self.
    pipeline_env = (
        {}
        if "instance_id" in settings.pipeline
        else {"PARLEY_PIPELINE__INSTANCE_ID": "{hostname}-pipeline"}
    )

    specs: list[WorkerSpec] = []
    if options.demo:
        specs.append(
            spec(
                "replay",
                [
                    python,
                    "-m",
                    "ingest.replay",
                    "--port",
                    str(options.replay_port),
                    "--interval",
                    str(options.replay_interval),
                    "--edition",
                    options.edition,
                ],
            )
        )
        specs.append(
            spec(
                "demo-webhook",
                [
                    python,
                    "-m",
                    "parley.demo",
                    "--port",
                    str(options.webhook_port),
                    "--secret-file",
                    str(paths.demo_secret_file),
                    "--output",
                    str(paths.demo_alerts),
                ],
            )
        )
    specs += [
        spec("poller", parley("poll"), "poller"),
        spec("pipeline", parley("pipeline"), "pipeline", **pipeline_env),
        spec("dispatcher", parley("alerts", "dispatch"), "dispatcher"),
        spec("api", parley("alerts", "api"), "api"),
    ]
    overrides = dict(options.workers)
    specs = [
        spec(s.name, list(overrides.pop(s.name)), None) if s.name in overrides else s for s in specs
    ]
    specs += [spec(name, list(argv), None) for name, argv in overrides.items()]
    return WorkerPlan(specs, env, metrics_ports, paths.feeds_file, token_generated)


def parse_worker_option(value: str) -> tuple[str, tuple[str, ...]]:
    """``NAME=COMMAND`` (the command is split like a shell would, without running one)."""
    name, sep, command = value.partition("=")
    name = name.strip()
    argv = tuple(shlex.split(command))
    if not sep or not name or not argv or not name.replace("-", "").isalnum():
        raise typer.BadParameter(f"expected NAME=COMMAND, got {value!r}")
    return name, argv


# -- start-up steps --------------------------------------------------------------------------------


def run_setup(settings: Settings, console: Console, attempts: int = 5) -> None:
    """Topics and index templates, as ``parley setup``; retried while a just-started service
    settles (Kafka may answer before its metadata is ready)."""
    from elasticsearch import Elasticsearch

    from parley.kafka_admin import ensure_topics
    from sinks.elasticsearch.setup import install_templates

    for attempt in range(1, attempts + 1):
        try:
            topics = ensure_topics(settings.kafka)
            client = Elasticsearch(**settings.elasticsearch.client_kwargs())
            try:
                indices = install_templates(client, settings.elasticsearch)
            finally:
                client.close()
        except Exception as exc:  # any client error: retried, then reported with its reason
            if attempt == attempts:
                raise StartupError(f"setup failed: {exc}") from exc
            console.print(f"  setup: {escape(redact(str(exc)))[:200]} — retrying")
            time.sleep(2 * attempt)
            continue
        created = [name for name, new in topics if new] + [
            r.index for r in indices if r.index_created
        ]
        console.print(
            f"  {len(topics)} topics, {len(indices)} indices ready"
            + (f" (created: {', '.join(created)})" if created else "")
        )
        return


def ensure_demo(settings: Settings, options: UpOptions, console: Console) -> None:
    from parley.demo import DEMO_QUERY, DEMO_SUBSCRIPTION_NAME, ensure_demo_subscription

    ensure_demo_subscription(settings, demo_webhook_url(options), options.edition)
    console.print(
        f"  subscription “{DEMO_SUBSCRIPTION_NAME}” ({escape(DEMO_QUERY)}) → "
        f"{demo_webhook_url(options)}"
    )


# -- the live view ---------------------------------------------------------------------------------


class Counts:
    """Documents and demo alerts, refreshed in the background so a slow cluster never stalls
    the supervision loop."""

    def __init__(self, settings: Settings, paths: RuntimePaths, interval: float = 3.0) -> None:
        self.settings = settings
        self.paths = paths
        self.interval = interval
        self.values: dict[str, int | None] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="counts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        from elasticsearch import ApiError, Elasticsearch, TransportError

        es = self.settings.elasticsearch
        client = Elasticsearch(**{**es.client_kwargs(), "request_timeout": 2, "max_retries": 0})
        try:
            while not self._stop.is_set():
                for name in ("articles", "statements", "alerts"):
                    try:
                        self.values[name] = int(client.count(index=es.index(name))["count"])
                    except (ApiError, TransportError):  # unreachable or missing: shown as "?"
                        self.values[name] = None
                try:
                    with self.paths.demo_alerts.open("rb") as fh:
                        self.values["demo alerts"] = sum(1 for _ in fh)
                except FileNotFoundError:
                    self.values["demo alerts"] = 0
                self._stop.wait(self.interval)
        finally:
            client.close()


def _uptime(started_at: datetime | None) -> str:
    if started_at is None:
        return "-"
    seconds = int((datetime.now(UTC) - started_at).total_seconds())
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def render_view(
    supervisor: Supervisor, counts: Counts, events: deque[WorkerEvent], stopping: bool
) -> Group:
    table = Table(title="parley workers", expand=False)
    for column in ("worker", "state", "pid", "uptime", "restarts", "last exit"):
        table.add_column(column)
    for s in supervisor.statuses():
        if s.crash_looping:
            state = "[bold red]CRASH LOOP[/bold red]"
        elif s.state == WorkerState.RUNNING:
            state = "[green]running[/green]"
        elif s.state == WorkerState.BACKOFF:
            state = f"[yellow]restart in {s.restart_in or 0:.0f}s[/yellow]"
        else:
            state = escape(s.state.value)
        table.add_row(
            s.name,
            state,
            str(s.pid or "-"),
            _uptime(s.started_at) if s.state == WorkerState.RUNNING else "-",
            str(s.restarts),
            escape(s.last_error or "-"),
        )
    numbers = "  ".join(
        f"{name}: [bold]{'?' if value is None else value}[/bold]"
        for name, value in counts.values.items()
    )
    lines: list[Any] = [table, numbers or "counting documents…"]
    for event in list(events)[-6:]:
        colour = {"crash_loop": "red", "exited": "yellow", "start_failed": "red"}.get(
            event.kind, "dim"
        )
        detail = f" — {event.detail}" if event.detail else ""
        lines.append(f"[{colour}]{event.worker}: {event.kind}{escape(detail)}[/{colour}]")
    for name in supervisor.crash_looping:
        lines.append(
            f"[bold red]worker {name} keeps crashing: see its log, "
            f"{escape(str(next(s.log_path for s in supervisor.statuses() if s.name == name)))}"
            "[/bold red]"
        )
    lines.append(
        "[yellow]stopping workers…[/yellow]"
        if stopping
        else "[dim]Ctrl-C or `parley down` stops the workers[/dim]"
    )
    return Group(*lines)


def where_to_look(
    settings: Settings,
    paths: RuntimePaths,
    options: UpOptions,
    plan: WorkerPlan,
    interactive: bool = True,
    owns_services: bool | None = None,
) -> str:
    host = settings.metrics.host
    metrics = "  ".join(f"{w} :{p}" for w, p in plan.metrics_ports.items())
    from sinks.alerts.config import alerts_settings

    api = alerts_settings(settings).api
    rows = [
        (
            "Elasticsearch",
            f"{redact(settings.elasticsearch.hosts)}  "
            f"(indices {settings.elasticsearch.index('*')})",
        ),
        (
            "search",
            "parley search 'triggers.category:ceasefire AND speaker.official:true' --since 24h",
        ),
        ("status", "parley status"),
        ("metrics", f"{metrics}  (http://{host}:<port>/metrics)"),
        (
            "API",
            f"http://{api.host}:{api.port}/docs"
            + (f"  (token in {paths.api_token_file})" if plan.api_token_generated else ""),
        ),
        ("logs", f"{paths.log_dir}/<worker>.log"),
        ("feeds", f"{plan.feeds_file}  (`parley feeds status`)"),
    ]
    if options.demo:
        rows += [
            ("demo alerts", f"{paths.demo_alerts}  (receiver {demo_webhook_url(options)})"),
            ("replay feed", replay_feed_url(options)),
        ]
    stops_services = options.services if owns_services is None else owns_services
    down = "`parley down`" + (" (also stops Kafka and Elasticsearch)" if stops_services else "")
    rows.append(("stop", f"Ctrl-C, or {down}" if interactive else down))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


# -- up --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _stop_signals(stop: threading.Event) -> Iterator[None]:
    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {
        sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _running_pid(paths: RuntimePaths) -> int | None:
    """The pid of a live ``parley up`` from the pid file (a stale file is ignored)."""
    try:
        pid = int(paths.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if pid == os.getpid() or not process_alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid
    # The pid may have been reused by an unrelated process since the file was written.
    return pid if b"up" in cmdline and any(b"parley" in part for part in cmdline) else None


def run_up(settings: Settings, options: UpOptions, config_file: Path | None) -> int:
    console = Console()
    paths = RuntimePaths.from_settings(settings)
    other = _running_pid(paths)
    if other is not None:
        console.print(
            f"[red]parley up is already running (pid {other})[/red]: `parley status` shows it, "
            "`parley down` stops it"
        )
        return 1
    paths.run_dir.mkdir(parents=True, exist_ok=True)
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    paths.pid_file.write_text(f"{os.getpid()}\n")
    stop = threading.Event()
    try:
        with _stop_signals(stop):
            return _up(settings, options, config_file, paths, console, stop)
    finally:
        with contextlib.suppress(FileNotFoundError):
            if paths.pid_file.read_text().strip() == str(os.getpid()):
                paths.pid_file.unlink()


def _up(
    settings: Settings,
    options: UpOptions,
    config_file: Path | None,
    paths: RuntimePaths,
    console: Console,
    stop: threading.Event,
) -> int:
    from elasticsearch import ApiError, TransportError

    from parley.services_cli import run_services_script

    # Services that were running before `parley up` (started by `parley services up`, or by
    # another tool) are not ours: `parley down` leaves them running.
    owns_services = False
    if options.services:
        console.rule("Kafka and Elasticsearch on 127.0.0.1")
        owns_services = run_services_script("status", None, settings, quiet=True) != 0
        code = run_services_script("up", None, settings)
        if code != 0:
            console.print(f"[red]starting the local services failed (exit {code})[/red]")
            return 1
    if stop.is_set():
        return 130
    console.rule("Setup: topics, index templates" + (", demo subscription" if options.demo else ""))
    try:
        plan = plan_workers(settings, paths, options, config_file)
        # From here on, this process and its workers read the same settings.
        os.environ.update(plan.env)
        settings = configure(config_file)
        run_setup(settings, console)
        if options.demo:
            ensure_demo(settings, options, console)
    except (StartupError, ValueError, OSError, ApiError, TransportError) as exc:
        # Invalid feed list or settings, a refused subscription, an unreachable cluster.
        console.print(f"[red]error:[/red] {escape(redact(str(exc)))}")
        return 1
    if stop.is_set():
        return 130

    interactive = console.is_terminal
    events: deque[WorkerEvent] = deque(maxlen=20)
    supervisor = Supervisor(
        plan.specs,
        policy=RESTART_POLICY,
        stop_timeout=options.stop_timeout,
        state_file=paths.state_file,
        on_event=events.append,
        log_events=not interactive,
        metadata={"local_services": owns_services},
    )
    console.rule("Workers")
    supervisor.start()
    console.print(
        "parley is running. Where to look:\n"
        + where_to_look(settings, paths, options, plan, interactive, owns_services)
    )
    counts = Counts(settings, paths)
    counts.start()
    try:
        if interactive:
            with Live(
                render_view(supervisor, counts, events, False),
                console=console,
                refresh_per_second=2,
                transient=False,
            ) as live:
                while not stop.is_set():
                    supervisor.poll()
                    live.update(render_view(supervisor, counts, events, False))
                    stop.wait(0.25)
                live.update(render_view(supervisor, counts, events, True))
                supervisor.stop()
                live.update(render_view(supervisor, counts, events, True))
        else:
            supervisor.run(stop.is_set, tick=0.25)
    finally:
        supervisor.stop()
        counts.stop()
    for status in supervisor.statuses():
        if status.crash_looping:
            console.print(
                f"[bold red]worker {status.name} was crash-looping "
                f"({escape(status.last_error or '')}); see {status.log_path}[/bold red]"
            )
    console.print(
        "workers stopped."
        + (
            " Kafka and Elasticsearch keep running (`parley down` stops them)."
            if owns_services
            else " Kafka and Elasticsearch keep running (`parley services down` stops them)."
            if options.services
            else ""
        )
    )
    return 0


def run_detached(
    options_argv: list[str], paths: RuntimePaths, config_file: Path | None, timeout: float = 900
) -> int:
    """Start ``parley up`` in its own session with output to the log, follow the log until the
    workers run, then return."""
    console = Console()
    other = _running_pid(paths)
    if other is not None:
        console.print(f"[red]parley up is already running (pid {other})[/red]")
        return 1
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "parley"]
    if config_file is not None:
        argv += ["--config", str(config_file.resolve())]
    argv += ["up", *options_argv]
    offset = paths.supervisor_log.stat().st_size if paths.supervisor_log.exists() else 0
    with paths.supervisor_log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO_ROOT,
        )
    console.print(
        f"parley up started in the background (pid {process.pid}); log: {paths.supervisor_log}"
    )
    deadline = time.monotonic() + timeout
    with paths.supervisor_log.open("rb") as log_file:
        log_file.seek(offset)
        while True:
            chunk = log_file.read()
            if chunk:
                sys.stdout.write(chunk.decode("utf-8", "replace"))
                sys.stdout.flush()
            state = read_supervisor_state(paths)
            if state and state.get("pid") == process.pid and state.get("workers"):
                time.sleep(0.5)
                sys.stdout.write(log_file.read().decode("utf-8", "replace"))
                console.print(
                    f"[green]parley is running in the background[/green] (pid {process.pid}); "
                    "`parley status` shows it, `parley down` stops it."
                )
                return 0
            if process.poll() is not None:
                sys.stdout.write(log_file.read().decode("utf-8", "replace"))
                console.print(f"[red]parley up exited with code {process.returncode}[/red]")
                return 1
            if time.monotonic() > deadline:
                console.print(
                    f"[yellow]parley up (pid {process.pid}) is still starting after "
                    f"{timeout:.0f}s; follow {paths.supervisor_log}[/yellow]"
                )
                return 1
            time.sleep(0.3)


def up(
    ctx: typer.Context,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Run in the background; `parley down` stops it.")
    ] = False,
    services: Annotated[
        bool,
        typer.Option(
            "--services/--no-services",
            help="Start the local Kafka and Elasticsearch (--no-services: use the configured "
            "remote clusters).",
        ),
    ] = True,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo",
            help="Run the offline replay newsroom and the demo alert subscription and receiver.",
        ),
    ] = True,
    feeds: Annotated[
        Path | None,
        typer.Option(
            "--feeds",
            help="Feed list (YAML; default: ingest.feeds_file, else deploy/feeds/default.yaml).",
        ),
    ] = None,
    replay_interval: Annotated[
        float, typer.Option(min=0.5, help="Seconds between two articles of the replay newsroom.")
    ] = 5.0,
    stop_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds a worker gets to stop after SIGTERM.")
    ] = 30.0,
    worker: Annotated[
        list[str] | None,
        typer.Option(
            "--worker",
            metavar="NAME=COMMAND",
            help="Run COMMAND as worker NAME, replacing the built-in worker of that name "
            "(poller, pipeline, dispatcher, api, replay, demo-webhook) or adding one; repeatable.",
        ),
    ] = None,
) -> None:
    """Run the whole monitor on this machine: Kafka, Elasticsearch, setup, and the workers
    (pollers, pipeline, alert dispatcher, API), supervised and restarted when they crash."""
    config_file = _config_file(ctx)
    options = UpOptions(
        services=services,
        demo=demo,
        feeds_file=feeds.resolve() if feeds else None,
        replay_interval=replay_interval,
        stop_timeout=stop_timeout,
        workers=tuple(parse_worker_option(w) for w in worker or []),
    )
    settings = get_settings()
    if detach:
        argv = [
            "--services" if services else "--no-services",
            "--demo" if demo else "--no-demo",
            "--replay-interval",
            str(replay_interval),
            "--stop-timeout",
            str(stop_timeout),
            *(["--feeds", str(options.feeds_file)] if options.feeds_file else []),
            *(f"--worker={w}" for w in worker or []),
        ]
        raise typer.Exit(run_detached(argv, RuntimePaths.from_settings(settings), config_file))
    raise typer.Exit(run_up(settings, options, config_file))


def _config_file(ctx: typer.Context) -> Path | None:
    value = ctx.find_root().params.get("config")
    if value is None and os.environ.get("PARLEY_CONFIG"):
        value = os.environ["PARLEY_CONFIG"]
    return Path(value) if value else None


# -- down ------------------------------------------------------------------------------------------


def stop_supervisor(paths: RuntimePaths, timeout: float, console: Console) -> bool:
    """Stop a running ``parley up`` and anything its workers left; True when one was running."""
    pid = _running_pid(paths)
    if pid is not None:
        console.print(f"stopping parley up (pid {pid})…")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if process_alive(pid):
            console.print(
                f"[yellow]parley up did not stop within {timeout:.0f}s; killing it[/yellow]"
            )
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    # Workers of a supervisor that was killed have no one left to stop them.
    state = read_supervisor_state(paths) or {}
    for worker in state.get("workers", []):
        worker_pid = worker.get("pid")
        if isinstance(worker_pid, int) and group_members(worker_pid):
            console.print(f"stopping leftover worker {worker.get('name')} (pid {worker_pid})")
            terminate_group(worker_pid, timeout=10.0)
    with contextlib.suppress(FileNotFoundError):
        paths.pid_file.unlink()
    return pid is not None


def down(
    services: Annotated[
        bool | None,
        typer.Option(
            "--services/--keep-services",
            help="Also stop the local Kafka and Elasticsearch (default: when `parley up` "
            "started them, or when no `parley up` state is left).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for parley up to stop its workers.")
    ] = 90.0,
) -> None:
    """Stop a running `parley up` (workers first), then the local Kafka and Elasticsearch."""
    from parley.services_cli import run_services_script

    console = Console()
    settings = get_settings()
    paths = RuntimePaths.from_settings(settings)
    last_state = read_supervisor_state(paths) or {}
    was_running = stop_supervisor(paths, timeout, console)
    console.print("workers stopped" if was_running else "parley up was not running")
    if services is None:
        # `parley up --no-services` used clusters it did not start: leave them alone.
        services = bool(last_state.get("local_services", True))
    if services:
        raise typer.Exit(run_services_script("down", None, settings))
    console.print("Kafka and Elasticsearch left running")
