"""Gazetteer of officials, organisations, roles and country terms for speaker resolution.

The bundled data lives in ``pipeline/extract/data/`` as human-editable YAML:

- ``officials.yaml``      persons (``persons:``): canonical name, aliases, role, organisation,
                          country, official, optional since/until/notes
- ``organizations.yaml``  institutions and media (``organizations:``): name, aliases, kind, country
- ``roles.yaml``          role vocabulary (``roles:``) and country terms (``countries:``)

Users extend or correct it with their own YAML files, passed to :meth:`Gazetteer.load` or named in
the configuration (``pipeline.gazetteer_paths``) or in ``PARLEY_GAZETTEER_PATHS`` (colon-separated).
An extension file may hold any of the four top-level lists; an entry whose canonical name (role,
country code) matches an existing one is merged into it: list fields (aliases, forms, names) are
united, every other field the entry sets replaces the old value.

Matching is exact on normalised token sequences: case, diacritics, apostrophes and hyphens do
not matter (``Zelenskyy`` = ``ZELENSKYY``, ``Erdoğan`` = ``Erdogan``, ``RIA-Novosti`` = ``RIA
Novosti``). Russian and Ukrainian case forms of names, roles and country terms are generated at
load time (``Путина``, ``пресс-секретаря``, ``Україні``). A bare surname ("Peskov") resolves only
when no other person has it. In running text (:meth:`Gazetteer.find_mentions`) capitalisation
counts where the data is capitalised ("Trump" the person, not "trump" the verb) and two- or
three-letter abbreviations must be in capitals ("US", not "us").

The shared instances (:meth:`Gazetteer.default`, :meth:`Gazetteer.configured`) are compiled once
and kept as a pickle in ``$PARLEY_CACHE_DIR`` (default ``~/.cache/parley``; empty = off), keyed by
a hash of this module and of every data file, so that a process starts in ~0.1 s instead of ~0.7 s.

Errors: :class:`GazetteerError` (a ``ValueError``) names the file and the entry of bad data.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast

from pipeline.extract.diskcache import cache_dir, load_or_build
from pipeline.extract.gazetteer_scan import ScanEntry, scan_mentions

if TYPE_CHECKING:
    from pipeline.extract.gazetteer_files import (
        _CountryEntry,
        _Data,
        _OrganizationEntry,
        _PersonEntry,
        _RoleEntry,
    )

__all__ = [
    "ENV_PATHS",
    "Gazetteer",
    "GazetteerError",
    "Mention",
    "Organization",
    "Person",
    "configured_paths",
    "normalize_name",
]

DATA_DIR = Path(__file__).resolve().with_name("data")
BUNDLED_FILES = ("roles.yaml", "organizations.yaml", "officials.yaml")
ENV_PATHS = "PARLEY_GAZETTEER_PATHS"
OFFICIAL_KINDS = frozenset({"government", "state_body", "igo", "military"})

MentionKind = Literal["person", "organization", "role", "country"]
OrganizationKind = Literal[
    "government", "state_body", "igo", "military", "media", "party", "company", "ngo"
]


class GazetteerError(ValueError):
    """Gazetteer data that cannot be read or validated; the message names file and entry."""


@dataclass(frozen=True)
class Person:
    name: str
    aliases: tuple[str, ...]
    role: str | None
    organization: str | None
    country: str | None
    official: bool


@dataclass(frozen=True)
class Organization:
    name: str
    aliases: tuple[str, ...]
    kind: str
    country: str | None
    official: bool


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    kind: MentionKind
    entity: Person | Organization | str


# --- normalisation ------------------------------------------------------------------------------

_APOSTROPHES = "'’‘ʼ`´′"
_HYPHENS = "-‐‑‒–—―"
# Letters that Unicode does not decompose into a base letter plus a mark.
_FOLD: dict[int, str | None] = {ord(c): None for c in _APOSTROPHES}
_FOLD.update({ord(h): " " for h in _HYPHENS})
_FOLD.update(
    {ord(k): v for k, v in {"ł": "l", "ø": "o", "đ": "d", "ı": "i", "æ": "ae", "œ": "oe"}.items()}
)
_FOLD.update({ord(k): v for k, v in {"þ": "th", "ð": "d", "ħ": "h"}.items()})
_SPACES = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """Matching form of a name: casefolded, without diacritics (ё→е, й→и, ğ→g), apostrophes
    dropped, hyphens and dashes as spaces, whitespace collapsed. Stable: also used for ids."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.translate(_FOLD)).strip()


