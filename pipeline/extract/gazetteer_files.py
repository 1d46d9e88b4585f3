"""Gazetteer data files: the YAML sections, validated entry by entry, merged by name.

Only needed to build a gazetteer (``Gazetteer.load``); a process that reads the compiled
gazetteer from the disk cache never imports this module, nor pydantic for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.extract.gazetteer import (
    _TOKEN_RE,
    GazetteerError,
    OrganizationKind,
    normalize_name,
)
from pipeline.extract.lexicon import YAML_LOADER

_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
_ISO2 = r"^[A-Z]{2}$"


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError('YAML read this as a boolean: quote the country code, e.g. "NO"')
    return value


def _has_word(values: Iterable[str], what: str) -> None:
    for value in values:
        if not _TOKEN_RE.search(value):
            raise ValueError(f"{what} {value!r} has no letters or digits")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    key_field: ClassVar[str] = "name"


class _NamedEntry(_Entry):
    """A person or an organisation: a name, aliases, a country code."""

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    country: str | None = Field(default=None, pattern=_ISO2)
    notes: str | None = None

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> Any:
        return _no_bool(value)

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        _has_word(value, "alias")
        return value


class _PersonEntry(_NamedEntry):
    surname: str | list[str] | None = None
    role: str | None = None
    organization: str | None = None
    official: bool = True
    since: str | None = Field(default=None, pattern=_DATE)
    until: str | None = Field(default=None, pattern=_DATE)

    @field_validator("since", "until", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        return value


class _OrganizationEntry(_NamedEntry):
    kind: OrganizationKind


class _RoleEntry(_Entry):
    key_field: ClassVar[str] = "role"
    role: str = Field(min_length=1)
    official: bool = False
    forms: dict[str, list[str]] = Field(default_factory=dict)
    notes: str | None = None

    @field_validator("role")
    @classmethod
    def _lower(cls, value: str) -> str:
        if value != value.lower():
            raise ValueError(f"canonical role {value!r} must be lower case")
        return value

    @field_validator("forms")
    @classmethod
    def _forms(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for lang, forms in value.items():
            if not re.fullmatch(r"[a-z]{2}", lang):
                raise ValueError(f"language {lang!r} is not a two-letter code")
            _has_word(forms, "form")
        return value


class _CountryEntry(_Entry):
    key_field: ClassVar[str] = "code"
    code: str = Field(pattern=_ISO2)
    name: str = Field(min_length=1)
    government: str | None = None
    names: list[str] = Field(default_factory=list)
    adjectives: list[str] = Field(default_factory=list)
    capitals: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> Any:
        return _no_bool(value)


_SECTIONS: dict[str, type[_Entry]] = {
    "persons": _PersonEntry,
    "organizations": _OrganizationEntry,
    "roles": _RoleEntry,
    "countries": _CountryEntry,
}


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "entry"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _merge(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """An extension entry over an existing one: lists are united, other fields replaced."""
    merged = dict(old)
    for field, value in new.items():
        current = merged.get(field)
        if isinstance(value, list) and isinstance(current, list):
            merged[field] = current + [v for v in value if v not in current]
        elif isinstance(value, dict) and isinstance(current, dict):
            forms = {k: list(v) for k, v in current.items()}
            for lang, items in value.items():
                known = forms.setdefault(lang, [])
                if isinstance(items, list):
                    known += [i for i in items if i not in known]
                else:
                    forms[lang] = items  # invalid: let validation report it
            merged[field] = forms
        else:
            merged[field] = value
    return merged


class _Data:
    """Validated entries of all files, merged by canonical name."""

    def __init__(self) -> None:
        self.sections: dict[str, dict[str, _Entry]] = {name: {} for name in _SECTIONS}

    def read(self, path: Path) -> None:
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)  # noqa: S506
        except OSError as exc:
            raise GazetteerError(f"{path}: cannot read gazetteer file: {exc}") from exc
        except yaml.YAMLError as exc:
            raise GazetteerError(f"{path}: invalid YAML: {exc}") from exc
        if raw is None:
            return
        if not isinstance(raw, dict):
            raise GazetteerError(f"{path}: expected a mapping with {', '.join(_SECTIONS)}")
        unknown = sorted(set(raw) - set(_SECTIONS))
        if unknown:
            raise GazetteerError(
                f"{path}: unknown section(s) {', '.join(map(str, unknown))}; "
                f"expected {', '.join(_SECTIONS)}"
            )
        for section, model in _SECTIONS.items():
            items = raw.get(section) or []
            if not isinstance(items, list):
                raise GazetteerError(f"{path}: {section} must be a list")
            for index, item in enumerate(items):
                label = item.get(model.key_field) if isinstance(item, dict) else None
                where = f"{path}: {section}[{index}]" + (f" ({label!r})" if label else "")
                if not isinstance(item, dict):
                    raise GazetteerError(f"{where}: expected a mapping, got {item!r}")
                target = self.sections[section]
                ident = normalize_name(str(item.get(model.key_field, "")))
                if ident in target:
                    item = _merge(target[ident].model_dump(exclude_unset=True), item)
                try:
                    target[ident] = model.model_validate(item)
                except ValidationError as exc:
                    raise GazetteerError(f"{where}: {_describe(exc)}") from exc
