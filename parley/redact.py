"""One redaction function for every output path: logs, ``parley status``, ``parley search``,
error messages and ``--json`` output all pass their text through ``redact``.

What it hides:

- user info in URLs: ``http://elastic:PASSWORD@es:9200`` → ``http://elastic:***@es:9200``, and a
  bare ``https://TOKEN@host`` → ``https://***@host``;
- the value of a secret-looking key, in ``key=value``, ``key: value`` and ``"key": "value"`` form
  (password, passwd, secret, token, api key, access key, authorization, credentials …), and the
  credentials of an ``Authorization``-style ``Bearer``/``Basic`` value;
- every secret the configuration holds, wherever it turns up: the settings register them when
  they are loaded (``register_settings``), from YAML, environment variables and ``*_file`` files
  alike — the Kafka SASL password, the Elasticsearch API key and password, webhook signing
  secrets, the SMTP password, API tokens.

Values shorter than ``MIN_SECRET_LENGTH`` are not registered: replacing every occurrence of a
two-letter "secret" would garble all output, and the key patterns still hide them where they are
labelled.  Pure string work, no I/O except resolving secret references while registering.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from parley.config import Settings

MASK = "***"
MIN_SECRET_LENGTH = 6

# scheme://userinfo@ — userinfo ends at the last "@" before the path, query or fragment.
_URL_USERINFO = re.compile(
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^\s/?#@]+(?:@[^\s/?#@]+)*)@"
)
_CREDENTIAL_LABELS = (
    r"password|passwd|pwd|passphrase|secret|secret[_-]?key|client[_-]?secret|signing[_-]?secret"
    r"|token|access[_-]?token|refresh[_-]?token|auth[_-]?token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|sasl[_-]?plain[_-]?password|credentials?|authorization|x-api-key"
)
# key, optional closing quote, separator, optional opening quote, value (up to a delimiter).
_KEY_VALUE = re.compile(
    rf"(?P<key>(?<![A-Za-z0-9])(?:{_CREDENTIAL_LABELS}))(?P<sep>[\"']?\s*[:=]\s*[\"']?)"
    r"(?P<value>(?:(?:Bearer|Basic|ApiKey|Token)\s+)?[^\s\"',;&{}\[\]()]+)",
    re.IGNORECASE,
)
_SCHEME_CREDENTIALS = re.compile(
    r"\b(?P<scheme>Bearer|Basic|ApiKey)\s+(?P<value>[A-Za-z0-9._~+/=\-]{8,})"
)


class _Registry:
    """The secret values to hide, as one compiled alternation (longest first)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        forms = {value, quote(value, safe=""), json.dumps(value)[1:-1]}
        with self._lock:
            if forms <= self._values:
                return
            self._values |= {f for f in forms if len(f) >= MIN_SECRET_LENGTH}
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None

    def sub(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern is not None else text


_registry = _Registry()


def register_secret(value: str | None) -> None:
    """Hide ``value`` in every later output (ignored when shorter than ``MIN_SECRET_LENGTH``)."""
    _registry.add(value)


def forget_secrets() -> None:
    """Drop every registered value (tests)."""
    _registry.clear()


def _mask_userinfo(match: re.Match[str]) -> str:
    user, colon, _password = match.group("userinfo").partition(":")
    if not colon:  # a lone token in the user part (https://TOKEN@host)
        return f"{match.group('scheme')}{MASK}@"
    return f"{match.group('scheme')}{user}:{MASK}@"


def _mask_value(match: re.Match[str]) -> str:
    value = match.group("value")
    if value == MASK or value.lower() in ("none", "null", "true", "false", "***"):
        return match.group(0)
    return f"{match.group('key')}{match.group('sep')}{MASK}"


def redact(text: str) -> str:
    """``text`` with credentials in URLs, labelled secrets and registered secret values masked."""
    if not text:
        return text
    text = _registry.sub(text)
    if "://" in text:
        text = _URL_USERINFO.sub(_mask_userinfo, text)
    text = _KEY_VALUE.sub(_mask_value, text)
    return _SCHEME_CREDENTIALS.sub(lambda m: f"{m.group('scheme')} {MASK}", text)


def redact_data(value: Any) -> Any:
    """``redact`` applied to every string inside nested dicts, lists and tuples (``--json``)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


def redact_log_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    """structlog processor: every value of the event (a secret-named key's value entirely),
    exceptions included once rendered."""
    return {
        key: MASK
        if value and isinstance(value, str) and _CREDENTIAL_NAME.match(key)
        else redact_data(value)
        for key, value in event.items()
    }


# -- registering the configuration's secrets ---------------------------------------------------

_CREDENTIAL_NAME = re.compile(rf"^(?:{_CREDENTIAL_LABELS}|.*_(?:password|secret|token|key))$", re.I)


def _read_file(path: str | Path) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        return None


def _secret_reference(value: Mapping[str, Any]) -> Iterable[str | None]:
    """A ``{env: NAME}`` / ``{file: PATH}`` / ``{value: V}`` secret source (alerts section)."""
    if isinstance(value.get("value"), str):
        yield value["value"]
    if isinstance(value.get("env"), str):
        yield os.environ.get(value["env"])
    if isinstance(value.get("file"), str | Path):
        yield _read_file(value["file"])


def _walk(section: Any, secret: bool = False) -> Iterable[str | None]:
    """Secret values in a free-form settings section: values of secret-looking keys (strings,
    ``*_file`` paths, ``{env|file|value}`` references) and the whole of ``signing_secrets``."""
    if isinstance(section, Mapping):
        if secret and set(section) & {"env", "file", "value"}:
            yield from _secret_reference(section)
            return
        for key, value in section.items():
            name = str(key)
            if name.endswith("_file") and _CREDENTIAL_NAME.match(name[:-5]):
                if isinstance(value, str | Path):
                    yield _read_file(value)
                continue
            named_secret = bool(_CREDENTIAL_NAME.match(name)) or name == "signing_secrets"
            yield from _walk(value, secret or named_secret)
    elif isinstance(section, list | tuple):
        for item in section:
            yield from _walk(item, secret)
    elif secret and isinstance(section, str):
        yield section


def register_settings(settings: Settings) -> None:
    """Register every secret the settings hold or point to (see the module docstring)."""
    kafka, es = settings.kafka, settings.elasticsearch
    values: list[str | None] = []
    if kafka.sasl_password is not None:
        values.append(kafka.sasl_password.get_secret_value())
    if kafka.sasl_password_file is not None:
        values.append(_read_file(kafka.sasl_password_file))
    for secret in (es.api_key, es.password):
        if secret is not None:
            values.append(secret.get_secret_value())
    for path in (es.api_key_file, es.password_file):
        if path is not None:
            values.append(_read_file(path))
    for host in (*es.hosts.split(","), *kafka.bootstrap_servers.split(",")):
        match = _URL_USERINFO.search(host)
        if match:
            user, colon, password = match.group("userinfo").partition(":")
            values.append(password if colon else user)
    for section in (settings.alerts, settings.ingest, settings.pipeline):
        values.extend(_walk(section))
    for value in values:
        register_secret(value)