# Tokens: dotted abbreviations (U.S., J.D.), words with inner apostrophes (Sa'ar, прем'єр),
# and a possessive 's as its own token so "Russia's Foreign Ministry" can be matched.
_TOKEN_RE = re.compile(r"(?:[^\W\d_]\.){2,}|\w+(?:['’‘ʼ`](?![sS]\b)\w+)*|['’ʼ][sS]\b")
_POSSESSIVE = "'s"
_GAP_CHARS = frozenset(" \t\n\r\u00a0\u2009\u202f" + _HYPHENS)
_KEY_CACHE: dict[str, str] = {}
_KEY_CACHE_MAX = 200_000

Key = tuple[str, ...]

# Case requirement of an alias token in running text.
_ANY, _CAPITAL, _CAPITALS = 0, 1, 2


def _token_key(token: str) -> str:
    key = _KEY_CACHE.get(token)
    if key is None:
        if len(token) == 2 and token[0] in _APOSTROPHES and token[1] in "sS":
            key = _POSSESSIVE
        elif token.isascii() and token.isalnum():
            # What normalize_name gives an ASCII word (nothing to decompose, fold or
            # collapse), at a twentieth of its cost: most tokens of a text are new to the cache.
            key = token.lower()
        else:
            key = normalize_name(token)
        if len(_KEY_CACHE) < _KEY_CACHE_MAX:
            _KEY_CACHE[token] = key
    return key


def _phrase_key(text: str) -> Key:
    # findall: the tokens as strings, without a match object and a generator step each (the
    # speaker lookups run this ~100 times an article)
    return tuple(map(_token_key, _TOKEN_RE.findall(text)))


def _token_flag(token: str) -> int:
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return _ANY
    if 2 <= len(letters) <= 3 and all(c.isupper() for c in letters):
        return _CAPITALS
    return _CAPITAL if letters[0].isupper() else _ANY


def _phrase_flags(text: str) -> tuple[int, ...]:
    return tuple(_token_flag(m.group()) for m in _TOKEN_RE.finditer(text))


def _strip_article(key: Key, flags: tuple[int, ...] | None = None) -> tuple[Key, tuple[int, ...]]:
    if len(key) > 1 and key[0] in ("the", "a", "an"):
        return key[1:], (flags or (0,) * len(key))[1:]
    return key, flags or (0,) * len(key)


# --- Russian / Ukrainian case forms -------------------------------------------------------------

_CYRILLIC = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_SLOTS = ("gen", "dat", "acc", "ins", "loc")
# Every gender, number and case of a Russian or Ukrainian adjective.
_ADJ_ENDINGS = (
    "ий ый ой ая яя ое ее ие ые ого его ому ему им ым ом ем ую юю их ых ими ыми ей "
    "а е і ої ій у ою ім"
)


def _is_adjective(word: str) -> bool:
    w = word.lower()
    if w.endswith(("ский", "цкий", "ской", "цкой", "ський", "цький", "ая", "яя", "ый")):
        return True
    # A capitalised -ий/-ій/-ой word is a first name (Дмитрий, Андрій) or Толстой-type surname.
    return w.endswith(("ий", "ій", "ой")) and not word[0].isupper()


