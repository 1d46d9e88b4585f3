"""``parley.redact``: one function hides credentials in every output path."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from pydantic import ValidationError

from parley.config import describe_validation_error, load_settings
from parley.logs import get_logger, setup_logging
from parley.redact import MASK, forget_secrets, redact, redact_data, register_secret
from sinks.alerts.config import alerts_settings


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "unreachable at http://elastic:hunter2hunter@es-1:9200: refused",
            f"unreachable at http://elastic:{MASK}@es-1:9200: refused",
        ),
        ("clone https://ghp_abcdef123456@github.com/x", f"clone https://{MASK}@github.com/x"),
        ("http://a:p@ss:w@host/x?y=1", f"http://a:{MASK}@host/x?y=1"),
        (
            "http://127.0.0.1:9200 and desk@example.org",
            "http://127.0.0.1:9200 and desk@example.org",
        ),
        ("password=hunter2 user=bob", f"password={MASK} user=bob"),
        ('{"api_key": "c2VjcmV0", "n": 1}', f'{{"api_key": "{MASK}", "n": 1}}'),
        ("sasl_plain_password: 'x y'", f"sasl_plain_password: '{MASK} y'"),
        ("Authorization: Bearer abc.def.ghi", f"Authorization: {MASK}"),
        ("sent Bearer abcdefghijkl to it", f"sent Bearer {MASK} to it"),
        ("tokens: 12, token_count=4, password=None", "tokens: 12, token_count=4, password=None"),
        ('"token": {"env": "PARLEY_API_TOKEN"}', '"token": {"env": "PARLEY_API_TOKEN"}'),
    ],
)
def test_credentials_in_urls_and_labelled_values_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_registered_secrets_are_masked_in_every_spelling() -> None:
    secret = "S3ntinel/secret+ü"
    register_secret(secret)
    register_secret("short")  # too short to register: it would garble every output
    text = f"a {secret} b {json.dumps(secret)} c http://x/?k={'S3ntinel%2Fsecret%2B%C3%BC'} short"
    out = redact(text)
    assert "S3ntinel" not in out
    assert out.count(MASK) == 3 and out.endswith(" short")


def test_redact_data_walks_nested_json() -> None:
    register_secret("nested-sentinel-1")
    data = {"a": ["x nested-sentinel-1", {"b": ("http://u:pw123456@h",)}], "n": 3}
    assert redact_data(data) == {"a": [f"x {MASK}", {"b": [f"http://u:{MASK}@h"]}], "n": 3}


def test_settings_register_their_secrets_from_yaml_env_and_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "es-api-key").write_text("SENTINEL-ES-APIKEY-FILE\n")
    (tmp_path / "smtp").write_text("SENTINEL-SMTP-FILE")
    config = tmp_path / "parley.yaml"
    config.write_text(
        "elasticsearch:\n"
        "  hosts: http://elastic:SENTINEL-ES-URL@127.0.0.1:9200\n"
        f"  api_key_file: {tmp_path / 'es-api-key'}\n"
        "kafka:\n"
        "  sasl_password: SENTINEL-KAFKA-YAML\n"
        "alerts:\n"
        "  smtp: {password: {file: " + str(tmp_path / "smtp") + "}}\n"
        "  signing_secrets: {newsroom: {value: SENTINEL-SIGNING-INLINE}}\n"
        "  api: {tokens: [{owner: newsroom, token: {env: NEWSROOM_TOKEN}}]}\n"
    )
    monkeypatch.setenv("NEWSROOM_TOKEN", "SENTINEL-TOKEN-ENV")
    monkeypatch.setenv("PARLEY_ELASTICSEARCH__PASSWORD", "SENTINEL-ES-PASSWORD-ENV")
    load_settings(config)
    sentinels = [
        "SENTINEL-ES-APIKEY-FILE",
        "SENTINEL-SMTP-FILE",
        "SENTINEL-ES-URL",
        "SENTINEL-KAFKA-YAML",
        "SENTINEL-SIGNING-INLINE",
        "SENTINEL-TOKEN-ENV",
        "SENTINEL-ES-PASSWORD-ENV",
    ]
    out = redact(" | ".join(sentinels) + " | owner newsroom")
    assert "SENTINEL" not in out
    assert out.endswith("owner newsroom")  # names of owners and secrets are not secrets


def test_log_lines_are_redacted_in_both_formats(capsys: pytest.CaptureFixture[str]) -> None:
    register_secret("SENTINEL-IN-A-LOG")
    try:
        for fmt in ("json", "console"):
            setup_logging("INFO", fmt)
            log = get_logger("test.redact")
            log.warning(
                "connect", url="http://u:pw-123456@h", note="SENTINEL-IN-A-LOG", token="t0k3n!"
            )
            logging.getLogger("kafka").warning("stdlib says SENTINEL-IN-A-LOG")
            try:
                raise RuntimeError("boom SENTINEL-IN-A-LOG")
            except RuntimeError:
                log.exception("failed")
        err = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
    assert "SENTINEL" not in err and "pw-123456" not in err and "t0k3n!" not in err
    assert err.count(f"RuntimeError: boom {MASK}") == 2


def test_configuration_errors_say_where_and_why_without_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        alerts_settings(
            load_settings(
                alerts={"smtp": {"username": "parley", "password": {"value": "SENTINEL-SMTP-1"}}}
            )
        )
    assert "SENTINEL" in str(caught.value)  # pydantic's own message quotes the input
    text = describe_validation_error(caught.value)
    assert "SENTINEL" not in text
    assert text.startswith("invalid configuration in section 'alerts'")
    assert "alerts.smtp" in text and "clear text" in text


def test_the_alerts_section_registers_its_default_secret_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARLEY_API_TOKEN", "SENTINEL-DEFAULT-API-TOKEN")
    monkeypatch.setenv("PARLEY_ALERTS_SIGNING_SECRET", "SENTINEL-DEFAULT-SIGNING")
    settings = load_settings()
    assert "SENTINEL" in redact("SENTINEL-DEFAULT-API-TOKEN")  # not in the raw section
    alerts_settings(settings)
    assert "SENTINEL" not in redact("SENTINEL-DEFAULT-API-TOKEN SENTINEL-DEFAULT-SIGNING")
