"""The poison policy's line between "retry" (infrastructure) and "dead-letter" (the input)."""

from __future__ import annotations

import smtplib
from typing import Any

import httpx
import pytest
from elasticsearch import ConnectionError
from kafka.errors import BrokerNotAvailableError, KafkaTimeoutError
from support.bulk_fakes import api_error

from parley.poison import TransientError, describe, is_transient


def caused(outer: Exception, cause: BaseException) -> Exception:
    try:
        raise outer from cause
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    "exc",
    [
        BrokerNotAvailableError(),
        KafkaTimeoutError(),
        ConnectionError("refused"),
        api_error(429, "es_rejected_execution_exception"),
        api_error(503, "unavailable"),
        api_error(404, "index_not_found_exception"),
        api_error(400, "index_closed_exception"),
        api_error(403, "cluster_block_exception"),
        httpx.ConnectTimeout("slow"),
        TimeoutError(),
        OSError(104, "reset"),
        smtplib.SMTPServerDisconnected("gone"),
        TransientError("alerts index busy"),
        caused(RuntimeError("matching failed"), ConnectionError("refused")),
    ],
    ids=repr,
)
def test_infrastructure_errors_are_retried(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("Header values may not contain linefeed or carriage return characters"),
        RecursionError("maximum recursion depth exceeded"),
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
        KeyError("statement_id"),
        TypeError("not serialisable"),
        api_error(400, "mapper_parsing_exception"),
        caused(RuntimeError("render failed"), ValueError("bad header")),
    ],
    ids=repr,
)
def test_errors_of_the_input_are_not_retried(exc: BaseException) -> None:
    assert not is_transient(exc)


def test_describe_is_one_bounded_line() -> None:
    text: Any = describe(ValueError("a\nb" + "x" * 2000), limit=50)
    assert text.startswith("ValueError: a b") and len(text) == 50 and "\n" not in text