# Case endings by declension type: (genitive, dative, accusative, instrumental, locative), each
# a space-separated list of Russian and Ukrainian endings added to the stem. An accusative of
# None means "like the genitive for persons, like the nominative otherwise".
_Paradigm = tuple[str, str, str | None, str, str]
_FEMININE_ADJECTIVE: _Paradigm = ("ой ей", "ой ей", "ую юю", "ой ою ей", "ой ей")
_FEMININE_SURNAME: _Paradigm = ("ой ої", "ой ій", "у", "ой ою", "ой ій")
_MASCULINE_ADJECTIVE: _Paradigm = ("ого", "ому", None, "им ым", "ом ому ім")
_NOUN_IA: _Paradigm = ("и ї", "и ї", "ю", "ей єю", "и ї")
_NOUN_A: _Paradigm = ("ы и", "е і", "у", "ой ою ей ею", "е і")
_NOUN_YA: _Paradigm = ("и і", "е і", "ю", "ей ею", "е і")
_NOUN_SOFT: _Paradigm = ("я и", "ю и", None, "ем ём ью", "е і и")
_NOUN_IY: _Paradigm = ("ия ія", "ию ію ієві", None, "ием ієм", "ии ії")
_NOUN_Y: _Paradigm = ("я", "ю єві", None, "ем єм", "е ї")
_NOUN_O: _Paradigm = ("а", "у ові", None, "ом", "і ові")
_NOUN_HARD: _Paradigm = ("а", "у ові", None, "ом ем", "е і")
_NOUN_R: _Paradigm = ("а я", "у ові ю еві", None, "ом ем", "е і")
_SURNAME_OV: _Paradigm = ("а", "у ові", None, "ым им", "е і")
_CONSONANTS = frozenset("бвгджзклмнпрстфхцчшщ")


def _paradigm(word: str, animate: bool) -> tuple[int, _Paradigm] | None:
    """Letters to cut for the stem and the endings, from the word's ending."""
    w = word.lower()
    capital = word[0].isupper()
    surname = capital and animate
    if w.endswith(("ая", "яя")):
        return 2, _FEMININE_ADJECTIVE
    if w.endswith(("ська", "цька")) or (
        surname and w.endswith(("ова", "ева", "ёва", "ина", "ына"))
    ):
        return 1, _FEMININE_SURNAME
    if _is_adjective(word):
        return 2, _MASCULINE_ADJECTIVE
    if w.endswith(("ия", "ія")):
        return 1, _NOUN_IA
    if w.endswith("а"):
        return 1, _NOUN_A
    if w.endswith("я"):
        return 1, _NOUN_YA
    if w.endswith("ь"):
        return 1, _NOUN_SOFT
    if w.endswith(("ий", "ій")):
        return 2, _NOUN_IY
    if w.endswith(("ей", "ай", "яй", "уй", "ой")):
        return 1, _NOUN_Y
    if w.endswith("о"):
        return (1, _NOUN_O) if capital else None
    if w[-1] in _CONSONANTS:
        if surname and w.endswith(("ов", "ев", "ёв", "ин", "ын", "ін", "їн", "ів", "їв")):
            return 0, _SURNAME_OV
        return 0, _NOUN_R if w.endswith("р") else _NOUN_HARD
    return None


def _case_forms(word: str, animate: bool) -> dict[str, list[str]] | None:
    """Oblique case forms of one Russian or Ukrainian word, by slot. Generous on purpose: a form
    that does not exist never occurs in text and so never matches."""
    if len(word) < 3 or not _CYRILLIC.search(word) or word.isupper():
        return None
    if "-" in word:
        head, _, last = word.rpartition("-")
        inner = _case_forms(last, animate)
        if inner is None:
            return None
        return {slot: [f"{head}-{f}" for f in forms] for slot, forms in inner.items()}
    found = _paradigm(word, animate)
    if found is None:
        return None
    cut, endings = found
    stem = word[: len(word) - cut]
    out: dict[str, list[str]] = {}
    for slot, group in zip(_SLOTS, endings, strict=True):
        if group is None:
            group = endings[0] if animate else ""
        out[slot] = [stem + e for e in group.split()]
    return out


