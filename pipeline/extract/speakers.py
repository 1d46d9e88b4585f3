"""Speaker resolution inside one article: "he", "the spokesman", "Peskov" → Dmitry Peskov.

Every statement's speaker mention is resolved in document order against

1. the mention itself, parsed with the gazetteer ("Kremlin spokesman Dmitry Peskov": person
   Dmitry Peskov, role spokesman, organisation Kremlin; "Russian authorities": organisation);
2. the speakers resolved before it: pronouns take the latest person (or, for "they"/"it", the
   latest institution), role descriptions ("the spokesman", "the Ukrainian leader") the latest
   person with that role and country, media descriptions ("the paper") the latest medium;
3. the names mentioned earlier in the article (scanned backwards, lazily), for descriptions of
   people introduced outside any statement ("Ukrainian leader Volodymyr Zelenskyy signed …",
   later "the Ukrainian leader … claiming").

``official`` is true for people and bodies acting for a government, a state body or an
intergovernmental organisation (gazetteer data or an official role), false for media and
other known non-state speakers, and None when nothing is known.  The gazetteer is optional:
without it, speakers keep their mention and what pronoun resolution can recover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from pipeline.extract import lexicon
from pipeline.extract.model import Span, Speaker

if TYPE_CHECKING:
    from pipeline.extract.gazetteer import Gazetteer, Mention, Organization, Person

# A role description matches an earlier person whose role is the same, or, for the generic
# "leader"/"head", any head-of-state or head-of-government role (canonical roles.yaml names).
_GENERIC_ROLES: dict[str, frozenset[str]] = {
    "leader": frozenset(
        {"president", "prime minister", "chancellor", "head of state", "supreme leader", "king"}
    ),
    "head": frozenset({"president", "prime minister", "chancellor", "head of state"}),
    "spokesman": frozenset({"spokeswoman", "press secretary", "spokesperson"}),
    "spokeswoman": frozenset({"spokesman", "press secretary", "spokesperson"}),
    "press secretary": frozenset({"spokesman", "spokeswoman"}),
}
_LOOKBACK_CHARS = 4000
_MAX_HISTORY = 40  # speakers remembered for anaphora: bounded, so long texts stay linear
_GROUP_LOOKBACK_CHARS = 400
_MAX_NAME_CANDIDATES = 60
_SCAN_BUDGET = 600
_CAPITALISED = r"[A-ZА-ЯЁІЇЄҐ][\w’'.-]*"
# The look-behind (no word character before the name) comes after the first capital letter,
# not before it: a pattern that starts with a character class lets the regex engine jump from
# capital to capital instead of trying every position (twice as fast on news text).
_NAME_SEQ = re.compile(
    r"[A-ZА-ЯЁІЇЄҐ](?<![\w’'].)[\w’'.-]*"
    rf"(?:[ \t]+(?:{_CAPITALISED}|de|van|von|der|bin|al|da|di|du|le|la))*"
)


@dataclass(slots=True)
class _Entity:
    """A resolved speaker remembered for later anaphora."""

    position: int
    speaker: Speaker
    is_person: bool
    is_media: bool


class SpeakerResolver:
    """Resolves the speaker mentions of one article, in document order."""

    def __init__(self, text: str, gazetteer: Gazetteer | None, language: str | None) -> None:
        self.text = text
        self.gazetteer = gazetteer
        words = _speaker_words(language or "en")
        self._person_pronouns, self._group_pronouns, self._media_nouns, self._relative = words
        self.history: list[_Entity] = []
        self._names: list[tuple[int, int]] | None = None
        # Name lookups per article are capped: a text with thousands of unresolvable "he said"
        # must not cost thousands of backward scans.
        self._scan_budget = _SCAN_BUDGET

    def resolve(self, mention: tuple[int, int] | None) -> Speaker:
        if mention is None:
            return Speaker(None)
        start, end = mention
        span = Span(self.text[start:end], start, end)
        speaker = self._resolve(span)
        if speaker.name or speaker.organization or speaker.role:
            self.history.append(
                _Entity(
                    start,
                    speaker,
                    is_person=speaker.name is not None
                    or (speaker.organization is None and speaker.role is not None),
                    is_media=speaker.official is False and speaker.name is None,
                )
            )
        return speaker

    # -- resolution steps --------------------------------------------------------------------

    def _resolve(self, span: Span) -> Speaker:
        words = span.text.lower().split()
        bare = [w for w in words if w not in ("the", "a", "an")]
        if len(bare) == 1 and bare[0] in self._person_pronouns:
            return self._copy(span, self._latest(span.start, person=True))
        if len(bare) == 1 and bare[0] in self._group_pronouns:
            # "it"/"they" refer to a body named just before ("the ministry said it …"), never
            # across paragraphs of other topics.
            return self._copy(
                span, self._latest(span.start, person=False, lookback=_GROUP_LOOKBACK_CHARS)
            )
        if len(bare) == 1 and bare[0] in self._relative:
            antecedent = self._antecedent(span.start)
            if antecedent is not None:
                inner = self._resolve(antecedent)
                return _with_mention(inner, span)
            return Speaker(span)
        if bare and bare[-1] in self._media_nouns and len(bare) <= 3:
            found = self._latest(span.start, media=True)
            if found is None:
                found = self._scan_names(span.start, media=True)
            if found is not None:
                return self._copy(span, found)
        gaz = self.gazetteer
        if gaz is None:
            return Speaker(span)
        parsed = _parse(gaz, span.text)
        person = parsed.person
        role = parsed.role
        if person is not None:
            org = parsed.org if parsed.org is not None and parsed.org.official else None
            return Speaker(
                span,
                name=person.name,
                role=role or person.role,
                organization=org.name if org else person.organization,
                country=person.country or parsed.country,
                official=person.official or (org is not None),
            )
        if parsed.unknown_name is not None:
            return self._unknown_person(span, parsed)
        if role is not None:
            found = self._by_role(span.start, role, parsed.country)
            if found is not None:
                # The person is the one introduced earlier; the role is the article's own word
                # for them here ("the Ukrainian leader" is a leader, whatever else he is).
                speaker = self._copy(span, found)
                speaker.role = role
                return speaker
            org = parsed.org
            return Speaker(
                span,
                role=role,
                organization=org.name if org else None,
                country=parsed.country or (org.country if org else None),
                official=_official(gaz, role, org),
            )
        if parsed.org is not None:
            org = parsed.org
            return Speaker(span, organization=org.name, country=org.country, official=org.official)
        if parsed.country is not None:
            return Speaker(span, country=parsed.country)
        return Speaker(span)

    def _unknown_person(self, span: Span, parsed: _Parsed) -> Speaker:
        """A name the gazetteer does not know ("Clinton spokesman Josh Schwerin")."""
        gaz = self.gazetteer
        name = parsed.unknown_name or ""
        # A surname alone: the full name introduced earlier in the article.
        if " " not in name:
            for ent in reversed(self.history[-_MAX_HISTORY:]):
                full = ent.speaker.name
                if full and full.split()[-1] == name and ent.position < span.start:
                    return self._copy(span, ent)
        org = parsed.org
        role = parsed.role
        official = _official(gaz, role, org) if gaz is not None else None
        return Speaker(
            span,
            name=name,
            role=role,
            organization=org.name if org else None,
            country=parsed.country or (org.country if org else None),
            official=official,
        )

    def _latest(
        self,
        position: int,
        *,
        person: bool = False,
        media: bool = False,
        lookback: int = _LOOKBACK_CHARS,
    ) -> _Entity | None:
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            if ent.position >= position or position - ent.position > lookback:
                continue
            if media:
                if ent.is_media:
                    return ent
            elif ent.is_person == person:
                return ent
        if person:
            return self._scan_names(position, person=True)
        return None

    def _by_role(self, position: int, role: str, country: str | None) -> _Entity | None:
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            if ent.position >= position or position - ent.position > _LOOKBACK_CHARS:
                continue
            if (
                ent.is_person
                and _role_matches(role, ent.speaker.role)
                and (country is None or ent.speaker.country in (None, country))
            ):
                return ent
        return self._scan_names(position, role=role, country=country)

    def _scan_names(
        self,
        position: int,
        *,
        person: bool = False,
        media: bool = False,
        role: str | None = None,
        country: str | None = None,
    ) -> _Entity | None:
        """Walk back over capitalised names before ``position`` for a matching entity."""
        gaz = self.gazetteer
        if gaz is None:
            return None
        names = self._name_spans()
        lo = max(0, position - _LOOKBACK_CHARS)
        checked = 0
        i = _bisect_start(names, position) - 1
        while i >= 0 and checked < _MAX_NAME_CANDIDATES and self._scan_budget > 0:
            self._scan_budget -= 1
            start, end = names[i]
            i -= 1
            if start < lo:
                break
            checked += 1
            surface = self.text[start:end]
            if media:
                org = _organization(gaz, surface)
                if org is not None and org.kind == "media":
                    sp = Speaker(None, organization=org.name, country=org.country, official=False)
                    return _Entity(start, sp, is_person=False, is_media=True)
                continue
            found = _person(gaz, surface)
            if found is None:
                continue
            intro = _parse(gaz, self.text[max(0, start - 60) : start])
            intro_role = intro.role if intro.role and intro.role_at_end else None
            if role is not None and not (
                _role_matches(role, intro_role) or _role_matches(role, found.role)
            ):
                continue
            if country is not None and found.country not in (None, country):
                continue
            sp = Speaker(
                None,
                name=found.name,
                role=(role if role and _role_matches(role, intro_role) else None)
                or intro_role
                or found.role,
                organization=found.organization,
                country=found.country,
                official=found.official,
            )
            return _Entity(start, sp, is_person=True, is_media=False)
        return None

    def _name_spans(self) -> list[tuple[int, int]]:
        if self._names is None:
            self._names = [m.span() for m in _NAME_SEQ.finditer(self.text)]
        return self._names

    def _antecedent(self, position: int) -> Span | None:
        """``X, who said …``: the noun phrase before the comma preceding ``who``."""
        text = self.text
        j = position - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        if j < 0 or text[j] != ",":
            return None
        end = j
        last = None
        for found in _NAME_SEQ.finditer(text, max(0, end - 80), end):
            last = found
        if last is None or last.end() < end - 1:
            return None
        return Span(last.group(), last.start(), last.end())

    def _copy(self, span: Span, ent: _Entity | None) -> Speaker:
        if ent is None:
            return Speaker(span)
        return _with_mention(ent.speaker, span)


# -- helpers -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Parsed:
    person: Person | None = None
    org: Organization | None = None
    role: str | None = None
    role_at_end: bool = False
    country: str | None = None
    unknown_name: str | None = None


def _parse(gaz: Gazetteer, text: str) -> _Parsed:
    """What a mention says about its speaker, from the gazetteer's mention finder.

    The result is shared between calls (treat it as read-only): the same mentions and the
    same name contexts come up again and again ("the spokesman", "Kremlin spokesman Dmitry
    Peskov"), within an article and across a stream."""
    _GAZETTEERS.setdefault(id(gaz), gaz)
    return _parse_cached(id(gaz), text)


@lru_cache(maxsize=50_000)
def _parse_cached(gaz_id: int, text: str) -> _Parsed:
    gaz = _GAZETTEERS[gaz_id]
    out = _Parsed()
    mentions: list[Mention] = _mentions(gaz, text)
    for m in mentions:
        if m.kind == "person" and out.person is None:
            out.person = m.entity  # type: ignore[assignment]
        elif m.kind == "organization":
            org: Any = m.entity
            if out.org is None or org.official:
                out.org = org
            out.country = out.country or org.country
        elif m.kind == "role" and out.role is None:
            out.role = str(m.entity)
            out.role_at_end = text[m.end :].strip(" ,") == ""
        elif m.kind == "country" and out.country is None:
            out.country = str(m.entity)
    if out.person is None:
        out.unknown_name = _unknown_name(text, mentions)
    return out


def _unknown_name(text: str, mentions: list[Mention]) -> str | None:
    """The trailing capitalised words of a mention that are not a known entity: a name."""
    covered = [(m.start, m.end) for m in mentions]
    best: str | None = None
    for m in _NAME_SEQ.finditer(text):
        if any(s <= m.start() < e for s, e in covered):
            continue
        words = m.group().split()
        if words and words[0].lower() in ("the", "a", "an", "but", "and", "however"):
            words = words[1:]
        if len(words) >= 2 and all(w[:1].isupper() for w in words):
            best = " ".join(words).rstrip(",.")
    return best


@lru_cache(maxsize=20_000)
def _mentions_cached(gaz_id: int, text: str) -> tuple[Any, ...]:
    gaz = _GAZETTEERS[gaz_id]
    return tuple(gaz.find_mentions(text))


_GAZETTEERS: dict[int, Gazetteer] = {}


def _mentions(gaz: Gazetteer, text: str) -> list[Mention]:
    # Speaker mentions repeat across articles ("Peskov", "the spokesman"): cache per string.
    _GAZETTEERS.setdefault(id(gaz), gaz)
    return list(_mentions_cached(id(gaz), text))


def _person(gaz: Gazetteer, surface: str) -> Person | None:
    _GAZETTEERS.setdefault(id(gaz), gaz)
    return _person_cached(id(gaz), surface)


@lru_cache(maxsize=50_000)
def _person_cached(gaz_id: int, surface: str) -> Person | None:
    gaz = _GAZETTEERS[gaz_id]
    found = gaz.person(surface)
    if found is None and " " in surface:
        # "Ukrainian leader Volodymyr Zelenskyy" is scanned as one capitalised run only when
        # the role is capitalised; try the last two words and the last word.
        words = surface.split()
        found = gaz.person(" ".join(words[-2:])) or gaz.person(words[-1])
    return found


def _organization(gaz: Gazetteer, surface: str) -> Organization | None:
    _GAZETTEERS.setdefault(id(gaz), gaz)
    return _organization_cached(id(gaz), surface)


@lru_cache(maxsize=50_000)
def _organization_cached(gaz_id: int, surface: str) -> Organization | None:
    return _GAZETTEERS[gaz_id].organization(surface)


def _official(gaz: Gazetteer | None, role: str | None, org: Organization | None) -> bool | None:
    if org is not None:
        return org.official
    if role is not None and gaz is not None and gaz.is_official_role(role):
        return True
    return None


def _role_matches(wanted: str | None, have: str | None) -> bool:
    if wanted is None or have is None:
        return False
    if wanted == have:
        return True
    return have in _GENERIC_ROLES.get(wanted, frozenset())


def _with_mention(speaker: Speaker, span: Span) -> Speaker:
    return Speaker(
        span,
        name=speaker.name,
        role=speaker.role,
        organization=speaker.organization,
        country=speaker.country,
        official=speaker.official,
    )


def _bisect_start(spans: list[tuple[int, int]], position: int) -> int:
    lo, hi = 0, len(spans)
    while lo < hi:
        mid = (lo + hi) // 2
        if spans[mid][0] < position:
            lo = mid + 1
        else:
            hi = mid
    return lo


@cache
def _speaker_words(
    language: str,
) -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    name = f"cues.{language}.yaml"
    data: dict[str, Any] = lexicon.load(name) if lexicon.available(name) else {}
    pronouns = data.get("speaker_pronouns") or {}
    return (
        frozenset(lexicon.words(pronouns.get("person") or [])),
        frozenset(lexicon.words(pronouns.get("group") or [])),
        frozenset(lexicon.words(data.get("media_nouns") or [])),
        frozenset(lexicon.words(pronouns.get("relative") or [])),
    )
