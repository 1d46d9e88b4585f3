"""The one configuration model: defaults, YAML file, PARLEY_* environment, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.config import load_settings


def test_yaml_then_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "parley.yaml"
    config.write_text(
        "kafka:\n  bootstrap_servers: a:9092,b:9092\n  topics: {partitions: 6}\n"
        "elasticsearch:\n  hosts: https://es:9200\n  index_prefix: news\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PARLEY_ELASTICSEARCH__INDEX_PREFIX", "prod")
    settings = load_settings(config)
    assert settings.kafka.client_kwargs()["bootstrap_servers"] == ["a:9092", "b:9092"]
    assert settings.kafka.topics.partitions == 6
    assert settings.kafka.topics.articles == "parley.articles.v1"
    assert settings.elasticsearch.index("statements") == "prod-statements"
    assert settings.elasticsearch.client_kwargs()["hosts"] == ["https://es:9200"]


def test_secrets_from_files_and_never_in_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "api-key"
    key_file.write_text("file-key-123\n", encoding="utf-8")
    monkeypatch.setenv("PARLEY_ELASTICSEARCH__API_KEY", "inline-key-456")
    monkeypatch.setenv("PARLEY_ELASTICSEARCH__API_KEY_FILE", str(key_file))
    monkeypatch.setenv("PARLEY_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("PARLEY_KAFKA__SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("PARLEY_KAFKA__SASL_USERNAME", "parley")
    monkeypatch.setenv("PARLEY_KAFKA__SASL_PASSWORD", "kafka-secret-789")
    settings = load_settings()
    # The file wins over the inline value (mounted secrets are the production path).
    assert settings.elasticsearch.client_kwargs()["api_key"] == "file-key-123"
    kafka = settings.kafka.client_kwargs()
    assert kafka["sasl_plain_password"] == "kafka-secret-789"
    assert kafka["security_protocol"] == "SASL_SSL"
    dumped = repr(settings) + settings.model_dump_json()
    assert "inline-key-456" not in dumped
    assert "kafka-secret-789" not in dumped


def test_basic_auth_and_ca(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PARLEY_ELASTICSEARCH__USERNAME", "elastic")
    monkeypatch.setenv("PARLEY_ELASTICSEARCH__PASSWORD", "pw")
    monkeypatch.setenv("PARLEY_ELASTICSEARCH__CA_CERTS", str(tmp_path / "ca.pem"))
    kwargs = load_settings().elasticsearch.client_kwargs()
    assert kwargs["basic_auth"] == ("elastic", "pw")
    assert kwargs["ca_certs"].endswith("ca.pem")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("127.0.0.1/32, 10.0.0.0/8", ["127.0.0.1/32", "10.0.0.0/8"]),
        ('["127.0.0.1/32"]', ["127.0.0.1/32"]),
    ],
)
def test_allow_list_from_environment(
    raw: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_HTTP__ALLOW_PRIVATE_NETWORKS", raw)
    assert load_settings().http.allow_private_networks == expected


def test_non_mapping_yaml_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="must be a YAML mapping"):
        load_settings(config)