def _inflect(phrase: str, *, animate: bool, head_only: bool) -> list[str]:
    """Oblique case forms of a Russian/Ukrainian phrase: every word for personal names, the
    leading adjectives and the head noun otherwise ("министр иностранных дел" -> "министра ...")."""
    if not _CYRILLIC.search(phrase):
        return []
    words = phrase.split()
    per_word: list[dict[str, list[str]] | None] = []
    for i, word in enumerate(words):
        if head_only and i > 0 and not _is_adjective(words[i - 1]):
            per_word.append(None)
            continue
        per_word.append(_case_forms(word, animate))
    if all(p is None for p in per_word):
        return []
    out: list[str] = []
    for slot in _SLOTS:
        options = [
            (p[slot] or [word]) if p is not None else [word]
            for word, p in zip(words, per_word, strict=True)
        ]
        for combo in itertools.islice(itertools.product(*options), 32):
            form = " ".join(combo)
            if form != phrase and form not in out:
                out.append(form)
    return out


def _adjective_paradigm(adjective: str) -> list[str]:
    """All gender/number/case forms of a Russian or Ukrainian adjective (российский ->
    российская, российского, російської ...)."""
    if not _CYRILLIC.search(adjective) or not adjective.lower().endswith(("ий", "ый", "ой", "ій")):
        return []
    stem = adjective[:-2]
    return [stem + e for e in _ADJ_ENDINGS.split() if stem + e != adjective]


# --- index construction -------------------------------------------------------------------------


class _Candidate(NamedTuple):
    keys: Key
    flags: tuple[int, ...]
    kind: MentionKind
    entity: Person | Organization | str
    priority: int


#: What the text scan keeps of a candidate: (keys, flags, kind, entity).  A plain tuple: the
#: compiled gazetteer's ~21,000 of them unpickle from the cache without a call each (a named
#: tuple is rebuilt through its class: 60 % of the time to read the whole gazetteer).
_ScanEntry = tuple[Key, tuple[int, ...], MentionKind, Person | Organization | str]


_PRIORITY: dict[MentionKind, int] = {"person": 0, "organization": 1, "country": 2, "role": 3}


class _Index:
    """Token-sequence keys of one kind of entity. Strong keys come from the data and must be
    unique; weak keys (bare surnames, generated case forms) are dropped when ambiguous."""

    def __init__(
        self, kind: MentionKind, strip_article: bool = False, relax_case: bool = False
    ) -> None:
        self.kind = kind
        self.strip_article = strip_article
        # Institutions are often written in lower case after the first word ("Russia's
        # foreign ministry"): then only the first word must be capitalised.
        self.relax_case = relax_case
        self.strong: dict[Key, dict[str, Any]] = {}
        self.weak: dict[Key, dict[str, Any]] = {}
        self.flags: dict[Key, tuple[int, ...]] = {}
        self.surface: dict[Key, str] = {}

    def add(self, surface: str, ident: str, entity: Any, *, weak: bool = False) -> None:
        key, flags = _phrase_key(surface), _phrase_flags(surface)
        if self.strip_article:
            key, flags = _strip_article(key, flags)
        if not key:
            return
        if self.relax_case:
            flags = flags[:1] + tuple(_ANY if f == _CAPITAL else f for f in flags[1:])
        (self.weak if weak else self.strong).setdefault(key, {})[ident] = entity
        old = self.flags.get(key)
        self.flags[key] = flags if old is None else tuple(map(min, old, flags))
        self.surface.setdefault(key, surface)

    def resolve(self) -> tuple[dict[Key, Any], list[str], list[str]]:
        found: dict[Key, Any] = {}
        conflicts: list[str] = []
        dropped: list[str] = []
        for key, owners in self.strong.items():
            if len(owners) == 1:
                found[key] = next(iter(owners.values()))
            else:
                conflicts.append(
                    f"{self.kind} alias {self.surface[key]!r}: {', '.join(sorted(owners))}"
                )
        for key, owners in self.weak.items():
            if key in self.strong:
                continue
            if len(owners) == 1:
                found[key] = next(iter(owners.values()))
            else:
                dropped.append(f"{self.kind} {self.surface[key]!r}: {', '.join(sorted(owners))}")
        return found, conflicts, dropped


def _surnames(entry: _PersonEntry) -> list[str]:
    if "surname" in entry.model_fields_set:
        value = entry.surname
        return [] if value is None else [value] if isinstance(value, str) else list(value)
    words = [entry.name, *entry.aliases]
    out: list[str] = []
    for phrase in words:
        parts = phrase.split()
        if (
            len(parts) > 1
            and parts[-1][:1].isupper()
            and not re.fullmatch(r"[IVX]+\.?|Jr\.?", parts[-1])
        ):
            out.append(parts[-1])
    return out


