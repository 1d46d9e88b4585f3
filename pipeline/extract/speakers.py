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
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from pipeline.extract import lexicon
from pipeline.extract.mentions import (
    ORG_NAME,
    SpeakerWords,
    acronyms,
    describe,
    is_anonymous,
    is_name_word,
    is_person_name,
    org_head,
    org_official,
    speaker_words,
    without_titles,
)
from pipeline.extract.model import Span, Speaker
from pipeline.extract.tokens import PREPOSITIONS, wordset

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
# "the country's …", "the report …": named in the sentences just before (a paragraph or so)
_COUNTRY_LOOKBACK_CHARS = 600
_OWNER_LOOKBACK_CHARS = 400  # for a state body's office: the paragraph or two before
_TITLE_LOOKBACK_CHARS = 250  # for a bare title: the country named close before it
_ISSUER_LOOKBACK_CHARS = 800
_GROUP_NOUN_LOOKBACK_CHARS = 600
# "regional authorities": the region named in the sentence or two before
_REGION_LOOKBACK_CHARS = 300
_REGIONAL = frozenset({"regional", "local", "provincial"})
_AUTHORITIES = frozenset({"authorities", "administration", "administrations"})
_PLACE_WORD = re.compile(r"[A-Z][a-z][\w’'-]*")
_MAX_NAME_CANDIDATES = 60
_SCAN_BUDGET = 600
_CAPITALISED = r"[A-ZА-ЯЁІЇЄҐ][\w’'.-]*"
# The look-behind (no word character before the name) comes after the first capital letter,
# not before it: a pattern that starts with a character class lets the regex engine jump from
# capital to capital instead of trying every position (twice as fast on news text).
_NAME_SEQ = re.compile(
    r"[A-ZА-ЯЁІЇЄҐ](?<![\w’'].)[\w’'.-]*"
    rf"(?:[ \t]+(?:{_CAPITALISED}|der|de|van|von|bin|al|da|di|du|le|la))*"
)


# _Entity and _Parsed are plain classes rather than dataclasses: the dataclass machinery
# compiles each generated method separately at import, ~1 M instructions each, in every
# process; neither is compared or printed.
class _Entity:
    """A resolved speaker remembered for later anaphora."""

    def __init__(
        self,
        position: int,
        speaker: Speaker,
        is_person: bool,
        is_media: bool,
        gender: str | None = None,
        mention_end: int = -1,
    ) -> None:
        self.position = position
        self.speaker = speaker
        self.is_person = is_person
        self.is_media = is_media
        #: "m"/"f" when the article tells (a title, a role word, a pronoun that referred to
        #: them)
        self.gender = gender
        #: end of the mention resolved (-1: not a mention of a statement)
        self.mention_end = mention_end


