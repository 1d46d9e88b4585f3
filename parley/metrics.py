"""Prometheus metrics endpoint shared by the workers (each worker registers its own metrics)."""

from __future__ import annotations

from prometheus_client import start_http_server

from parley.config import MetricsSettings

# Default /metrics ports per worker, so that several workers on one host do not collide.
DEFAULT_PORTS = {"poller": 9464, "pipeline": 9465, "dispatcher": 9466, "api": 9467}


def worker_metrics_port(settings: MetricsSettings, worker: str) -> int:
    """The port ``parley up`` gives ``worker``'s /metrics: ``metrics.port`` plus the worker's
    place in ``DEFAULT_PORTS`` when a base port is set, else the worker's default port."""
    if settings.port:
        return settings.port + list(DEFAULT_PORTS).index(worker)
    return DEFAULT_PORTS[worker]


def serve_metrics(settings: MetricsSettings, worker: str) -> int | None:
    """Start the /metrics HTTP endpoint for ``worker``; returns the port, or None when disabled."""
    if not settings.enabled:
        return None
    port = settings.port or DEFAULT_PORTS.get(worker, 9470)
    start_http_server(port, addr=settings.host)
    return port