def _government_orgs(
    countries: Mapping[str, _CountryEntry], orgs: dict[str, _OrganizationEntry]
) -> None:
    """Every country has a government organisation, named by "<Demonym> government"."""
    from pipeline.extract.gazetteer_files import _OrganizationEntry

    for country in countries.values():
        gov_name = country.government or f"Government of {country.name}"
        ident = normalize_name(gov_name)
        if ident not in orgs:
            orgs[ident] = _OrganizationEntry(name=gov_name, kind="government", country=country.code)
        entry = orgs[ident]
        extra = [
            f"{adj} government"
            for adj in country.adjectives
            if not _CYRILLIC.search(adj) and f"{adj} government" not in entry.aliases
        ]
        if extra:
            orgs[ident] = entry.model_copy(update={"aliases": [*entry.aliases, *extra]})


def _country_index(countries: Mapping[str, _CountryEntry]) -> _Index:
    index = _Index("country", strip_article=True)
    for code, c in countries.items():
        for term in (c.name, *c.names, *c.capitals):
            index.add(term, code, code)
            for form in _inflect(term, animate=False, head_only=True):
                index.add(form, code, code, weak=True)
        for adj in c.adjectives:
            index.add(adj, code, code)
            for form in _adjective_paradigm(adj):
                index.add(form, code, code, weak=True)
    return index


def _role_index(roles: Mapping[str, _RoleEntry]) -> _Index:
    index = _Index("role")
    for name, entry in roles.items():
        index.add(name, name, name)
        for forms in entry.forms.values():
            for form in forms:
                index.add(form, name, name)
                for inflected in _inflect(form, animate=True, head_only=True):
                    index.add(inflected, name, name, weak=True)
    return index


def _organization_index(orgs: Iterable[tuple[Organization, _OrganizationEntry]]) -> _Index:
    index = _Index("organization", strip_article=True, relax_case=True)
    for org, entry in orgs:
        for alias in (entry.name, *entry.aliases):
            index.add(alias, entry.name, org)
            for form in _inflect(alias, animate=False, head_only=True):
                index.add(form, entry.name, org, weak=True)
    return index


def _person_index(people: Iterable[tuple[Person, _PersonEntry]]) -> _Index:
    index = _Index("person")
    for person, entry in people:
        for alias in (entry.name, *entry.aliases):
            index.add(alias, entry.name, person)
            for form in _inflect(alias, animate=True, head_only=False):
                index.add(form, entry.name, person, weak=True)
        for surname in _surnames(entry):
            index.add(surname, entry.name, person, weak=True)
            for form in _inflect(surname, animate=True, head_only=False):
                index.add(form, entry.name, person, weak=True)
    return index


_Generic = dict[tuple[str, Key], tuple[Organization, tuple[int, ...]]]


def _generic_organizations(
    found: Mapping[Key, Any], flags: Mapping[Key, tuple[int, ...]], terms: Mapping[str, list[Key]]
) -> _Generic:
    """(country, rest) -> organisation, for aliases "<Demonym or Country> <rest>" and
    "<rest> of <Country>", so "Russia's Foreign Ministry" finds "Russian Foreign Ministry"."""
    owners: dict[tuple[str, Key], dict[str, tuple[Organization, tuple[int, ...]]]] = {}
    for key, org in found.items():
        code = org.country if isinstance(org, Organization) else None
        if code is None or code not in terms:
            continue
        key_flags = flags[key]
        for term in terms[code]:
            n = len(term)
            rest: Key = ()
            rest_flags: tuple[int, ...] = ()
            if len(key) > n and key[:n] == term:
                rest, rest_flags = key[n:], key_flags[n:]
            elif len(key) > n + 1 and key[-n:] == term and key[-n - 1] == "of":
                rest, rest_flags = key[: -n - 1], key_flags[: -n - 1]
            if rest and rest[-1] != "of":
                owners.setdefault((code, rest), {})[org.name] = (org, rest_flags)
    return {k: next(iter(v.values())) for k, v in owners.items() if len(v) == 1}


