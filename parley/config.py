"""One configuration model for every parley worker.

Values come, in increasing priority, from the defaults below, a YAML file (``--config FILE`` or
``PARLEY_CONFIG``) and ``PARLEY_*`` environment variables; nested fields use ``__``
(``PARLEY_KAFKA__BOOTSTRAP_SERVERS``, ``PARLEY_ELASTICSEARCH__API_KEY``).  Secrets are
``SecretStr`` so they never show up in logs or ``repr``; each secret may also be given as a path
in the matching ``*_file`` field (Kubernetes/Docker secrets), which wins over the inline value.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from parley.redact import register_settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def _read_secret(value: SecretStr | None, path: Path | None) -> str | None:
    if path is not None:
        return path.read_text(encoding="utf-8").strip()
    return value.get_secret_value() if value is not None else None


class TopicSettings(BaseModel):
    articles: str = "parley.articles.v1"
    alerts: str = "parley.alerts.v1"
    deadletter: str = "parley.deadletter.v1"
    feeds: str = "parley.feeds.v1"
    partitions: int = Field(3, ge=1)
    replication_factor: int = Field(1, ge=1)


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    sasl_password_file: Path | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    client_id: str = "parley"
    topics: TopicSettings = TopicSettings()

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments shared by kafka-python's producer, consumer and admin client."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": [
                s.strip() for s in self.bootstrap_servers.split(",") if s.strip()
            ],
            "security_protocol": self.security_protocol,
            "client_id": self.client_id,
        }
        if self.sasl_mechanism:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = _read_secret(
                self.sasl_password, self.sasl_password_file
            )
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = str(value)
        return kwargs


class ElasticsearchSettings(BaseModel):
    hosts: str = "http://127.0.0.1:9200"
    api_key: SecretStr | None = None
    api_key_file: Path | None = None
    username: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None
    ca_certs: Path | None = None
    verify_certs: bool = True
    request_timeout: float = Field(30.0, gt=0)
    index_prefix: str = "parley"

    def index(self, name: str) -> str:
        """Concrete index name, e.g. ``index("statements") -> "parley-statements"``."""
        return f"{self.index_prefix}-{name}"

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "hosts": [h.strip() for h in self.hosts.split(",") if h.strip()],
            "request_timeout": self.request_timeout,
            "verify_certs": self.verify_certs,
        }
        api_key = _read_secret(self.api_key, self.api_key_file)
        password = _read_secret(self.password, self.password_file)
        if api_key:
            kwargs["api_key"] = api_key
        elif self.username and password is not None:
            kwargs["basic_auth"] = (self.username, password)
        if self.ca_certs is not None:
            kwargs["ca_certs"] = str(self.ca_certs)
        return kwargs


class ServicesSettings(BaseModel):
    """The local Kafka and Elasticsearch that ``parley services`` runs on 127.0.0.1."""

    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    elasticsearch_port: int = 9200
    elasticsearch_transport_port: int = 9300
    data_dir: Path = REPO_ROOT / "var"
    cache_dir: Path = REPO_ROOT / ".cache"
    elasticsearch_heap: str = "512m"
    kafka_heap: str = "512m"


class HttpSettings(BaseModel):
    user_agent: str = "parley/0.1 (+https://github.com/parley-news/parley)"
    allow_private_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CIDRs or hosts exempt from the SSRF guard, e.g. ['127.0.0.1/32'].",
    )

    @field_validator("allow_private_networks", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            # Environment variables give "a,b" or a JSON list.
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


class LogSettings(BaseModel):
    level: str = "INFO"
    format: Literal["json", "console"] = "json"


class MetricsSettings(BaseModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 0  # 0 = each worker picks its own default port


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PARLEY_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    kafka: KafkaSettings = KafkaSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    services: ServicesSettings = ServicesSettings()
    http: HttpSettings = HttpSettings()
    log: LogSettings = LogSettings()
    metrics: MetricsSettings = MetricsSettings()
    # Sections owned by the workers; each package validates its own part.
    ingest: dict[str, Any] = Field(default_factory=dict)
    pipeline: dict[str, Any] = Field(default_factory=dict)
    alerts: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, file_secret_settings)


#: Models that validate one worker section of ``Settings``, by the section's name.
_SECTION_OF_MODEL = {
    "AlertsSettings": "alerts",
    "IngestSettings": "ingest",
    "PipelineConfig": "pipeline",
}


def describe_validation_error(exc: ValidationError) -> str:
    """A configuration (or record) that failed validation, in a few lines: where and why, never
    the offending input itself (pydantic's own message quotes it, secrets included)."""
    section = _SECTION_OF_MODEL.get(exc.title)
    kind = f"invalid configuration in section {section!r}" if section else f"invalid {exc.title}"
    problems = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        where = ".".join(str(part) for part in (section, *err["loc"]) if part not in (None, ""))
        problems.append(f"  {where or '<root>'}: {err['msg']}")
    return f"{kind}:\n" + "\n".join(problems)


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings from a YAML file (optional), then environment variables on top."""
    path = config_file or os.environ.get("PARLEY_CONFIG")
    file_values: dict[str, Any] = {}
    if path:
        with Path(path).open(encoding="utf-8") as fh:
            loaded = yaml.safe_load(fh) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: the configuration file must be a YAML mapping")
        file_values = loaded
    env_only = Settings()
    merged = _deep_merge(file_values, env_only.model_dump(exclude_unset=True))
    merged = _deep_merge(merged, overrides)
    settings = Settings.model_validate(merged) if merged else Settings()
    # From here on, no output path shows these secrets (logs, status, search, errors).
    register_settings(settings)
    return settings


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


_current: Settings | None = None


def get_settings() -> Settings:
    """Process-wide settings, loaded on first use; ``configure`` replaces them (CLI --config)."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def configure(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    global _current
    _current = load_settings(config_file, **overrides)
    return _current
