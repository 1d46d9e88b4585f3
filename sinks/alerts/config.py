"""The ``alerts`` section of the settings, validated here (``Settings.alerts`` is a free dict).

Secrets (webhook signing keys, the SMTP password, API tokens) are *references*: the name of an
environment variable or a file path, resolved when needed and never logged or returned by the API.
Subscriptions never carry a secret themselves; a webhook channel names one of the operator's
``signing_secrets`` (or uses the global ``signing_secret``), so an API user cannot make parley
read arbitrary files or environment variables.  Example (YAML)::

    alerts:
      signing_secret: {file: /run/secrets/parley-webhook-secret}
      signing_secrets: {newsroom: {env: NEWSROOM_WEBHOOK_SECRET}}
      smtp: {host: smtp.example.org, port: 587, starttls: true, username: parley,
             password: {file: /run/secrets/smtp-password}, sender: "parley <alerts@example.org>"}
      api:
        host: 0.0.0.0
        port: 8088
        tokens:
          - {owner: admin, admin: true, token: {env: PARLEY_API_TOKEN}}
          - {owner: newsroom, token: {file: /run/secrets/newsroom-token}}
      retry: {max_attempts: 6, backoff_base: 1.0}
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from parley.config import Settings
from parley.redact import register_secret


class SecretSource(BaseModel):
    """Where a secret lives: an environment variable, a file (Kubernetes/Docker secrets) or,
    for tests and throw-away setups, an inline value.  The file wins over the variable."""

    model_config = ConfigDict(extra="forbid")

    env: str | None = None
    file: Path | None = None
    value: SecretStr | None = None

    def resolve(self) -> str | None:
        if self.file is not None:
            return self.file.read_text(encoding="utf-8").strip() or None
        if self.env is not None:
            return os.environ.get(self.env) or None
        return self.value.get_secret_value() if self.value is not None else None


class ApiToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: str = Field(min_length=1, description="subscriptions created with this token belong to")
    admin: bool = Field(False, description="may see and change every owner's subscriptions")
    token: SecretSource


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(8088, ge=0, le=65535)
    # The single admin token most deployments need; more owners go to ``tokens``.
    token: SecretSource = SecretSource(env="PARLEY_API_TOKEN")
    tokens: list[ApiToken] = Field(default_factory=list)
    # Larger request bodies are refused with 413 before they are read (tokens or not).
    max_body_bytes: int = Field(256 * 1024, ge=1024)

    def resolved_tokens(self) -> dict[str, ApiToken]:
        """token value → token entry (entries whose secret is unset are skipped)."""
        out: dict[str, ApiToken] = {}
        admin = self.token.resolve()
        if admin:
            out[admin] = ApiToken(owner="admin", admin=True, token=self.token)
        for entry in self.tokens:
            value = entry.token.resolve()
            if value:
                out[value] = entry
        return out


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = Field(False, description="implicit TLS (SMTPS, usually port 465)")
    ca_file: Path | None = Field(None, description="CA bundle for the server's certificate")
    username: str | None = None
    password: SecretSource | None = None
    # AUTH without TLS sends the password in clear text: only for a relay on the same host.
    allow_insecure_auth: bool = False
    sender: str = "parley <alerts@localhost>"
    timeout: float = Field(10.0, gt=0)

    @model_validator(mode="after")
    def _tls_modes(self) -> SmtpSettings:
        if self.ssl and self.starttls:
            raise ValueError("smtp.ssl and smtp.starttls are exclusive")
        if self.username and not (self.ssl or self.starttls or self.allow_insecure_auth):
            raise ValueError(
                "smtp.username without smtp.starttls or smtp.ssl would send the password in "
                "clear text (set smtp.allow_insecure_auth only for a local relay)"
            )
        return self


class RetrySettings(BaseModel):
    """Delivery retries per channel: exponential backoff ``base * 2**(attempt-1)``, capped, with
    ±20 % jitter so that many failed deliveries do not hammer a receiver in lock-step."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(5, ge=1, description="then the delivery is dead-lettered")
    backoff_base: float = Field(0.5, gt=0)
    backoff_max: float = Field(60.0, gt=0)
    max_retry_after: float = Field(300.0, gt=0, description="cap on a receiver's Retry-After")
    timeout: float = Field(10.0, gt=0, description="per HTTP request")


class MatchingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cache_ttl: float = Field(5.0, gt=0, description="seconds between subscription reloads")
    # Distinct queries per search inside the one msearch, each a named clause.  Small searches
    # are cheaper in total (every hit is checked against every named clause of its search) and
    # Elasticsearch caps the clauses of one query (indices.query.bool.max_clause_count).
    chunk_size: int = Field(20, ge=1, le=2000)


class DispatcherSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _heartbeat_below_session(self) -> DispatcherSettings:
        if self.heartbeat_interval_ms * 3 > self.session_timeout_ms:
            raise ValueError("heartbeat_interval_ms must be at most a third of session_timeout_ms")
        return self

    group_id: str = "parley-dispatcher"
    # Records fetched and being handled (waiting for a delivery slot, being delivered, their
    # state being stored): a burst of a thousand alerts is read at once, in a few polls, so
    # that its state reads and writes go to Elasticsearch in a few large bulk requests.
    max_in_flight: int = Field(1000, ge=1, description="alert records being handled at once")
    per_host_concurrency: int = Field(8, ge=1, description="HTTP requests in flight per host")
    total_concurrency: int = Field(
        128, ge=1, description="HTTP requests in flight to all hosts together"
    )
    # Idle connections to receivers are kept this long, so the next alerts to a host (often
    # the next burst) skip the TCP and TLS handshakes.
    keepalive_seconds: float = Field(60.0, ge=0)
    max_poll_records: int = Field(500, ge=1)
    max_poll_interval_ms: int = Field(900_000, ge=10_000)
    # How soon the group notices a dispatcher that died (kill -9, lost host) and hands its
    # partitions to another: kafka-python's default (45 s) would hold alerts that long.
    session_timeout_ms: int = Field(10_000, ge=1000)
    heartbeat_interval_ms: int = Field(3_000, ge=100)
    commit_interval: float = Field(1.0, gt=0)
    # On stop, deliveries still running after this are abandoned uncommitted (and redelivered by
    # the next dispatcher), so a receiver in a long retry cannot block a shutdown.
    shutdown_grace: float = Field(10.0, ge=0)
    # A dispatcher with records waiting on its partitions, none in flight, and none received for
    # this long has a Kafka client that stopped fetching: it exits, and its restart joins afresh.
    stall_timeout: float = Field(60.0, ge=5)
    digest_check_interval: float = Field(15.0, gt=0)
    # A digest claimed by a dispatcher that died is taken over after this many seconds.
    digest_claim_timeout: float = Field(600.0, gt=0)


class SubscriptionLimits(BaseModel):
    """What a subscription may hold, checked whenever one is created or changed (API, CLI,
    imports).  Every batch of statements runs every subscription, so its cost recurs."""

    model_config = ConfigDict(extra="forbid")

    max_query_chars: int = Field(4000, ge=1)
    # Leading wildcards (*war) and regular expressions (/.*a.*b/) scan the whole term index.
    allow_leading_wildcard: bool = False
    max_regexps: int = Field(0, ge=0)
    max_wildcard_terms: int = Field(5, ge=0)
    max_channels: int = Field(10, ge=1)
    max_recipients: int = Field(50, ge=1, description="e-mail addresses per channel")
    max_filter_values: int = Field(100, ge=1, description="values per structured filter")


class AlertsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="the pipeline calls the alert hook after indexing")
    signing_secret: SecretSource = SecretSource(env="PARLEY_ALERTS_SIGNING_SECRET")
    signing_secrets: dict[str, SecretSource] = Field(default_factory=dict)
    smtp: SmtpSettings = SmtpSettings()
    api: ApiSettings = ApiSettings()
    retry: RetrySettings = RetrySettings()
    matching: MatchingSettings = MatchingSettings()
    dispatcher: DispatcherSettings = DispatcherSettings()
    subscriptions: SubscriptionLimits = SubscriptionLimits()
    kibana_url: str | None = Field(
        None, description="base URL of Kibana, for a 'see in Kibana' link in messages"
    )

    def signing_key(self, name: str | None) -> str | None:
        """The webhook signing key: the named one, or the global one when ``name`` is None."""
        if name is None:
            return self.signing_secret.resolve()
        source = self.signing_secrets.get(name)
        return source.resolve() if source is not None else None


def alerts_settings(settings: Settings) -> AlertsSettings:
    config = AlertsSettings.model_validate(settings.alerts)
    _register_secrets(config)
    return config


def _register_secrets(config: AlertsSettings) -> None:
    """Hide every secret of the section in all output (``parley.redact``), defaults included
    (``PARLEY_API_TOKEN``, ``PARLEY_ALERTS_SIGNING_SECRET``), which the raw section lacks."""
    sources = [config.signing_secret, *config.signing_secrets.values(), config.api.token]
    sources += [entry.token for entry in config.api.tokens]
    if config.smtp.password is not None:
        sources.append(config.smtp.password)
    for source in sources:
        try:
            register_secret(source.resolve())
        except (OSError, ValueError):  # a secret file not mounted yet: read when it is used
            continue