class Gazetteer:
    """Lookup of persons, organisations, roles and countries, and mention finding in text."""

    def __init__(self, data: _Data) -> None:
        from pipeline.extract.gazetteer_files import (
            _CountryEntry,
            _OrganizationEntry,
            _PersonEntry,
            _RoleEntry,
        )

        sections = data.sections
        roles = {e.role: e for e in sections["roles"].values() if isinstance(e, _RoleEntry)}
        countries = {
            e.code: e for e in sections["countries"].values() if isinstance(e, _CountryEntry)
        }
        orgs = {
            k: e for k, e in sections["organizations"].items() if isinstance(e, _OrganizationEntry)
        }
        people = [e for e in sections["persons"].values() if isinstance(e, _PersonEntry)]
        _government_orgs(countries, orgs)

        self.roles: Mapping[str, bool] = {name: e.official for name, e in roles.items()}
        governments = {
            code: normalize_name(c.government or f"Government of {c.name}")
            for code, c in countries.items()
        }
        self.countries: Mapping[str, str] = {code: e.name for code, e in countries.items()}
        #: Regions and towns of a country ("Kharkiv" -> UA), read only where the article says
        #: which region speaks ("regional authorities"): never a country mention of their own.
        self.regions: Mapping[str, str] = {
            normalize_name(r): code for code, c in countries.items() for r in c.regions
        }
        self.organizations: tuple[Organization, ...] = tuple(
            Organization(e.name, tuple(e.aliases), e.kind, e.country, e.kind in OFFICIAL_KINDS)
            for e in orgs.values()
        )
        self.persons: tuple[Person, ...] = tuple(
            Person(e.name, tuple(e.aliases), e.role, e.organization, e.country, e.official)
            for e in people
        )
        by_ident = {normalize_name(o.name): o for o in self.organizations}
        self._governments: dict[str, Organization] = {
            code: by_ident[ident] for code, ident in governments.items() if ident in by_ident
        }
        self._tenure = {
            p.name: (e.since, e.until) for p, e in zip(self.persons, people, strict=True)
        }

        indexes: list[_Index] = [
            _person_index(zip(self.persons, people, strict=True)),
            _organization_index(zip(self.organizations, orgs.values(), strict=True)),
            _country_index(countries),
            _role_index(roles),
        ]
        conflicts: list[str] = []
        dropped: list[str] = []
        tables: list[dict[Key, Any]] = []
        for index in indexes:
            table, index_conflicts, index_dropped = index.resolve()
            tables.append(table)
            conflicts += index_conflicts
            dropped += index_dropped
        self._person, self._org, self._country, self._role = tables
        # A bare surname or generated form that is also an institution, a country or a role
        # ("Montenegro") is not a person.
        for key in [k for k in self._person if k not in indexes[0].strong]:
            if key in self._org or key in self._country or key in self._role:
                del self._person[key]
                dropped.append(f"person {indexes[0].surface[key]!r}: also an institution or place")
        #: Aliases that the data gives to more than one entity (none in the bundled data).
        self.conflicts: tuple[str, ...] = tuple(conflicts)
        #: Bare surnames and generated forms shared by several entities, hence not matched.
        self.dropped: tuple[str, ...] = tuple(dropped)

        terms = {
            code: [_strip_article(_phrase_key(t))[0] for t in (c.name, *c.names, *c.adjectives)]
            for code, c in countries.items()
        }
        self._generic = _generic_organizations(self._org, indexes[1].flags, terms)

        # One table for the text scan: first token -> candidates, longest first.
        candidates: list[_Candidate] = []
        kinds: tuple[MentionKind, ...] = ("person", "organization", "country", "role")
        for kind, table, index in zip(kinds, tables, indexes, strict=True):
            for key, entity in table.items():
                candidates.append(_Candidate(key, index.flags[key], kind, entity, _PRIORITY[kind]))
        for (code, rest), (org, rest_flags) in self._generic.items():
            for name in (countries[code].name, *countries[code].names):
                if _CYRILLIC.search(name):
                    continue
                term, term_flags = _strip_article(_phrase_key(name), _phrase_flags(name))
                full = (*term, _POSSESSIVE, *rest)
                if full not in self._org:
                    flags = (*term_flags, _ANY, *rest_flags)
                    candidates.append(
                        _Candidate(full, flags, "organization", org, _PRIORITY["organization"])
                    )
        buckets: dict[str, list[_Candidate]] = {}
        for cand in candidates:
            buckets.setdefault(cand.keys[0], []).append(cand)
        self._scan: dict[str, list[_ScanEntry]] = {}
        # One object per distinct case pattern (~90 of them): pickled once, then referenced.
        shared: dict[tuple[int, ...], tuple[int, ...]] = {}
        for first, bucket in buckets.items():
            bucket.sort(key=lambda c: (-len(c.keys), c.priority))
            self._scan[first] = [
                (c.keys, shared.setdefault(c.flags, c.flags), c.kind, c.entity) for c in bucket
            ]

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def load(cls, extra_paths: Sequence[str | Path] = ()) -> Gazetteer:
        """The bundled data plus the given extension files, merged in order."""
        # The data-file models (pydantic) are imported only to build: a process that reads
        # the compiled gazetteer from the cache starts without them.
        from pipeline.extract.gazetteer_files import _Data

        data = _Data()
        for name in BUNDLED_FILES:
            data.read(DATA_DIR / name)
        for path in extra_paths:
            data.read(Path(path))
        return cls(data)

    @classmethod
    def default(cls) -> Gazetteer:
        """Shared instance: the bundled data plus the files in ``PARLEY_GAZETTEER_PATHS``."""
        return cls.configured(None)

    @classmethod
    def configured(cls, pipeline_settings: Mapping[str, Any] | None) -> Gazetteer:
        """Shared instance for the ``pipeline`` configuration section (``gazetteer_paths``)
        and ``PARLEY_GAZETTEER_PATHS``; one instance per distinct list of files."""
        return _shared(tuple(str(p) for p in configured_paths(pipeline_settings)))

    # --- lookups --------------------------------------------------------------------------------

    def person(self, text: str) -> Person | None:
        """The person an alias names ("Zelenskyy", "Dmitri Peskov", "Зеленского", "Peskov")."""
        key = _phrase_key(text)
        if len(key) > 1 and key[-1] == _POSSESSIVE:
            key = key[:-1]
        found = self._person.get(key)
        return found if isinstance(found, Person) else None

    def organization(self, text: str) -> Organization | None:
        """The organisation a name denotes: "the Kremlin", "Moscow", "Russia's Foreign Ministry",
        "Foreign Ministry of Ukraine"."""
        key, _ = _strip_article(_phrase_key(text))
        if len(key) > 1 and key[-1] == _POSSESSIVE:
            key = key[:-1]
        if not key:
            return None
        found = self._org.get(key)
        if isinstance(found, Organization):
            return found
        return self._generic_org(key)

    def _generic_org(self, key: Key) -> Organization | None:
        if _POSSESSIVE in key:
            i = key.index(_POSSESSIVE)
            code = self._country.get(_strip_article(key[:i])[0])
            if code is not None:
                return self._generic_get(code, key[i + 1 :])
        for i in range(len(key) - 2, 0, -1):
            if key[i] == "of":
                code = self._country.get(_strip_article(key[i + 1 :])[0])
                if code is not None:
                    return self._generic_get(code, key[:i])
        for i in range(1, min(len(key), 5)):
            code = self._country.get(key[:i])
            if code is not None:
                found = self._generic_get(code, key[i:])
                if found is not None:
                    return found
        return None

    def _generic_get(self, code: str, rest: Key) -> Organization | None:
        found = self._generic.get((code, rest))
        return found[0] if found else None

    def government(self, code: str) -> Organization | None:
        """The government of a country ("IR" -> Government of Iran)."""
        return self._governments.get(code)

    def role(self, text: str) -> str | None:
        """Canonical role of a surface form ("spokesperson" -> "spokesman",
        "Пресс-секретарь" -> "press secretary")."""
        key, _ = _strip_article(_phrase_key(text))
        found = self._role.get(key)
        return found if isinstance(found, str) else None

    def is_official_role(self, role: str) -> bool:
        """True when the canonical role alone marks a state office."""
        return self.roles.get(role, False)

    def country(self, text: str) -> str | None:
        """ISO 3166-1 alpha-2 code of a country name, demonym, capital or state body
        ("Russian" -> "RU", "Kyiv" -> "UA", "Kremlin" -> "RU")."""
        key, _ = _strip_article(_phrase_key(text))
        if len(key) > 1 and key[-1] == _POSSESSIVE:
            key = key[:-1]
        found = self._country.get(key)
        if isinstance(found, str):
            return found
        org = self._org.get(key)
        if isinstance(org, Organization) and org.official:
            return org.country
        return None

    def region_country(self, word: str) -> str | None:
        """The country of a region or town the data lists ("Kharkiv" -> "UA"), or None."""
        return self.regions.get(normalize_name(word))

    def tenure(self, person: Person) -> tuple[str | None, str | None]:
        """(since, until) of the person's role as recorded in the data."""
        return self._tenure.get(person.name, (None, None))

    # --- running text ---------------------------------------------------------------------------

    def find_mentions(self, text: str) -> list[Mention]:
        """Every person, organisation, role and country term in the text: leftmost-longest,
        non-overlapping, sorted by start offset (Python string indices, end exclusive)."""
        found = scan_mentions(
            text,
            _TOKEN_RE,
            cast("dict[str, list[ScanEntry]]", self._scan),
            _KEY_CACHE,
            _token_key,
            _GAP_CHARS,
        )
        return [
            Mention(start, end, text[start:end], kind, entity) for start, end, kind, entity in found
        ]