class SpeakerResolver:
    """Resolves the speaker mentions of one article, in document order."""

    def __init__(self, text: str, gazetteer: Gazetteer | None, language: str | None) -> None:
        self.text = text
        self.gazetteer = gazetteer
        words = _speaker_words(language or "en")
        self._person_pronouns, self._group_pronouns, self._media_nouns, self._relative = words
        self._language = language or "en"
        self._words: SpeakerWords = speaker_words(self._language)
        self.history: list[_Entity] = []
        #: the speaker of the statement resolved last (None: no statement yet), for pronouns
        self._previous: _Entity | None = None
        self._names: list[tuple[int, int]] | None = None
        self._acronyms: dict[str, str] | None = None
        self._untitled: set[str] = set()  # people whose title before was looked for
        # (person, paragraph) where the country of the person's office was not found
        self._no_owner: set[tuple[str, int]] = set()
        self._pronoun_gender: str | None = None
        # Name lookups per article are capped: a text with thousands of unresolvable "he said"
        # must not cost thousands of backward scans.
        self._scan_budget = _SCAN_BUDGET

    def resolve(self, mention: tuple[int, int] | None) -> Speaker:
        if mention is None:
            self._previous = _Entity(-1, Speaker(None), is_person=False, is_media=False)
            return Speaker(None)
        start, end = mention
        span = Span(self.text[start:end], start, end)
        prev = self._previous
        if prev is not None and prev.position == start and prev.mention_end == end:
            # a second cue of the same subject ("he said … and warned …"): the same referent
            return _with_mention(prev.speaker, span)
        speaker = self._resolve(span)
        if speaker.name is not None and speaker.official is None and speaker.role is None:
            self._title_before(speaker, start)
        if speaker.official and speaker.name is not None and speaker.country is None:
            self._owner_country(speaker, span)
        # set by _resolve for a pronoun (read after the call: a reset before it would be
        # narrowed to None by the type checker, and so by the compiled code)
        pronoun_gender = self._pronoun_gender
        self._pronoun_gender = None
        entity = _Entity(
            start,
            speaker,
            is_person=speaker.name is not None
            or (speaker.organization is None and speaker.role not in (None, "source")),
            is_media=speaker.official is False and speaker.name is None,
            gender=pronoun_gender or _gender(span.text),
            mention_end=end,
        )
        if speaker.name or speaker.organization or speaker.role:
            if entity.gender is None and speaker.name:
                entity.gender = self._known_gender(speaker.name) or _name_gender(speaker.name)
            self.history.append(entity)
        self._previous = entity
        return speaker

    # -- resolution steps --------------------------------------------------------------------

    def _resolve(self, span: Span) -> Speaker:
        seen = _SEEN_BY.search(span.text)
        issued = _ISSUED_BY.search(span.text)
        if issued is None:
            # "A report the office published this month": the one that published it speaks
            issued = _ISSUED_BY_RELATIVE.search(span.text)
        if issued is not None:
            # "A report published this week by the Geneva Centre for Nuclear Policy": the
            # institution that issued it speaks
            at, upto = issued.span(1)
            inner = self._resolve(Span(span.text[at:upto], span.start + at, span.start + upto))
            return _with_mention(inner, span)
        if seen is None and ", wh" in span.text and not is_anonymous(span.text, self._words):
            # "The United Arab Emirates, which hosted the talks": what the relative clause
            # says is about the speaker's doings, not who it is
            seen = _RELATIVE_CLAUSE.search(span.text)
        if seen is not None and seen.start() > 0:
            # "a draft declaration seen by AFP": the document speaks, not the agency that saw it
            cut = Span(span.text[: seen.start()], span.start, span.start + seen.start())
            return _with_mention(self._resolve(cut), span)
        words = span.text.lower().split()
        bare = [w for w in words if w not in ("the", "a", "an")]
        if len(bare) == 1 and bare[0] in self._person_pronouns:
            gender = _PRONOUN_GENDER.get(bare[0])
            self._pronoun_gender = gender
            return self._copy(span, self._pronoun_antecedent(span.start, gender))
        if " ".join(bare) in _BOTH_SIDES:
            return self._two_sides(span)
        if len(bare) == 3 and bare[1] == "of" and bare[2] in ("them", "those"):
            # "One of them described …": one of the group that spoke just before
            return self._copy(
                span, self._latest(span.start, person=False, lookback=_GROUP_LOOKBACK_CHARS)
            )
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
            at = self.text.rfind(",", max(0, span.start - 120), span.start)
            document = _DOCUMENT_BEFORE.search(self.text, max(0, at - 80), max(0, at))
            if at > 0 and document is not None and self.text[at + 1 : span.start].isspace():
                # "the agency said in its latest quarterly report, which added that …": the
                # document's owner ("its": the body that spoke last), or its issuer
                owner = (
                    self._latest(span.start, person=False, lookback=_GROUP_LOOKBACK_CHARS)
                    if document.group(1).lower() in ("its", "their")
                    else self._issuer(document.start())
                )
                if owner is not None:
                    return self._copy(span, owner)
            clause = self.text[max(0, span.start - 120) : max(0, at)].rsplit(",", 1)[-1]
            if at > 0 and is_anonymous(clause.rsplit(".", 1)[-1], self._words):
                # "according to two sources familiar with the talks, who said …"
                return Speaker(span, role="source", official=False)
            return Speaker(span)
        if len(bare) == 2 and bare[0] in _REGIONAL and bare[1] in _AUTHORITIES:
            # "… hit energy facilities in Kharkiv and Odesa, according to regional
            # authorities": the administration of the region named just before
            code = self._region_country(span.start)
            if code is not None:
                return Speaker(span, country=code, official=True)
        if words[0] == "the" and " ".join(bare) in _RESEARCH_NOUNS:
            # "The think tank warned": the research body that spoke or was named last
            found = self._latest_research_body(span.start)
            if found is not None:
                return self._copy(span, found)
        if words[0] == "the" and len(bare) == 1 and bare[0] in _GROUP_NOUNS:
            # "the group", "the movement": the armed group or organisation that acts for no
            # state the article spoke of last ("The RSF … announced a truce. … the group said")
            group = self._latest_group(span.start)
            if group is not None:
                return self._copy(span, group)
        if words[0] == "the" and 1 <= len(bare) <= 3 and bare[-1] in _BODY_HEADS:
            # "the ministry", "the defence ministry": the body of that kind that spoke last
            body = self._by_body(span.start, span.text, bare)
            if body is not None:
                return self._copy(span, body)
            if len(bare) == 1:
                # "the union" when none spoke yet: the one union or federation the article
                # defined an acronym for ("the Port Workers' Federation (PWF)"); "the agency"
                # the one agency ("the International Atomic Energy Agency (IAEA)")
                defined = self._defined_body(bare[0])
                if defined is not None:
                    org = _organization(self.gazetteer, defined) if self.gazetteer else None
                    if org is not None:
                        return Speaker(
                            span, organization=org.name, country=org.country, official=org.official
                        )
                    return Speaker(
                        span, organization=defined, official=org_official(defined, self._words)
                    )
            state = self._unowned_state_body(span, " ".join(bare))
            if state is not None:
                return state
        gaz = self.gazetteer
        if gaz is None:
            if is_anonymous(span.text, self._words):
                return Speaker(span, role="source", official=False)
            return Speaker(span)
        _GAZETTEERS.setdefault(id(gaz), gaz)
        known = _parse(gaz, span.text)
        # "Hikmet Hajiyev, foreign policy adviser to Aliyev": the adviser speaks
        other = known.person is not None and (
            _someone_else(known.person.name, span.text, self._words)
            or _other_given_name(known.person, span.text, self._words)
        )
        if known.person is not None and _OFFICE_OF.fullmatch(span.text) is not None:
            # "Prime Minister Benjamin Netanyahu's office", "the office of President X": the
            # office speaks, for the person's government
            holder = _person_speaker(span, known)
            return Speaker(
                span,
                organization=f"Office of {holder.name}",
                country=holder.country,
                official=holder.official,
            )
        if known.person is not None and not other and not _anonymity_hint(span.text):
            # most speakers: a person the gazetteer knows ("Kremlin spokesman Dmitry Peskov")
            return _person_speaker(span, known)
        outlet = _NAMED_OUTLET.search(span.text)
        if outlet is not None and known.person is None:
            # "the hardline daily Kayhan", "news agency Tasnim": a medium, named
            return Speaker(span, organization=outlet.group(1), official=False)
        owner_doc = _acronym_document(span.text, self._words)
        if owner_doc is not None:
            # "A CTD paper argued": the institution the article defined the acronym for
            name = self._expand_acronym(owner_doc)
            if name != owner_doc:
                org = _organization(gaz, name)
                if org is not None:
                    return Speaker(
                        span, organization=org.name, country=org.country, official=org.official
                    )
                return Speaker(span, organization=name, official=org_official(name, self._words))
        located = _LOCATED.match(span.text)
        if located is not None and known.person is None:
            # "Money changers in central Tehran", "two diplomats in Vienna": people in a
            # place, not its government
            head = Span(located.group(1), span.start, span.start + len(located.group(1)))
            return _with_mention(self._resolve(head), span)
        facts = _mention_facts(id(gaz), self._language, span.text)
        if facts.anonymous:
            country = facts.country
            if country is None and words[0] == "the" and len(bare) <= 2:
                # "the official": the unnamed source introduced before ("A White House official")
                for ent in reversed(self.history[-_MAX_HISTORY:]):
                    if (
                        ent.speaker.role == "source"
                        and span.start - ent.position <= _LOOKBACK_CHARS
                    ):
                        country = ent.speaker.country
                        break
            # an unnamed official speaks, unofficially, from inside a body: the one the mention
            # names ("an IGAD official"), else the government of the country
            inside = facts.inside or (gaz.government(country) if country is not None else None)
            return Speaker(
                span,
                role="source",
                organization=inside.name if inside is not None else None,
                country=country,
                official=False,
            )
        if facts.media:
            found = self._latest(span.start, media=True)
            if found is None:
                found = self._scan_names(span.start, media=True)
            if found is not None:
                return self._copy(span, found)
        if facts.document and facts.state is None and len(bare) >= 2:
            doc_body = " ".join(bare[:-1])
            if _is_state_body(doc_body, self._words):
                # "interior ministry figures", "a police statement": the state body whose
                # document it is, as "the interior ministry" would be
                doc_head = span.text[: span.text.rstrip().rfind(" ")]
                owner_ent = self._by_body(span.start, doc_head, bare[:-1])
                if owner_ent is not None:
                    return self._copy(span, owner_ent)
                doc_state = self._unowned_state_body(span, doc_body) or self._story_state_body(
                    span, doc_body
                )
                if doc_state is not None:
                    return doc_state
        if facts.document:
            after = _ISSUED_AFTER.match(self.text, span.end)
            if after is not None:
                # "according to a report published this month by the U.N. Office for the
                # Coordination of Humanitarian Affairs (OCHA)": the issuer named after it
                at, upto = after.span(1)
                inner = self._resolve(Span(self.text[at:upto], at, upto))
                if inner.organization is not None and inner.name is None:
                    return _with_mention(inner, span)
            # "the report said": the institution that issued it
            issuer = self._issuer(span.start)
            if issuer is not None:
                return self._copy(span, issuer)
        if facts.state is not None:
            organization, country = facts.state
            return Speaker(span, organization=organization, country=country, official=True)
        if facts.country_body is not None:
            # "the country's general staff": the country the article spoke of last
            code = self._latest_country(span.start)
            if code is not None:
                found_state = _state_fields(id(gaz), self._language, "", facts.country_body, code)
                if found_state is not None:
                    organization, country = found_state
                    return Speaker(span, organization=organization, country=country, official=True)
        if facts.nonofficial:
            parsed_group = _parse(gaz, span.text)
            works_at = _PEOPLE_AT.search(span.text)
            # "Analysts at Nordhavn Bank": the people speak from where they work
            employer = works_at.group(1) if works_at is not None else None
            org = _organization(gaz, employer) if employer is not None else None
            return Speaker(
                span,
                role=parsed_group.role,
                organization=org.name if org is not None else employer,
                country=parsed_group.country,
                official=False,
            )
        text = self._expand_acronym(facts.acronym) if facts.acronym else span.text
        parsed = _parse(gaz, text)
        person = None if other else parsed.person
        role = parsed.role
        first, comma, _ = span.text.partition(",")
        if comma and is_name_word(first.strip()) and person is None:
            # "Hrytsenko, 68, one of the last residents, said": someone named before
            found = self._by_surname(span.start, first.strip(), named_before=True)
            if found is not None:
                return self._copy(span, found)
        if person is None and parsed.org is None and facts.one_name:
            # "Lindqvist said": a surname of someone the article named before
            found = self._by_surname(span.start, span.text.split()[-1], named_before=True)
            if found is not None:
                return self._copy(span, found)
        if person is None and (facts.may_describe or text != span.text):
            # only a capitalised word or an appositive can name someone or something new
            described = self._described(span, text)
            if described is not None:
                principal = known.person
                if (
                    other
                    and principal is not None
                    and principal.official
                    and described.official is None
                    and _SERVES.search(span.text) is not None
                ):
                    # "Hikmet Hajiyev, foreign policy adviser to Aliyev": an adviser to an
                    # official speaks for the same state
                    described.official = True
                    described.country = described.country or principal.country
                    described.organization = described.organization or principal.organization
                return described
        if person is not None:
            return _person_speaker(span, parsed)
        if (
            parsed.org is None
            and parsed.country is None
            and words[0] == "the"
            and 1 <= len(bare) <= 3
            and _is_state_body(" ".join(bare), self._words)
        ):
            state = self._story_state_body(span, " ".join(bare))
            if state is not None:
                return state
        if role is not None:
            # "a U.S. embassy spokesperson": an indefinite description introduces someone new
            indefinite = bool(words) and words[0] in ("a", "an", "one", "another")
            found = None if indefinite else self._by_role(span.start, role, parsed.country)
            if found is not None:
                # The person is the one introduced earlier; the role is the article's own word
                # for them here ("the Ukrainian leader" is a leader, whatever else he is).
                speaker = self._copy(span, found)
                speaker.role = role
                return speaker
            in_office = (
                None
                if indefinite or parsed.country is None or not _OFFICE_WORDS.isdisjoint(bare)
                else _office_holder(gaz, role, parsed.country)
            )
            if in_office is not None:
                # "Oman's foreign minister": the one the gazetteer has in that office
                return _person_speaker(span, _Parsed(person=in_office, role=role))
            org = parsed.org
            official = _official(gaz, role, org)
            if official is None and any(w in self._words.state_body_set for w in bare):
                official = True  # "a U.S. embassy spokesperson": the embassy's
            return Speaker(
                span,
                role=role,
                organization=org.name if org else None,
                country=parsed.country or (org.country if org else None),
                official=official,
            )
        if parsed.org is not None:
            org = parsed.org
            if words[0] == "the" and bare[0] in _HEAD_WORDS and len(bare) > 2 and bare[1] == "of":
                # "the head of the U.N. nuclear watchdog": the one person the gazetteer has there
                member = _org_member(gaz, org.name)
                if member is not None:
                    return _person_speaker(span, _Parsed(person=member))
            return Speaker(span, organization=org.name, country=org.country, official=org.official)
        if parsed.country is not None:
            return Speaker(span, country=parsed.country)
        return Speaker(span)

    def _described(self, span: Span, text: str) -> Speaker | None:
        """A person or an organisation the gazetteer does not know, read from the mention:
        "Marta Lindqvist, a senior fellow at the Centre for …", "Clinton spokesman Josh
        Schwerin", "the International Crisis Group"."""
        if self.gazetteer is None:
            return None
        _GAZETTEERS.setdefault(id(self.gazetteer), self.gazetteer)
        fields = _described_fields(id(self.gazetteer), self._language, text)
        if fields is None:
            return None
        name, role, organization, country, official = fields
        if name is not None and organization is None and "(" in self.text:
            # "ISES analyst Thomas Reinholt" after "the Institute for … Studies (ISES)": the
            # body the article defined the acronym for
            first = text.split(None, 1)[0].strip(".,’'")
            acronym = len(first) >= 2 and first.isalpha() and first.isupper()
            acronym = acronym and f"({first})" in self.text
            expanded = self._expand_acronym(first) if acronym else ""
            if expanded and expanded != first:
                organization = expanded
                if official is None:
                    official = org_official(expanded, self._words)
        if (
            name is None
            and organization
            and official
            and country is None
            and text[:4].lower() == "the "
        ):
            # "the Ombudsman's Office", "the Coordination Headquarters": a state's body the
            # gazetteer does not know is a body of the country the article is about
            country = self._story_country(span.start)
        if name is not None and official is None:
            # "Ousmane Sonko said" after "Senegalese Prime Minister Ousmane Sonko said": the
            # same person, and what the article said of them before
            earlier = self._by_surname(span.start, name.split()[-1])
            if earlier is not None and earlier.speaker.name == name:
                before = earlier.speaker
                role = role or before.role
                organization = organization or before.organization
                country = country or before.country
                official = before.official
        return Speaker(span, name, role, organization, country, official)

    def _title_before(self, speaker: Speaker, position: int) -> None:
        """ "Hun Manet wrote" after "… spoke with Cambodian Prime Minister Hun Manet": a
        person the article named with a title before they spoke holds that office."""
        gaz = self.gazetteer
        name = speaker.name
        if gaz is None or name is None or name in self._untitled:
            return
        # looked for once per person: "he said" again finds the same first mention
        self._untitled.add(name)
        at = self.text.find(name, max(0, position - _LOOKBACK_CHARS), position)
        if at <= 0:
            return
        title = self.text[max(0, at - 60) : at].split()[-4:]
        if not title or not title[-1][:1].isupper():
            return  # "… told Hun Manet": no title
        parsed = _parse(gaz, " ".join(title))
        if parsed.role is None or not parsed.role_at_end or not gaz.is_official_role(parsed.role):
            return
        if parsed.org is not None and not parsed.org.official:
            return  # "CNN President Jeff Zucker": an office outside any state
        if not _OFFICE_WORDS.isdisjoint(w.lower() for w in title):
            return  # "former Prime Minister …"
        speaker.role = parsed.role
        speaker.official = True
        speaker.country = speaker.country or parsed.country

    def _owner_country(self, speaker: Speaker, span: Span) -> None:
        """ "Foreign Ministry spokesman Esmaeil Baghaei", "parliament speaker …": a state
        body's office whose owner the mention does not name is the one of the country spoken
        of last (as "the foreign ministry" is).  Not any office: "President Obama" in a story
        about China is no Chinese president."""
        body = speaker.organization
        if body is not None and not _is_state_body(body.lower(), self._words):
            return
        position = span.start
        gaz = self.gazetteer
        paragraph = self.text.rfind("\n", 0, position)
        tried = (speaker.name or "", paragraph)
        if gaz is None or speaker.name is None or tried in self._no_owner:
            return
        if _person(gaz, speaker.name) is not None:
            return  # the gazetteer's own entry says what it knows of the person's country
        if body is not None or not _STATE_ROLE_WORDS.isdisjoint(span.text.lower().split()):
            code = self._country_before(position, max(0, position - _OWNER_LOOKBACK_CHARS))
        elif speaker.name.split()[-1] not in span.text:
            return  # "he said": the person's introduction was the place to look
        else:
            # a bare title ("Agriculture Minister Annie Genevard"): only a country named in the
            # paragraph before it ("In Paris, …"); "President Obama" in a story that named
            # Syria three paragraphs earlier is no Syrian president
            previous = self.text.rfind("\n", 0, max(0, paragraph - 1)) + 1 if paragraph > 0 else 0
            code = self._country_before(position, max(previous, position - _TITLE_LOOKBACK_CHARS))
        if code is None:
            # not looked for again at each "he said" of the same person in the paragraph
            self._no_owner.add(tried)
            return
        speaker.country = code
        if body is not None and self.gazetteer is not None:
            _GAZETTEERS.setdefault(id(self.gazetteer), self.gazetteer)
            found = _state_fields(id(self.gazetteer), self._language, "", body.lower(), code)
            if found is not None and found[0] is not None:
                speaker.organization = found[0]

    def _story_state_body(self, span: Span, body: str) -> Speaker | None:
        """ "the army", "the government", "the social affairs ministry" with no owner and no
        body of that kind before: the body of the country the article spoke of last, as for
        "the country's …" (state bodies in agency copy are the story's country's)."""
        code = self._latest_country(span.start)
        if code is None:
            return None
        found = _state_fields(id(self.gazetteer), self._language, "", body, code)
        if found is None:
            return None
        organization, country = found
        return Speaker(span, organization=organization, country=country, official=True)

    def _country_before(self, position: int, lo: int) -> str | None:
        """The country named last in ``[lo, position)``: a country, or an organisation's."""
        gaz = self.gazetteer
        if gaz is None:
            return None
        for m in reversed(_mentions(gaz, self.text[lo:position])):
            if m.kind == "country":
                return str(m.entity)
            country = getattr(m.entity, "country", None) if m.kind == "organization" else None
            if country:
                return str(country)
        return None

    def _latest_country(self, position: int) -> str | None:
        """The country the article spoke of last before ``position`` ("the country's …")."""
        return self._country_before(position, max(0, position - _COUNTRY_LOOKBACK_CHARS))

    def _latest_group(self, position: int) -> _Entity | None:
        """The latest non-state organisation before ``position``: one that spoke, or one the
        gazetteer knows named in the text, whichever is later."""
        spoke = None
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            if ent.position >= position or position - ent.position > _GROUP_NOUN_LOOKBACK_CHARS:
                continue
            sp = ent.speaker
            if not ent.is_person and not ent.is_media and sp.organization and sp.official is False:
                spoke = ent
                break
        gaz = self.gazetteer
        if gaz is None:
            return spoke
        window_start = max(0, position - _GROUP_NOUN_LOOKBACK_CHARS)
        for m in reversed(_mentions(gaz, self.text[window_start:position])):
            org: Any = m.entity
            if m.kind == "organization" and getattr(org, "kind", None) == "party":
                at = window_start + m.start
                if spoke is not None and spoke.position >= at:
                    return spoke
                sp = Speaker(None, organization=org.name, country=org.country, official=False)
                return _Entity(at, sp, is_person=False, is_media=False)
        return spoke

    def _latest_research_body(self, position: int) -> _Entity | None:
        """The latest institution before ``position`` whose head says it does research
        ("Centre for Energy Security Studies", "Institute for the Study of War")."""
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            if ent.position >= position or position - ent.position > _LOOKBACK_CHARS:
                continue
            org = ent.speaker.organization
            if ent.speaker.name is None and org and org_head(org) in _RESEARCH_HEADS:
                return ent
        return None

    def _region_country(self, position: int) -> str | None:
        """The country of the region or town the paragraph named last before ``position``."""
        gaz = self.gazetteer
        if gaz is None:
            return None
        lo = max(0, position - _REGION_LOOKBACK_CHARS)
        lo = max(lo, self.text.rfind("\n", lo, position) + 1)
        found: list[str] = _PLACE_WORD.findall(self.text, lo, position)
        for word in reversed(found):
            code = gaz.region_country(word)
            if code is not None:
                return code
        return None

    def _story_country(self, position: int) -> str | None:
        """The country of most speakers before ``position`` (none on a tie)."""
        counts: dict[str, int] = {}
        for ent in self.history:
            code = ent.speaker.country
            if code and ent.position < position:
                counts[code] = counts.get(code, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        if not ranked or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
            return None
        return ranked[0][0]

    def _two_sides(self, span: Span) -> Speaker:
        """ "Both sides", "each side": the two countries the article has named most before
        (the more recent first when as often), speaking as their governments."""
        gaz = self.gazetteer
        if gaz is None:
            return Speaker(span)
        window_start = max(0, span.start - _SIDES_LOOKBACK_CHARS)
        counts: dict[str, list[int]] = {}
        for m in _mentions(gaz, self.text[window_start : span.start]):
            code = str(m.entity) if m.kind == "country" else None
            if code:
                seen = counts.setdefault(code, [0, 0])
                seen[0] += 1
                seen[1] = m.start
        ranked = sorted(counts, key=lambda c: (counts[c][0], counts[c][1]), reverse=True)
        if len(ranked) < 2:
            return Speaker(span)
        names = sorted(gaz.countries.get(c, c) for c in ranked[:2])
        return Speaker(
            span, organization=f"Governments of {names[0]} and {names[1]}", official=True
        )

    def _defined_body(self, head: str) -> str | None:
        if "(" not in self.text:
            return None
        if self._acronyms is None:
            self._acronyms = acronyms(self.text)
        heads = _LABOUR_HEADS if head in _LABOUR_HEADS else (head,)
        found = [n for n in self._acronyms.values() if org_head(n) in heads]
        return found[0] if len(found) == 1 else None

    def _expand_acronym(self, acronym: str) -> str:
        """An acronym ("the IISS") → the name the article defined it with, if it did."""
        if self._acronyms is None:
            self._acronyms = acronyms(self.text)
        return self._acronyms.get(acronym, acronym)

    def _issuer(self, position: int) -> _Entity | None:
        """The institution named last before a document noun ("a report by the Institute
        for the Study of War … The report said")."""
        window_start = max(0, position - _ISSUER_LOOKBACK_CHARS)
        window = self.text[window_start:position]
        issuers = list(_DOCUMENT_BY.finditer(window))
        releases = list(_DOCUMENT_RELEASED.finditer(window))
        released = releases[-1] if releases else None
        if released is not None and (not issuers or issuers[-1].start() < released.start()):
            # "The U.N. monitoring mission released a report on Tuesday. According to the
            # report, …": the subject of the sentence that released it
            ent = self._releaser(window_start, window, released.start())
            if ent is not None:
                return ent
        if issuers:
            issued = issuers[-1]
            # "A report released Wednesday by the Darfur Ceasefire Monitor … The report said":
            # the document's own issuer, whoever spoke in between
            at = window_start + issued.start(1)
            issuer = issued.group(1)
            named = ORG_NAME.match(issuer)
            if (
                named is not None
                and " " in named.group()
                and named.end() < len(issuer)
                and not named.group().endswith(("'s", "’s"))
            ):
                # "a report by the Institute for the Study of War said …": the capitalised
                # name, not what the report said after it (read whole, the words after
                # "the" looked like the name)
                issuer = named.group()
            ent = self._org_entity(at, issuer, issuer=True)
            if ent is None:
                # "by the Darfur Ceasefire Monitor, an independent research group": a name
                # that could be a person's, which its appositive says is an organisation's
                kind = _ORG_APPOSITIVE.match(window, issued.end(1))
                official = None if kind is None else org_official(kind.group(1), self._words)
                if official is not None:
                    sp = Speaker(None, organization=issued.group(1).strip(), official=official)
                    ent = _Entity(at, sp, is_person=False, is_media=False)
            if ent is not None:
                return ent
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            if ent.position >= position or position - ent.position > _GROUP_LOOKBACK_CHARS:
                continue
            if not ent.is_person and ent.speaker.organization:
                return ent
        # The last capitalised name before the noun that reads as an organisation's.
        for m in reversed(list(ORG_NAME.finditer(window))):
            if " " not in m.group() and org_official(m.group(), self._words) is None:
                continue  # one capitalised word that is no organisation's head: skip cheaply
            ent = self._org_entity(window_start + m.start(), m.group())
            if ent is not None:
                return ent
        return None

    def _releaser(self, window_start: int, window: str, verb: int) -> _Entity | None:
        """The organisation that opens the sentence up to ``verb`` ("released a report"), or
        None when that subject is no organisation (a person, a pronoun, a clause)."""
        stop = window.rfind(". ", 0, verb)
        start = max(stop + 2 if stop >= 0 else 0, window.rfind("\n", 0, verb) + 1)
        # "Days after its report was issued, the museum issued a statement": the subject
        # follows the opening adverbial
        comma = window.rfind(", ", start, verb)
        if comma >= 0:
            start = comma + 2
        subject = window[start:verb].strip()
        head = subject[4:] if subject.startswith("the ") else subject
        if not head[:1].isupper() or len(subject.split()) > 10:
            return None
        if subject.lower() in self._person_pronouns or subject.lower() in self._group_pronouns:
            return None
        at = window_start + window.index(subject, start)
        speaker = self._resolve(Span(subject, at, at + len(subject)))
        if speaker.name is not None:
            # two capitalised words that read as a person's name: an organisation's when
            # the gazetteer knows it as one, as after "a report by"
            return self._org_entity(at, subject, issuer=True)
        if speaker.organization is None:
            return None
        sp = Speaker(
            None,
            organization=speaker.organization,
            country=speaker.country,
            official=speaker.official,
        )
        return _Entity(at, sp, is_person=False, is_media=False)

    def _org_entity(self, position: int, text: str, *, issuer: bool = False) -> _Entity | None:
        """The organisation a capitalised name reads as, or None (a person, no organisation).
        ``issuer``: the name follows "a report by"/"from", where an organisation is expected."""
        desc = describe(text, self._words)
        name = desc.organization
        if issuer and desc.name is not None and name is None and self.gazetteer is not None:
            # two capitalised words read as a person's name ("a report by the United
            # Nations") that the gazetteer knows as an organisation's; only for an issuer: a
            # known organisation named in passing ("… for International Atomic Energy Agency
            # inspectors") is no document's author
            known = _organization(self.gazetteer, desc.name)
            if known is not None:
                sp = Speaker(
                    None, organization=known.name, country=known.country, official=known.official
                )
                return _Entity(position, sp, is_person=False, is_media=False)
        if name is None or desc.name is not None:
            return None
        org = _organization(self.gazetteer, name) if self.gazetteer is not None else None
        if org is not None:
            sp = Speaker(None, organization=org.name, country=org.country, official=org.official)
        else:
            sp = Speaker(None, organization=name, official=org_official(name, self._words))
        return _Entity(position, sp, is_person=False, is_media=False)

    def _unowned_state_body(self, span: Span, body: str) -> Speaker | None:
        """ "the foreign ministry" with no body of that kind before: the ministry of the
        state whose official spoke last (a country merely mentioned in between, as in
        "consultations with Omani Foreign Minister …, the ministry said", is not it)."""
        gaz = self.gazetteer
        if gaz is None or body not in self._words.state_body_set or body in _GOVERNMENT_BODIES:
            return None
        code = None
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            if ent.position >= span.start or span.start - ent.position > _LOOKBACK_CHARS:
                continue
            if ent.speaker.official and ent.speaker.country:
                code = ent.speaker.country
                break
        if code is None:
            return None
        found = _state_fields(id(gaz), self._language, "", body, code)
        if found is None:
            return None
        organization, country = found
        return Speaker(span, organization=organization, country=country, official=True)

    def _by_body(self, position: int, mention: str, bare: list[str]) -> _Entity | None:
        if any(w[:1].isupper() for w in mention.split()[1:]):
            return None  # "the Energy Ministry": a name, not a reference back
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            if ent.position >= position or position - ent.position > _LOOKBACK_CHARS:
                continue
            org = (ent.speaker.organization or "").lower()
            if org and all(w in org for w in bare):
                if ent.speaker.name is None:
                    return ent
                # "Simion Hancescu, president of the Federation of Free Trade Unions … the
                # union said": the body the person spoke from, not the person
                sp = ent.speaker
                body = Speaker(
                    None, organization=sp.organization, country=sp.country, official=sp.official
                )
                return _Entity(ent.position, body, is_person=False, is_media=False)
        return None

    def _by_surname(
        self, position: int, surname: str, *, named_before: bool = False
    ) -> _Entity | None:
        """The person with this surname who spoke last; with ``named_before`` also someone
        the article named in full without quoting them yet ("Valentyna Hrytsenko has lived in
        Orikhiv all her life. Hrytsenko, 68, … said")."""
        surname = surname.strip(".,’'")
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            full = ent.speaker.name
            if full and ent.position < position:
                last = full.split()[-1]
                if last == surname or last.endswith("-" + surname):  # "al-Burhan": "Burhan"
                    return ent
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            full = ent.speaker.name
            if full and ent.position < position and full.split()[0] == surname:
                return ent  # "Mohamad" after "Mohamad Hasan": names that go by the first word
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            full = ent.speaker.name
            if (
                full
                and ent.position < position
                and surname in full
                and surname in full.split()[1:-1]
            ):
                return ent  # "Holguín" after "María Ángela Holguín Cuéllar": two surnames
        if not named_before or len(surname) < 3 or not is_name_word(surname):
            return None
        text = self.text
        lo = max(0, position - _LOOKBACK_CHARS)
        hi = position
        for _ in range(_MAX_SURNAME_OCCURRENCES):
            at = text.rfind(surname, lo, hi)
            if at < 0:
                return None
            hi = at
            after = text[at + len(surname) : at + len(surname) + 1]
            if after.isalnum() or after in ("-", "_"):
                continue  # inside a longer word
            given = _GIVEN_NAMES_BEFORE.search(text, max(0, at - 40), at)
            if given is None or not all(is_name_word(w) for w in given.group().split()):
                continue
            end = at + len(surname)
            second = _SECOND_SURNAME.match(text, end)
            if (
                second is not None
                and is_name_word(second.group(1).rstrip(".,"))
                and second.group(1).rstrip(".,").lower() not in _NOT_SURNAMES
            ):
                end = second.start(1) + len(second.group(1).rstrip(".,"))
            # "Defence Minister Khawaja Asif": the title is not part of the name
            full_name = without_titles(text[given.start() : end], self._words)
            if is_person_name(full_name, self._words):
                return _Entity(
                    given.start(), Speaker(None, name=full_name), is_person=True, is_media=False
                )
        return None

    def _known_gender(self, name: str) -> str | None:
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            if ent.speaker.name == name and ent.gender is not None:
                return ent.gender
        return None

    def _pronoun_antecedent(self, position: int, gender: str | None) -> _Entity | None:
        """Who "he"/"she" is: the speaker of the preceding statement; when someone else (an
        institution, an unknown speaker) spoke last, the person the preceding sentence is
        about; never a person quoted before someone else, unless the pronoun's gender rules
        the later speaker out."""
        prev = self._previous
        if prev is None or prev.position >= position or position - prev.position > _LOOKBACK_CHARS:
            # no statement to continue: the person the sentence before is about (its
            # subject), not the last one it names ("Zelenskyy met envoy Steve Witkoff in
            # Berlin. He said …")
            subject = self._sentence_subject(position)
            if subject is not None and _compatible(subject, gender):
                return subject
            found = self._latest(position, person=True)
            return found if found is None or _compatible(found, gender) else None
        introduced = self._introduced_person(position, prev.position)
        if introduced is not None and _compatible(introduced, gender):
            return introduced
        # introduced with an appositive, or with a title or a role before the name
        introducing = prev.speaker.mention is not None and (
            "," in prev.speaker.mention.text
            or (
                prev.speaker.name is not None
                and len(prev.speaker.mention.text) > len(prev.speaker.name) + 3
            )
        )
        if prev.is_person and prev.gender is None and gender == "f" and not introducing:
            # "she" after a speaker the article gives no gender: a woman it named before
            # is the better reading (names and titles mark women more often than men) - when
            # she spoke just before that speaker: not across the quotes of others; not
            # when that speaker was just introduced with an appositive ("Pimchanok
            # Rattanakorn, a security analyst at …, said"): the article is now about them
            for ent in reversed(self.history[-_MAX_HISTORY:]):
                if ent.position >= prev.position or (
                    ent.is_person and ent.speaker.name == prev.speaker.name
                ):
                    continue
                if (
                    position - ent.position <= _LOOKBACK_CHARS
                    and ent.is_person
                    and ent.gender == "f"
                ):
                    return ent
                break
        if prev.is_person and _compatible(prev, gender):
            return prev
        if not prev.is_person:
            # "Witkoff told reporters that both governments had assured him …. “…,” he said":
            # the group spoke inside the person's statement; the person spoke last
            outer = self._speaker_of_sentence(prev.position)
            if outer is not None and _compatible(outer, gender):
                return outer
        subject = self._sentence_subject(position)
        if subject is not None and _compatible(subject, gender):
            return subject
        if prev.is_person and gender is not None and prev.gender not in (None, gender):
            for ent in reversed(self.history[-_MAX_HISTORY:]):
                if ent.position < prev.position and ent.is_person and ent.gender == gender:
                    return ent
        if not prev.is_person and self._in_sentence_before(prev.position, position):
            # "Iran insists that …. “…,” he told reporters": a state or an institution spoke
            # in the sentence just before; "he" is the person who spoke before it
            found = self._latest(position, person=True)
            if found is not None and _compatible(found, gender):
                return found
        return None

    def _in_sentence_before(self, earlier: int, position: int) -> bool:
        """Whether ``earlier`` lies in the sentence right before the one at ``position``."""
        text = self.text
        lo = max(0, position - 600)
        end = _sentence_start(text, lo, position)
        if end <= earlier:
            return False
        return earlier >= max(lo, _sentence_start(text, lo, end - 1))

    def _introduced_person(self, position: int, previous: int) -> _Entity | None:
        """A person the pronoun's paragraph introduces before the pronoun's sentence, when
        the last statement was in an earlier paragraph ("… Witkoff wrote.\n\nUkraine's
        delegation was led by Rustem Umerov, secretary of the Council. He told reporters
        …"): the new paragraph is about that person."""
        text = self.text
        para = text.rfind("\n", 0, position) + 1
        if previous >= para or position - para > _INTRO_PARAGRAPH_CHARS:
            return None
        end = _sentence_start(text, para, position)
        if end <= para and para > 0 and text[para] in _QUOTE_MARKS:
            # a quote paragraph after the paragraph that introduces its speaker ("…
            # lawmaker Mykola Danylenko was sceptical ….\n\n“…,” he told Reuters.")
            end = len(text[:para].rstrip())
            para = text.rfind("\n", 0, end) + 1
            if previous >= para or position - para > 2 * _INTRO_PARAGRAPH_CHARS:
                return None
        first_end = text.find(". ", para, position)
        if 0 < first_end < end and not any(q in text[para:first_end] for q in _QUOTE_MARKS):
            # "Araghchi, who was accompanied by …, gave a more guarded account. He told …",
            # "Szijjarto, however, tied …. “…,” he said": the paragraph's subject, not a
            # person named inside what describes it
            subject = self._known_subject(para, first_end)
            if subject is not None:
                return subject
        if end <= para or any(q in text[para:end] for q in _QUOTE_MARKS):
            return None  # no sentence before the pronoun's, or someone else is quoted there
        gaz = self.gazetteer
        found: _Entity | None = None
        for m in _NAME_SEQ.finditer(text, para, end):
            surface = m.group().rstrip(".,")
            if " " not in surface or surface[: surface.find(" ")].lower() in PREPOSITIONS:
                continue  # one capitalised word (a sentence start, a place, a surname), "In Kyiv"
            person = _person(gaz, surface) if gaz is not None else None
            name = without_titles(surface, self._words)
            if person is not None:
                sp = _person_speaker(None, _Parsed(person=person))
            elif (
                # introduced with an appositive, after a role ("opposition lawmaker …") or a
                # title ("Pakistan's Defence Minister Khawaja Asif")
                (
                    text[m.end() : m.end() + 1] == ","
                    or name != surface
                    or _role_before(gaz, text, m.start())
                )
                and is_person_name(name, self._words)
                and not text[max(0, m.start() - 4) : m.start()].lower().endswith("the ")
            ):
                sp = Speaker(None, name=name)
            else:
                continue
            if found is not None and found.speaker.name != sp.name:
                return None  # two people: the paragraph is not about one of them
            found = _Entity(m.start(), sp, is_person=True, is_media=False)
        return found

    def _known_subject(self, para: int, end: int) -> _Entity | None:
        """A person the article named before, by the surname that opens a paragraph as its
        subject ("Szijjarto, however, tied …"), or None."""
        first = _NAME_SEQ.match(self.text, para, end)
        if first is None or " " in first.group().strip():
            return None
        surname = first.group().rstrip(".,")
        after = self.text[first.end() : first.end() + 2]
        if not (after[:1] == "," or (after[:1] == " " and after[1:].islower())):
            return None
        return self._by_surname(para, surname, named_before=True)

    def _speaker_of_sentence(self, position: int) -> _Entity | None:
        """The person who spoke in the sentence at ``position``, before it."""
        lo = max(0, position - 600)
        begin = _sentence_start(self.text, lo, position)
        if begin < 0:
            begin = lo
        for ent in reversed(self.history[-_MAX_HISTORY:]):
            if ent.position >= position:
                continue
            if ent.position < begin:
                return None
            if ent.is_person:
                return ent
        return None

    def _sentence_subject(self, position: int) -> _Entity | None:
        """A person named at the start of the sentence before the one at ``position``."""
        gaz = self.gazetteer
        text = self.text
        lo = max(0, position - 600)
        end = _sentence_start(text, lo, position)
        if end < 0:
            return None
        begin = _sentence_start(text, lo, end - 1)
        if begin < 0:
            begin = lo
        first = _NAME_SEQ.search(text, begin, min(end, begin + 60))
        if first is None:
            return None
        surface = first.group().rstrip(".")
        if gaz is not None:
            person = _person(gaz, surface)
            if person is None and " " in surface:
                # "European Commission President Ursula von der Leyen": the name after the
                # titles (the last words alone miss names with particles)
                bare = without_titles(surface, self._words)
                if bare != surface:
                    person = _person(gaz, bare)
            if person is not None:
                sp = _person_speaker(None, _Parsed(person=person))
                # the gender the article or the first name gives: "he" after "Yulia
                # Svyrydenko welcomed him" is not her
                gender = _gender(surface) or self._known_gender(person.name)
                return _Entity(
                    first.start(),
                    sp,
                    is_person=True,
                    is_media=False,
                    gender=gender or _name_gender(person.name),
                )
        if is_person_name(surface, self._words):
            return _Entity(
                first.start(),
                Speaker(None, name=surface),
                is_person=True,
                is_media=False,
                # the title only: the first word of "Media Research Center's Bozell" is no
                # first name
                gender=_gender(surface),
            )
        found = self._by_surname(position, surface) if " " not in surface else None
        return found

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
            if country is not None and found.country not in (None, country):
                continue  # before the introduction is parsed: that costs more
            intro = _parse(gaz, self.text[max(0, start - 60) : start])
            intro_role = intro.role if intro.role and intro.role_at_end else None
            if role is not None and not (
                _role_matches(role, intro_role) or _role_matches(role, found.role)
            ):
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


#: Two parties speaking together, or each of them ("both sides accuse each other")
_BOTH_SIDES = frozenset(
    {
        "both sides",
        "each side",
        "the two sides",
        "two sides",
        "both countries",
        "the two countries",
        "two countries",
        "both governments",
        "the two governments",
        "two governments",
    }
)
_SIDES_LOOKBACK_CHARS = 2000
_SERVES = re.compile(
    r"\b(?:adviser|advisor|aide|assistant|spokes(?:man|woman|person)|envoy|chief of staff)"
    r"[ \t]+(?:to|of|for)[ \t]"
)
_RELATIVE_CLAUSE = re.compile(r",[ \t]+(?:who|which|whose)[ \t]")
#: Given names right before a surname ("Valentyna " of "Valentyna Hrytsenko"), searched
#: in the few characters before each earlier occurrence of the surname only.
_GIVEN_NAMES_BEFORE = re.compile(
    r"(?<![\w’'-])(?:[A-ZÀ-ÖØ-ÞĀ-ſ][\w’'-]+[ \t]+){1,2}$"  # "María Ángela " (checked below)
)
_NOT_SURNAMES = wordset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december"""
)
#: A second surname right after the one found ("Holguín Cuéllar").
_SECOND_SURNAME = re.compile(r"[ \t]+([^\W\d_][\w’'-]+)")
_MAX_SURNAME_OCCURRENCES = 8
_NAMED_OUTLET = re.compile(
    r"(?:^|[ \t])(?:daily|newspaper|weekly|tabloid|broadcaster|agency|channel|outlet|website)"
    r"[ \t]+([A-Z][\w’'-]+(?:[ \t]+[A-Z][\w’'-]+){0,2})$"
)
_LOCATED = re.compile(
    r"((?:[Aa]n?|[Oo]ne)[ \t]+(?:[a-z]+[ \t]+){0,2}[a-z]+|(?:[A-Za-z]+[ \t]+){0,2}?[a-z]+s)"
    r"[ \t]+in[ \t]+(?:[a-z]+[ \t]+)?[A-Z][\w-]*$"
)
_ISSUED_BY = re.compile(
    r"^(?:[Aa]n?|[Tt]he|[Ii]ts)?[ \t]*(?:[\w-]+[ \t]+){0,2}?"
    r"(?:report|study|survey|poll|paper|analysis|assessment|review|statement|tally)[ \t]+"
    r"(?:(?:published|released|issued|conducted|commissioned|carried[ \t]+out)"
    r"(?:[ \t]+[\w-]+){0,3}?[ \t]+)?(?:by|from)[ \t]+((?:the[ \t]+)?[A-Z].*)$"
)
#: What follows a document mention that names its issuer: "[a report] published this month by
#: the U.N. Office for … (OCHA)"; group 1 is the issuer's name.
_ISSUED_AFTER = re.compile(
    r"[ \t]+(?:published|released|issued|conducted|commissioned|compiled)"
    r"(?:[ \t]+[\w-]+){0,3}?[ \t]+by[ \t]+"
    r"((?:the[ \t]+)?[A-Z](?:[^,.;:\n]|(?<=(?<![A-Za-z])[A-Z])\.)*)"
)
#: A document named with its issuer ("a report released Wednesday by the Darfur Ceasefire
#: Monitor"): group 1 is the issuer's name.
_DOCUMENT_BY = re.compile(
    r"\b(?:report|study|survey|poll|paper|analysis|assessment|review)[ \t]"
    r"[^.;\n]{0,60}?\b(?:by|from)[ \t]+(?:the[ \t]+)?([A-Z][^,.;()\n]*)"
)
#: A document released by the subject of its sentence: "[The U.N. mission] released a report
#: on Tuesday", "[The institute] has published its annual survey".
_DOCUMENT_RELEASED = re.compile(
    r"[ \t](?:has[ \t]+|had[ \t]+)?(?:released|published|issued|unveiled)[ \t]+"
    r"(?:an?|its|their|the)[ \t]+(?:[\w-]+[ \t]+){0,3}?"
    r"(?:report|study|survey|poll|paper|analysis|assessment|review|statement)\b"
)
#: The appositive after a name ("…, an independent research group that …"): group 1 up to
#: its head.
_ORG_APPOSITIVE = re.compile(
    r",[ \t]+(?:an?|the)[ \t]+([\w -]+?)(?=[ \t]+(?:that|which|who|of|in|based)\b|[,.;])"
)
#: Where people of a group work: "analysts at Nordhavn Bank" → "Nordhavn Bank".
_PEOPLE_AT = re.compile(
    r"[ \t]at[ \t]+(?:the[ \t]+)?([A-Z][\w’'&.-]*(?:[ \t]+[A-Z][\w’'&.-]*){0,5})$"
)
_ISSUED_BY_RELATIVE = re.compile(
    r"^(?:[Aa]n?|[Tt]he)[ \t]+(?:[\w-]+[ \t]+){0,2}?"
    r"(?:report|study|survey|poll|paper|analysis|assessment|review)[ \t]+(?:that[ \t]+)?"
    r"((?:the|its)[ \t]+[\w’'-]+(?:[ \t]+[\w’'-]+){0,3}?)[ \t]+"
    r"(?:published|released|issued|conducted|commissioned)\b"
)
#: A document right before a relative pronoun's comma: "in its latest quarterly report".
_DOCUMENT_BEFORE = re.compile(
    r"\b(its|their|the|an?)[ \t]+(?:[\w-]+[ \t]+){0,3}?"
    r"(?:report|study|survey|paper|analysis|assessment|review|statement)$",
    re.IGNORECASE,
)
_SEEN_BY = re.compile(
    r"[ \t,]+(?:(?:seen|obtained|reviewed|read|quoted) by"
    r"|(?:published|released|issued) (?:on|in|last|this|earlier))\b"
)
_INTRO_PARAGRAPH_CHARS = 600
_QUOTE_MARKS = ('"', "“", "”", "«")
_PRONOUN_GENDER = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f"}
_GENDERED = re.compile(
    r"(?<!\w)(?:(Mrs|Ms|Miss|Madam|spokeswoman|chairwoman|congresswoman|businesswoman)"
    r"|Mr|spokesman|chairman|congressman|businessman)(?!\w)"
)
# What ends a sentence, looking back from a pronoun (cheaper than a regex over the window).
_SENTENCE_ENDS = (". ", "? ", "! ", ".” ", '." ', "?” ", "!” ", "\n")


def _role_before(gaz: Gazetteer | None, text: str, position: int) -> bool:
    """A lower-case role word right before ``position`` ("lawmaker Mykola Danylenko")."""
    head = text[max(0, position - 30) : position]
    words = head.split()
    if gaz is None or not words or not head[-1:].isspace() or not words[-1].islower():
        return False
    return gaz.role(words[-1]) is not None


def _sentence_start(text: str, lo: int, hi: int) -> int:
    """Where the sentence containing ``hi`` starts (after the last sentence end in
    ``[lo, hi)``), or -1 when there is none in the window."""
    best = -1
    for sep in _SENTENCE_ENDS:
        i = text.rfind(sep, lo, hi)
        while sep == ". " and i >= lo and _abbreviation_before(text, i):
            i = text.rfind(sep, lo, i)  # "U.S. special envoy", "Mr. Smith"
        if i >= 0 and i + len(sep) > best:
            best = i + len(sep)
    return best


_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "gen", "lt", "col", "sen", "rep", "st", "gov"})


def _abbreviation_before(text: str, dot: int) -> bool:
    """Whether the full stop at ``dot`` closes an abbreviation ("U.S.", "J.", "Mr.")."""
    if dot >= 2 and text[dot - 1].isupper() and not text[dot - 2].isalnum():
        return True
    start = dot
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return text[start:dot].lower() in _ABBREVIATIONS


def _gender(mention: str) -> str | None:
    if "M" not in mention and "man" not in mention:
        return None  # no title, no -man/-woman role word
    found = _GENDERED.search(mention)
    if found is None:
        return None
    return "f" if found.group(1) else "m"


# First names ending in -a that are men's ("Nikita", "Mykola", "Ilya").
_MALE_A_NAMES = wordset(
    """nikita mykola ilya luca andrea joshua mustafa sasha kostya misha dima yura vova foma
    elijah isa musa zakaria hamza attila akira jonah noah ezra juma oleksa kuzma savva"""
)


def _name_gender(name: str) -> str | None:
    """Women's first names mostly end in -a in the languages of this news ("Olena",
    "Maria", "Kaja", "Ursula"); nothing is concluded from other endings."""
    first = name.split()[0].lower()
    if len(first) > 2 and first.endswith("a") and first not in _MALE_A_NAMES:
        return "f"
    return None


def _compatible(ent: _Entity, gender: str | None) -> bool:
    return gender is None or ent.gender in (None, gender)


def _lower_tail(bare: list[str]) -> bool:
    """A description in lower case after its determiner ("The report", "the new study")."""
    return all(w.islower() for w in bare)


def _one_name(bare: list[str]) -> bool:
    """A capitalised single word, maybe after a title ("Lindqvist", "Mr. Wrona")."""
    words = [w for w in bare if w.rstrip(".") not in ("Mr", "Mrs", "Ms", "Dr")]
    return len(words) == 1 and len(words[0]) > 2 and words[0][:1].isupper()


class _Parsed:
    def __init__(
        self,
        person: Person | None = None,
        org: Organization | None = None,
        role: str | None = None,
        role_at_end: bool = False,
        country: str | None = None,
    ) -> None:
        self.person = person
        self.org = org
        self.role = role
        self.role_at_end = role_at_end
        self.country = country


def _parse(gaz: Gazetteer, text: str) -> _Parsed:
    """What a mention says about its speaker, from the gazetteer's mention finder.

    The result is shared between calls (treat it as read-only): the same mentions and the
    same name contexts come up again and again ("the spokesman", "Kremlin spokesman Dmitry
    Peskov"), within an article and across a stream."""
    _GAZETTEERS.setdefault(id(gaz), gaz)
    return _parse_cached(id(gaz), text)


#: Words that make a role someone else's than the office holder's ("a former foreign
#: minister", "Iran's deputy foreign minister", "the country's then prime minister").
_OFFICE_WORDS = frozenset(
    {"former", "ex", "deputy", "vice", "acting", "then", "late", "new", "next", "previous"}
)
_HEAD_WORDS = frozenset({"head", "chief", "director", "director-general", "leader"})
#: Per gazetteer: its people in office now (no end of tenure) by (role, country) of an
#: official and by organisation; a key that several people share maps to None.
_CURRENT: dict[int, tuple[dict[tuple[str, str], Person | None], dict[str, Person | None]]] = {}


def _current_people(
    gaz: Gazetteer,
) -> tuple[dict[tuple[str, str], Person | None], dict[str, Person | None]]:
    current = _CURRENT.get(id(gaz))
    if current is None:
        offices: dict[tuple[str, str], Person | None] = {}
        members: dict[str, Person | None] = {}
        for person in gaz.persons:
            if gaz.tenure(person)[1] is not None:
                continue  # no longer in office
            if person.organization is not None:
                org = person.organization
                members[org] = None if org in members else person
            if person.role is not None and person.country is not None and person.official:
                office = (person.role.lower(), person.country)
                offices[office] = None if office in offices else person
        current = (offices, members)
        _GAZETTEERS.setdefault(id(gaz), gaz)
        _CURRENT[id(gaz)] = current
    return current


def _org_member(gaz: Gazetteer, organization: str) -> Person | None:
    """The one person the gazetteer has in an organisation now; None when none or several."""
    return _current_people(gaz)[1].get(organization)


def _office_holder(gaz: Gazetteer, role: str, country: str) -> Person | None:
    """The one person the gazetteer has in a country's office now; None when it has none or
    several."""
    return _current_people(gaz)[0].get((role.lower(), country))


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
    return out


_Fields = tuple[str | None, str | None, str | None, str | None, bool | None]


@lru_cache(maxsize=50_000)
def _described_fields(gaz_id: int, language: str, text: str) -> _Fields | None:
    """(name, role, organisation, country, official) of a mention read by ``describe``, or
    None when the gazetteer's reading stands (the same mentions recur: cached)."""
    gaz = _GAZETTEERS[gaz_id]
    words = speaker_words(language)
    parsed = _parse(gaz, text)
    desc = describe(text, words)
    if desc.name is not None and _organization(gaz, desc.name) is not None:
        return None  # "the New York Times": a name, but an institution's
    if desc.name is None and desc.organization is None:
        return None
    org_name = desc.organization
    org = _organization(gaz, org_name) if org_name else None
    country = None
    if org is None and org_name and gaz.country(org_name):
        # "a deputy foreign minister of Ukraine": a country, not an organisation
        country, org_name = gaz.country(org_name), None
    role = parsed.role if parsed.role is not None and parsed.role_at_end else None
    role = role or desc.role or parsed.role
    official: bool | None
    body = _body_in(gaz_id, language, text) if org_name is None and role is not None else None
    if org is not None:
        official = org.official
        organization: str | None = org.name
        country = org.country
    elif body is not None:
        # "Turkey's foreign ministry spokesman Oncu Keceli": the body the role belongs to
        organization, country = body
        official = True
    else:
        organization = org_name
        official = org_official(org_name, words) if org_name else None
        if desc.name and org_name is None and parsed.org is not None and parsed.person is None:
            # "Hamas spokesman Hazem Qassem", "U.N. aid chief Tom Fletcher": the body the
            # gazetteer knows, named before the role
            organization, official = parsed.org.name, parsed.org.official
            # a group's or an international body's people are of no state (the annotators
            # give Hamas's spokesman or a U.N. coordinator no country)
            country = parsed.org.country if official else None
            return (desc.name, role, organization, country, official)
        if official is None and ("'s " in text or "’s " in text):
            owner = _PRIVATE_OWNER.search(text)
            if owner is not None and owner.group(1).lower() in _PRIVATE_OWNERS:
                official = False  # "Dana Reyes, the group's president"
        if official is None and role is not None:
            official = _role_official(role, words)
        if official is None and _AGED.match(text) is not None:
            # "Halyna Bondar, 71, a retired nurse": agency copy gives the ages of the people
            # it meets, not of officials speaking for their office
            official = False
        if official is None and desc.kind is not None:
            official = desc.kind in words.state_heads
        if official is None and role is not None:
            official = True if gaz.is_official_role(role) else None
        if official is None and desc.name is not None and desc.name in text:
            # "Kosovo's chief negotiator, Deputy Prime Minister Besnik Bislimi": the title
            # right before the name
            title = text[: text.rfind(desc.name)].rsplit(",", 1)[-1].strip()
            titled = any(w.lower() in words.titles for w in title.split())
            title_role = _parse(gaz, title).role if titled else None
            if title_role is not None and gaz.is_official_role(title_role):
                official = True
        if official is None and parsed.role is not None and gaz.is_official_role(parsed.role):
            official = True  # "Norway's Minister of State for … Sigrid Havnaas"
    if official:
        country = country or parsed.country
    if desc.name is None:
        if parsed.org is not None and organization == parsed.org.name:
            return None  # the gazetteer's reading of the organisation stands
        return (None, None, organization, country, official)
    return (desc.name, role, organization, country, official)


# Words of a role that place its holder in a state's body ("foreign ministry spokesman",
# "government spokeswoman", "parliament speaker").
_STATE_ROLE_WORDS = frozenset(
    {"ministry", "government", "parliament", "embassy", "cabinet", "presidency", "kremlin"}
)


# Words of a role held outside any state ("head of commodities research", "drone operator").
_PRIVATE_ROLE_WORDS = frozenset(
    {"research", "underwriting", "operator", "soldier", "volunteer", "fellow", "professor"}
)
# Owners whose office is no state's ("the group's president", "the union's leader"); a
# party's office is not among them (a ruling party's lawmaker speaks as an official).
_PRIVATE_OWNERS = frozenset(
    {
        "group",
        "association",
        "union",
        "federation",
        "company",
        "firm",
        "institute",
        "centre",
        "center",
        "foundation",
        "network",
    }
)
_PRIVATE_OWNER = re.compile(r"\b(\w+)['’]s[ \t]")
_AGED = re.compile(r"[^,]+,[ \t]+\d{1,3},")


def _role_official(role: str, words: SpeakerWords) -> bool | None:
    """``official`` from a role's own words, for a person the gazetteer does not know: an
    analyst, an economist or a resident speaks for no state; a ministry's spokesman does."""
    parts = role.split()
    if any(w in words.nonofficial_heads or w in _PRIVATE_ROLE_WORDS for w in parts):
        return False
    if any(w in _STATE_ROLE_WORDS for w in parts):
        return True
    return None


def _person_speaker(span: Span | None, parsed: _Parsed) -> Speaker:
    person = parsed.person
    assert person is not None
    org = parsed.org if parsed.org is not None and parsed.org.official else None
    return Speaker(
        span,
        name=person.name,
        role=parsed.role or person.role,
        organization=org.name if org else person.organization,
        country=person.country or parsed.country,
        official=person.official or (org is not None),
    )


_ANONYMITY_HINTS = ("ource", "nsider", "amiliar", "nonym", "named", "dentified", "uthori")


def _anonymity_hint(text: str) -> bool:
    """Whether a mention may describe an unnamed source (a cheap test before the full one)."""
    return any(h in text for h in _ANONYMITY_HINTS)


class _Facts:
    """What a mention's words alone say, before the article is consulted (cached per text).
    A plain class: compiled, its attributes are set and read directly."""

    def __init__(
        self,
        anonymous: bool,
        country: str | None,
        media: bool,
        document: bool,
        state: tuple[str | None, str] | None,
        country_body: str | None,
        acronym: str | None,
        one_name: bool,
        may_describe: bool,
        nonofficial: bool,
        inside: Any = None,
    ) -> None:
        self.anonymous = anonymous
        self.country = country  # of an anonymous source ("a senior Russian official")
        self.inside = inside  # the body an anonymous source is from ("an IGAD official")
        self.media = media  # "the paper", "the agency"
        self.document = document  # "the report", "the new study"
        self.state = state  # "Iran", "Oman's foreign ministry"
        self.country_body = country_body  # "the country's general staff" ("" for "the country")
        self.acronym = acronym  # "the IISS" → "IISS"
        self.one_name = one_name  # "Lindqvist", "Mr. Wrona"
        self.may_describe = may_describe  # a capital after the first letter, or an appositive
        self.nonofficial = nonofficial  # "analysts", "Thai fruit exporters"


# Words after a speaker's head noun that open what describes it ("officials briefed on …",
# "officials in three capitals").
_POST_MODIFIERS = frozenset(
    {
        "briefed",
        "involved",
        "engaged",
        "close",
        "familiar",
        "aware",
        "in",
        "at",
        "from",
        "on",
        "who",
    }
)


@lru_cache(maxsize=50_000)
def _mention_facts(gaz_id: int, language: str, text: str) -> _Facts:
    gaz = _GAZETTEERS[gaz_id]
    words = speaker_words(language)
    media_nouns = _speaker_words(language)[2]
    cased = [w for w in text.split() if w.lower() not in ("the", "a", "an")]
    bare = [w.lower() for w in cased]
    # "one U.S. official", "a senior European diplomat", "two officials briefed on the
    # talks": unnamed, so an anonymous source
    head = next((bare[:k] for k, w in enumerate(bare) if k and w in _POST_MODIFIERS), bare)
    anonymous = is_anonymous(text, words) or (
        bool(head) and head[-1] in words.unnamed_heads and "," not in text
    )
    whose = _whose(gaz, text) if anonymous else None
    low = " ".join(bare).replace("’", "'")
    owner, sep, body = low.partition("'s ")
    if not sep:
        owner, body = _adjective_body(low, words)
    if body and bare and bare[-1] in words.documents and not _is_state_body(body, words):
        # "a Malaysian foreign ministry document": it speaks for the body that issued it
        body = body[: -len(bare[-1])].strip()
    state = None
    country_body = None
    if owner == "country" and (not body or _is_state_body(body, words)):
        country_body = body
    elif len(bare) > 1 and bare[0] == "its" and _is_state_body(low[4:], words):
        country_body = low[4:]  # "its foreign ministry": of the country spoken of last
    elif (
        not anonymous
        and len(bare) <= 6
        and cased
        and cased[0][:1].isupper()
        and _parse(gaz, text).country is not None  # the words name a country
    ):
        state = _state_fields(gaz_id, language, owner, body, None)
    if state is None and country_body is None and not anonymous and "in" in bare[1:]:
        # "The foreign ministry in Port Sudan": a state's body, and where it sits
        k = bare.index("in", 1)
        core = " ".join(bare[:k])
        code = _parse(gaz, " ".join(cased[k + 1 :])).country if cased[-1][:1].isupper() else None
        if code is not None:
            owner, body = _adjective_body(core, words)
            if body and gaz.country(owner) is not None:
                state = _state_fields(gaz_id, language, owner, body, None)
            elif _is_state_body(core, words):
                state = _state_fields(gaz_id, language, "", core, code)
    last = cased[-1] if cased else ""
    return _Facts(
        anonymous=anonymous,
        country=whose.country if whose is not None else None,
        inside=whose.org if whose is not None else None,
        # "the network" refers back to a medium; "the Sudan Doctors Network" is a name
        media=bool(bare) and bare[-1] in media_nouns and len(bare) <= 3 and _lower_tail(cased),
        document=bool(bare)
        and len(bare) <= 3
        and bare[-1] in words.documents
        and _lower_tail(cased),
        state=state,
        country_body=country_body,
        acronym=last.strip(".,’'")
        if len(cased) <= 2 and len(last) >= 2 and last.isupper()
        else None,
        one_name=_one_name(cased),
        may_describe="," in text or _unexplained_capital(gaz, text),
        nonofficial=_nonofficial_head(head, words) and "," not in text,
    )


# Words that open what an unnamed source knows of, not whom it speaks for ("two sources
# briefed on the Abu Dhabi discussions", "an official familiar with the Kyiv talks").
_ABOUT_WORDS = frozenset(
    {"briefed", "familiar", "close", "aware", "involved", "engaged", "knowledgeable", "privy"}
    | {"with", "who", "following", "tracking"}
)


def _whose(gaz: Gazetteer, text: str) -> _Parsed:
    """What an unnamed source's mention says of whose it is: its words before any that
    describe what the source knows of ("sources in the Israeli prime minister's office" keeps
    its place, "people briefed on the Doha talks" does not name Qatar's government)."""
    parts = text.split()
    for k in range(1, len(parts)):
        low = parts[k].lower()
        if low in _ABOUT_WORDS:
            return _parse(gaz, " ".join(parts[:k]))
        if low == "in" and parts[k - 1].lower().strip(",") in _ENVOY_HEADS:
            # "diplomats in Vienna", "a Western diplomat in Addis Ababa": a diplomat serves
            # abroad, so the place is where they are posted, not whose they are
            return _parse(gaz, " ".join(parts[:k]))
    return _parse(gaz, text)


_ENVOY_HEADS = frozenset({"diplomat", "diplomats"})


def _nonofficial_head(head: list[str], words: SpeakerWords) -> bool:
    """Whether a speaker's head names people who do not speak for a state ("analysts",
    "Relatives of Americans held in Russia", "aid agencies")."""
    if "of" in head[1:]:
        head = head[: head.index("of", 1)]
    return bool(head) and (
        head[-1] in words.nonofficial_heads or " ".join(head[-2:]) in words.nonofficial_heads
    )


def _someone_else(known: str, text: str, words: SpeakerWords) -> bool:
    """Whether a mention names a person of its own before the comma, and the known person
    only in its appositive ("Hikmet Hajiyev, foreign policy adviser to Aliyev")."""
    head, comma, _ = text.partition(",")
    if not comma or known.split()[-1] in head:
        return False
    return is_person_name(head.strip(), words)


def _other_given_name(person: Person, text: str, words: SpeakerWords) -> bool:
    """Whether the mention names someone else with the known person's surname ("KCSM
    director Oksana Lytvyn" is not the gazetteer's Dmytro Lytvyn)."""
    surname = person.name.split()[-1]
    parts = text.replace(",", " ").split()
    if surname not in parts[1:]:
        return False
    before = parts[parts.index(surname) - 1]
    if not is_name_word(before) or before.lower() in words.titles:
        return False
    known = {w for name in (person.name, *person.aliases) for w in name.split()}
    return before not in known


def _body_in(gaz_id: int, language: str, text: str) -> tuple[str | None, str] | None:
    """(organisation, country) of a state body a description names before a role
    ("Turkey's foreign ministry spokesman", "the Cambodian defence ministry's spokeswoman")."""
    words = speaker_words(language)
    low = text.lower().replace("’", "'")
    parts = low.replace("'s ", " 's ").split()
    by_first = words.state_bodies_by_first
    for i in range(len(parts) - 1):
        owner = parts[i]
        rest_at = i + 2 if parts[i + 1] == "'s" else i + 1
        if by_first is None:
            bodies = tuple((b, b + " ", b + "'s ") for b in words.state_bodies)
        else:
            # only the bodies that start like the rest can begin it
            bodies = by_first.get(parts[rest_at][0] if rest_at < len(parts) else "", ())
            if not bodies:
                continue
        rest = " ".join(parts[rest_at:])
        for body, spaced, possessive in bodies:  # longest first
            if rest.startswith(spaced) or rest.startswith(possessive):
                found = _state_fields(gaz_id, language, owner, body, None)
                if found is not None:
                    return found
    return None


def _acronym_document(text: str, words: SpeakerWords) -> str | None:
    """The acronym of "a CTD paper", "the ISW assessment"; else None."""
    parts = [w for w in text.split() if w.lower() not in ("the", "a", "an", "new", "latest")]
    if "of" in parts[2:]:
        parts = parts[: parts.index("of", 2)]  # "a BISP survey of officials in 12 capitals"
    if len(parts) == 2 and parts[1].lower() in words.documents:
        short = parts[0].strip(".,’'")
        if 2 <= len(short) <= 8 and short.isupper() and short.isalpha():
            return short
    return None


def _is_state_body(body: str, words: SpeakerWords) -> bool:
    """A body of a state: one of the listed ones, or any ministry ("energy ministry",
    "social affairs ministry")."""
    if body in words.state_body_set:
        return True
    parts = body.split()
    return 2 <= len(parts) <= 4 and parts[-1] == "ministry"


def _adjective_body(low: str, words: SpeakerWords) -> tuple[str, str]:
    """("armenian", "defence ministry") of "armenian defence ministry": a country word and a
    state body (a document noun may follow the body); else (low, "")."""
    parts = low.split()
    for k in (1, 2):
        rest = parts[k:]
        if not rest:
            break
        body = " ".join(rest)
        if _is_state_body(body, words) or (
            len(rest) > 1
            and rest[-1] in words.documents
            and _is_state_body(" ".join(rest[:-1]), words)
        ):
            return " ".join(parts[:k]), body
    return low, ""


# The look-behind after the capital, as in _NAME_SEQ: a scan then jumps from capital to capital.
_CAPITAL_WORD = re.compile(r"[A-Z](?<![\w’'.-].)")


def _unexplained_capital(gaz: Gazetteer, text: str) -> bool:
    """A capitalised word after the first that no gazetteer entry covers ("Josh Earnest" in
    "White House press secretary Josh Earnest"): a name the mention itself introduces."""
    if text[1:].islower():
        return False
    covered = [(m.start, m.end) for m in _mentions(gaz, text)]
    for found in _CAPITAL_WORD.finditer(text, 1):
        pos = found.start()
        if not any(s <= pos < e for s, e in covered):
            return True
    return False


@lru_cache(maxsize=50_000)
def _state_fields(
    gaz_id: int, language: str, owner: str, body: str, code: str | None
) -> tuple[str | None, str] | None:
    """(organisation, country) of a state speaking: "Iran", "Oman's foreign ministry", or
    the body of a country named before (``code``); None when the mention is something else."""
    gaz = _GAZETTEERS[gaz_id]
    if code is None:
        code = gaz.country(owner)
        if code is None:
            return None
        if not body and gaz.organization(owner) is not None:
            return None  # "Moscow", "Russian authorities": the gazetteer's own entry
    if body and not _is_state_body(body, speaker_words(language)):
        return None
    country_name = gaz.countries.get(code, owner)
    if body:
        org = gaz.organization(f"{country_name}'s {body}")
        if org is not None and org.official:
            return (org.name, org.country or code)
        if body not in _GOVERNMENT_BODIES:
            # "Paraguay's foreign ministry" → Foreign Ministry of Paraguay: the body itself,
            # not the government it belongs to
            return (f"{body.title()} of {country_name}", code)
    government = gaz.government(code)
    return (government.name if government is not None else None, code)


_OFFICE_OF = re.compile(r"(?:[Tt]he[ \t]+)?[Oo]ffice[ \t]+of[ \t].+|.+['’]s[ \t]+office")

_LABOUR_HEADS = frozenset({"union", "federation", "confederation"})

#: "the group": an organisation that acts for no state, named before.
_GROUP_NOUNS = frozenset({"group", "movement", "militia", "rebels", "insurgents"})
#: "the think tank", "the institute": a research body named before
_RESEARCH_NOUNS = frozenset(
    {"think tank", "think-tank", "institute", "research group", "research centre"}
    | {"research center"}
)
_RESEARCH_HEADS = frozenset(
    {"institute", "centre", "center", "studies", "observatory", "foundation", "forum", "tank"}
    | {"group", "council", "endowment", "academy", "institution"}
)

#: Heads of a definite description that refers back to a body named before ("the ministry").
_BODY_HEADS = frozenset(
    {
        "ministry",
        "office",
        "union",
        "agency",
        "committee",
        "federation",
        "council",
        "commission",
        "mission",
        "headquarters",
        "movement",
        "alliance",
        "authority",
        "institute",
        "centre",
        "center",
        "association",
        "organisation",
        "organization",
    }
)

#: Bodies that are the government itself ("Iran's government", "the Russian authorities").
_GOVERNMENT_BODIES = frozenset({"government", "authorities", "leadership", "cabinet"})


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
    if have in _GENERIC_ROLES.get(wanted, frozenset()):
        return True
    # "the minister" after "Foreign Minister Hakan Fidan", "the envoy" after a special envoy:
    # the office's last word (a prime minister is not called "the minister")
    return " " not in wanted and have.endswith(" " + wanted) and have != "prime minister"


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
