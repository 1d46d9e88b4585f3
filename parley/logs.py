"""Structured logging: JSON lines by default (machine-readable), console rendering for humans.

Every line passes through ``parley.redact`` twice: each value of the event (so a console
renderer's colours cannot split a secret from its label), then the rendered line (so nothing a
renderer adds, such as a formatted traceback, escapes it).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from parley.redact import redact, redact_log_event


class _CurrentStderr:
    """A file-like that writes to whatever ``sys.stderr`` is at the time of the write.

    Binding the stream once breaks when stderr is swapped later (test runners, CLI runners,
    daemonisation) and leaves loggers writing to a closed file."""

    def write(self, message: str) -> int:
        return sys.stderr.write(message)

    def flush(self) -> None:
        sys.stderr.flush()


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def __init__(self) -> None:
        super().__init__(_CurrentStderr())  # type: ignore[arg-type]


def setup_logging(level: str = "INFO", fmt: str = "json") -> None:
    render: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )

    def renderer(logger: Any, method: str, event: Any) -> Any:
        line = render(logger, method, event)
        return redact(line) if isinstance(line, str) else line

    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            redact_log_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    # Route stdlib logging (kafka-python, elasticsearch, httpx) through the same renderer.
    handler = _CurrentStderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact_log_event,
                renderer,
            ],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("kafka", "elastic_transport", "httpx", "httpcore", "apache_beam"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