def configured_paths(
    pipeline_settings: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Path]:
    """Extension files named in the ``pipeline`` configuration section (``gazetteer_paths``:
    a list or a colon-separated string) and in ``PARLEY_GAZETTEER_PATHS`` (colon-separated)."""
    env = os.environ if environ is None else environ
    out: list[Path] = []
    configured = (pipeline_settings or {}).get("gazetteer_paths")
    if isinstance(configured, str):
        out += [Path(p) for p in configured.split(os.pathsep) if p.strip()]
    elif isinstance(configured, Iterable):
        out += [Path(str(p)) for p in configured if str(p).strip()]
    out += [Path(p) for p in env.get(ENV_PATHS, "").split(os.pathsep) if p.strip()]
    return out


@functools.lru_cache(maxsize=8)
def _shared(paths: tuple[str, ...]) -> Gazetteer:
    return load_cached(paths)


def _cache_key(paths: Sequence[str | Path]) -> str:
    """A digest of everything the compiled gazetteer depends on: this module's code, the
    Python version and the bytes of every data file (bundled and extension, in order)."""
    digest = hashlib.sha256()
    digest.update(sys.version.encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(Path(__file__).with_name("gazetteer_files.py").read_bytes())
    for path in [*(DATA_DIR / name for name in BUNDLED_FILES), *map(Path, paths)]:
        data = path.read_bytes()
        digest.update(f"\0{path}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:32]


def load_cached(paths: Sequence[str | Path] = (), directory: Path | None = None) -> Gazetteer:
    """``Gazetteer.load(paths)`` through a pickle cache: building the match tables takes
    ~0.7 s (YAML, validation, ~19,000 generated keys), unpickling them ~0.1 s.  Any problem
    with the cache (unreadable, stale, corrupt, read-only disk) falls back to building."""
    directory = directory if directory is not None else cache_dir()
    try:
        key = _cache_key(paths) if directory is not None else ""
    except OSError:
        return Gazetteer.load(paths)  # a missing file: let load() report it
    return load_or_build(
        directory,
        "gazetteer",
        key,
        lambda: Gazetteer.load(paths),
        lambda cached: isinstance(cached, Gazetteer),
        keep=_CACHE_ENTRIES,
    )


#: Compiled gazetteers kept (each data or code change makes a new one; ~2 MB each).
_CACHE_ENTRIES = 8
