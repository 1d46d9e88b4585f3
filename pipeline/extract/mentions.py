"""What a speaker mention says about a speaker the gazetteer does not know.

News introduces most people once, with an appositive: "Marta Lindqvist, a senior fellow at the
Centre for Eastern Security Studies in Stockholm, said …".  ``describe`` reads such a mention
into a name, a role phrase and an organisation name kept whole ("Centre for Eastern Security
Studies", not its last words), and ``org_official`` tells from the organisation's head word
whether it acts for a state ("Ministry of …") or not ("Institute for …").  ``acronyms`` reads
the definitions an article makes ("the International Institute for Strategic Studies (IISS)"),
and ``is_anonymous`` recognises unnamed sources ("a senior official, speaking on condition of
anonymity").  The word lists are data: ``speaker_words`` in ``data/cues.<lang>.yaml``.

Plain functions over strings; the resolver (``speakers``) decides what to do with them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pipeline.extract import lexicon


# SpeakerWords and Description are plain classes rather than dataclasses: the dataclass
# machinery compiles each generated method separately at import (~1 M instructions each, in
# every process); neither is compared or printed, nor assigned to after construction.
class SpeakerWords:
    """The speaker-description words of one language (empty for languages without them)."""

    def __init__(
        self,
        anonymous: re.Pattern[str] | None,
        documents: frozenset[str],
        state_bodies: tuple[str, ...],
        state_heads: frozenset[str],
        nonstate_heads: frozenset[str],
        titles: frozenset[str],
        unnamed_heads: frozenset[str],
        nonofficial_heads: frozenset[str],
        nonstate_armed: frozenset[str],
    ) -> None:
        self.anonymous = anonymous
        self.documents = documents
        self.state_bodies = state_bodies
        # Membership tests and the prefix test of every word of a mention (``_body_in``) run
        # once per new mention: a set, and the bodies by first character with their two
        # endings joined once, in the same order (longest first).  None when a body is empty
        # (it would start with any character): the plain list is tried then.
        self.state_body_set = frozenset(state_bodies)
        by_first: dict[str, list[tuple[str, str, str]]] = {}
        for body in state_bodies:
            by_first.setdefault(body[:1], []).append((body, body + " ", body + "'s "))
        self.state_bodies_by_first: dict[str, tuple[tuple[str, str, str], ...]] | None = (
            None if "" in by_first else {k: tuple(v) for k, v in by_first.items()}
        )
        self.state_heads = state_heads
        self.nonstate_heads = nonstate_heads
        self.titles = titles
        self.unnamed_heads = unnamed_heads
        self.nonofficial_heads = nonofficial_heads
        #: words before an armed body's head that make it a non-state armed group
        #: ("Ta'ang National Liberation Army", "Arakan Army" is not caught: no such word)
        self.nonstate_armed = nonstate_armed


@cache
def speaker_words(language: str) -> SpeakerWords:
    name = f"cues.{language}.yaml"
    data: dict[str, Any] = lexicon.load(name) if lexicon.available(name) else {}
    words = data.get("speaker_words") or {}
    anonymous = lexicon.words(words.get("anonymous") or [])
    pattern = (
        re.compile(r"(?<!\w)(?:" + lexicon.trie_pattern(anonymous) + r")(?!\w)")
        if anonymous
        else None
    )
    bodies = sorted(lexicon.words(words.get("state_bodies") or []), key=len, reverse=True)
    return SpeakerWords(
        anonymous=pattern,
        documents=frozenset(lexicon.words(words.get("documents") or [])),
        state_bodies=tuple(bodies),
        state_heads=frozenset(lexicon.words(words.get("state_org_heads") or [])),
        nonstate_heads=frozenset(lexicon.words(words.get("nonstate_org_heads") or [])),
        titles=frozenset(lexicon.words(words.get("titles") or [])),
        unnamed_heads=frozenset(lexicon.words(words.get("unnamed_heads") or [])),
        nonofficial_heads=frozenset(lexicon.words(words.get("nonofficial_heads") or [])),
        nonstate_armed=frozenset(lexicon.words(words.get("nonstate_armed_words") or [])),
    )


def is_anonymous(text: str, words: SpeakerWords) -> bool:
    """An unnamed source: "a source familiar with the talks", "who declined to be named"."""
    return words.anonymous is not None and words.anonymous.search(text.lower()) is not None


# An organisation's name: capitalised words, with lower-case joiners between them
# ("Institute for the Study of War", "Centre for Eastern Security Studies").
_CAP = r"[A-Z][\w’'.&-]*"
# One flat repetition (nested ones make the regex engine save and restore marks at every
# word); joiners left at the end are trimmed by the callers.
# At word starts only, and at most twelve more words: a long run of capitalised words (or
# one long word) then costs linear time ("Aa Aa Aa … (B)" would otherwise be quadratic).
# (The look-behind comes after the first capital, which it checks with the character before
# it: the pattern then starts with a character class, so a scan jumps from capital to capital.)
ORG_NAME = re.compile(
    r"[A-Z](?<![\w’'.&-].)[\w’'.&-]*"
    rf"(?:[ \t]+(?:(?:of|for|on|and|the|de|&)(?![\w’'.&-])|{_CAP})){{0,12}}"
)
# Where an appositive names the organisation: "… at the X", "… of X", "X's …".
_ORG_INTRO = re.compile(r"(?:^|[ \t])(?:at|of|with|from|for)[ \t]+(?:the[ \t]+)?(?=[A-Z])")
_DETERMINER = re.compile(r"^(?:the|a|an)[ \t]+", re.IGNORECASE)
_ROLE_PLACE = re.compile(r"[ \t](?:in|with)[ \t]")
_AGE = re.compile(r"^\d{1,3},[ \t]*")
_JOINERS = frozenset({"of", "for", "on", "and", "the", "de", "&"})
_MAX_NAME_WORDS = 4
#: Lower-case words inside a name ("Marloes de Wit", "Ursula von der Leyen").
_PARTICLES = frozenset(
    {"de", "van", "von", "der", "den", "del", "della", "di", "da", "du", "dos", "das", "ter"}
)
_NAME_MARKS = frozenset("’'-")


def is_name_word(part: str) -> bool:
    """A capitalised word of a name in any alphabet ("Aydın", "Erdoğan", "O’Neill",
    "McCain", "Al-Sudani") or an initial ("J."); not an acronym ("NATO's", "PWF")."""
    if len(part) == 2 and part[1] == "." and part[0].isupper():
        return True
    if part[:3] in ("al-", "el-") and len(part) > 4:
        part = part[3:]  # "Dana al-Harthy", "Abdel Fattah el-Sisi"
    if len(part) < 2 or not part[0].isupper():
        return False
    second = part[1]
    lower = second.isalpha() and second.islower()
    # "O’Neill", "D'Amato": a mark, then a capital
    if not lower and (second not in "’'" or len(part) < 4 or not part[2].isupper()):
        return False
    return all(c.isalpha() or c in _NAME_MARKS for c in part[1:])


def org_head(name: str) -> str:
    """The head word of an organisation name, lower case: the last word before the first
    joiner ("Institute for the Study of War" → "institute"), else the last word."""
    words = name.split()
    for i, word in enumerate(words):
        # "American Importers and Retailers Coalition": "and" joins words of the name
        if i > 0 and word in _JOINERS and word not in ("and", "&"):
            return words[i - 1].lower().strip(".,")
    return words[-1].lower().strip(".,") if words else ""


def org_official(name: str, words: SpeakerWords) -> bool | None:
    """Whether an organisation unknown to the gazetteer acts for a state, from its head word."""
    head = org_head(name)
    if head in words.nonstate_heads:
        return False
    if head in words.state_heads:
        if head in _ARMED_HEADS and words.nonstate_armed:
            # "Ta'ang National Liberation Army": a rebel army does not act for a state
            for word in name.split():
                low = word.lower().strip(".,")
                if low == head:
                    break
                if low in words.nonstate_armed:
                    return False
        return True
    return None


_ARMED_HEADS = frozenset({"army", "forces", "front", "guard", "guards", "corps", "command"})


def is_org_name(text: str, words: SpeakerWords) -> bool:
    """A capitalised name whose head word is an organisation's ("Crisis Group", "Centre …")."""
    head = org_head(text)
    return head in words.nonstate_heads or head in words.state_heads


def is_person_name(text: str, words: SpeakerWords) -> bool:
    """Two to four capitalised name words ("Marta Lindqvist", "J. D. Vance"), no org head."""
    parts = text.split()
    while len(parts) > 2 and parts[0].endswith(".") and parts[0].lower() in words.titles:
        parts = parts[1:]  # "Gen. Abdel Fattah al-Burhan": an abbreviated rank
    if not 2 <= len(parts) <= _MAX_NAME_WORDS + 1:
        return False
    if not is_name_word(parts[0]) or not is_name_word(parts[-1]):
        return False
    inner = parts[1:-1]
    particles = sum(1 for p in inner if p in _PARTICLES)
    if len(parts) - particles > _MAX_NAME_WORDS:
        return False
    if not all(is_name_word(p) or p in _PARTICLES for p in inner):
        return False
    return not any(
        p.lower() in words.state_heads or p.lower() in words.nonstate_heads for p in parts
    )


class Description:
    """A mention read without the gazetteer: any of the three may be missing."""

    def __init__(
        self,
        name: str | None,
        role: str | None,
        organization: str | None,
        kind: str | None = None,
    ) -> None:
        self.name = name
        self.role = role
        self.organization = organization
        #: the noun an appositive calls the organisation by ("an advocacy group" → "group"),
        #: which tells whether it acts for a state when its own name does not
        self.kind = kind


def describe(text: str, words: SpeakerWords) -> Description:
    """``NAME, ROLE at ORG`` / ``ROLE at ORG, NAME`` / ``ROLE NAME`` / ``the ORG``."""
    text = text.strip().rstrip(",")
    # "the Geneva Centre for Nuclear Policy (GCNP)": the acronym the article defines is not
    # part of the name (the article's acronyms are read apart)
    defined = _DEFINED_ACRONYM.search(text) if _ends_in_bracket(text) else None
    if defined is not None:
        text = _DEFINED_ACRONYM.sub("", text)
    head, _, tail = text.partition(",")
    # "the Ta'ang National Liberation Army (TNLA), one of the groups …": there too
    head = head.strip()
    if _ends_in_bracket(head):
        head = _DEFINED_ACRONYM.sub("", head)
    tail = tail.strip().strip(",").strip()
    name: str | None = None
    desc = ""
    if tail:
        if is_person_name(head, words):
            name = without_titles(head, words)
            # "Liberian President Joseph Boakai, who chaired the summit,": the titles before
            # the name describe the person, the relative clause does not
            desc = head[: len(head) - len(name)].strip() if _RELATIVE.match(tail) else tail
            # "Halyna Bondar, 71, a retired nurse": the age is not the description
            desc = _AGE.sub("", desc)
        elif defined is not None and _initials(tail) == _acronym(defined):
            # "The operators' association, Rotterdam Terminal Employers (RTE)": a name with
            # its acronym is an organisation's, not a person's
            return Description(None, None, tail, _noun_head(_DETERMINER.sub("", head)))
        elif is_person_name(tail, words) or is_person_name(without_titles(tail, words), words):
            # "Kosovo's chief negotiator, Deputy Prime Minister Besnik Bislimi": the titles
            # may make the name look too long
            name, desc = without_titles(tail, words), head
        else:
            kind = _noun_head(_ONE_OF.sub("", _DETERMINER.sub("", tail)))
            if kind.endswith("s") and kind[:-1] in words.nonstate_heads:
                kind = kind[:-1]  # "one of the groups in the alliance"
            named = _DETERMINER.sub("", head)
            if _is_org_kind(kind, words) and _org_like(named):
                # "Copa-Cogeca, the umbrella group for EU farmers": the name is the group's
                return Description(None, None, named, kind)
            desc = tail
    else:
        bare = _DETERMINER.sub("", head)
        titled = _TITLE_FOR_NAME.fullmatch(bare)
        if titled is not None and any(w.lower() in words.titles for w in titled.group(1).split()):
            # "High Commissioner for Peace Otty Patino", "Minister for Europe Stephen Doughty",
            # "Minister of State for International Cooperation Lolwah Al-Khater": the office's
            # field, then the name (its last two words)
            desc = bare[: titled.start(2)].strip()
            return Description(titled.group(2), _role_phrase(desc), None)
        acronym = _KIND_ACRONYM.search(bare)
        if acronym is not None and _is_org_kind(acronym.group(1).lower(), words):
            # "Germany's car industry association VDA"
            return Description(None, None, acronym.group(2), acronym.group(1).lower())
        if (
            bare[:1].isupper()
            and ORG_NAME.fullmatch(bare)
            and bare.split()[-1] not in _JOINERS
            and (is_org_name(bare, words) or any(w in _JOINERS for w in bare.split()[1:]))
        ):
            return Description(None, None, bare)  # "Institute for the Study of War" whole
        run = _trailing_name(bare)
        if run is not None:
            run = without_titles(run, words)
        if run is not None and defined is not None and _initials(run) == _acronym(defined):
            return Description(None, None, run)  # "the Norwegian Refugee Council (NRC)"
        if run is not None and bare[: len(bare) - len(run)].split()[-1:] in _BEFORE_PLACES:
            run = None  # "analysts at Nordhavn Bank": an organisation or a place, not a person
        if run is not None and is_person_name(run, words):
            name, desc = run, bare[: len(bare) - len(run)].strip()
        else:
            desc = bare
    org = _org_in(desc, words)
    role = _role_phrase(desc)
    return Description(name, role, org)


_DEFINED_ACRONYM = re.compile(r"[ \t]*\([A-Z][A-Za-z&.-]{1,9}\)$")


def _ends_in_bracket(text: str) -> bool:
    """Whether ``_DEFINED_ACRONYM`` can match: its ``)$`` needs a closing bracket last or
    before a final newline.  Most descriptions have none, and the regex would try its
    spaces and opening bracket at every position first (about a sixth of ``describe``'s
    work on a new mention)."""
    return text.endswith(")") or text.endswith(")\n")


_TITLE_FOR_NAME = re.compile(
    r"((?:[A-Z][\w’'-]*|of)(?:[ \t]+(?:[A-Z][\w’'-]*|of))*?)[ \t]+for[ \t]+"
    r"(?:[A-Z][\w’'-]*[ \t]+){1,3}?([A-Z][\w’'-]+[ \t]+[A-Z][\w’'-]+)"
)
_ONE_OF = re.compile(r"^(?:one|some|part|a member|member) of (?:the )?", re.IGNORECASE)
_KIND_ACRONYM = re.compile(r"(?:^|\s)([a-z]+)\s+([A-Z][A-Z&-]{1,7})$")


_HEAD_ENDS = frozenset({"of", "for", "on", "in", "at", "from", "with", "and", "based", "that"})


_BEFORE_PLACES = (["at"], ["of"], ["in"], ["from"], ["with"], ["for"])


def _acronym(defined: re.Match[str]) -> str:
    return defined.group().strip(" \t()")


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper())


def _noun_head(phrase: str) -> str:
    """The noun heading a description: the word before its first preposition ("the largest
    farmers' group in Moldova" → "group")."""
    parts = phrase.lower().split()
    for i, word in enumerate(parts):
        if i > 0 and word in _HEAD_ENDS:
            return parts[i - 1].strip(".,")
    return parts[-1].strip(".,") if parts else ""


def _is_org_kind(word: str, words: SpeakerWords) -> bool:
    return word in words.nonstate_heads or word in words.state_heads


def _org_like(name: str) -> bool:
    """A capitalised name of at most six words, or an acronym ("FNSEA", "Copa-Cogeca")."""
    parts = name.split()
    return 0 < len(parts) <= 6 and all(p[:1].isupper() or p in _JOINERS for p in parts)


def _trailing_name(text: str) -> str | None:
    parts = text.split()
    k = len(parts)
    while k > 0 and len(parts) - k < _MAX_NAME_WORDS:
        if is_name_word(parts[k - 1]):
            k -= 1
        elif (
            parts[k - 1] in _PARTICLES and k < len(parts) and k >= 2 and is_name_word(parts[k - 2])
        ):
            k -= 2  # "Marloes de Wit": a particle between two name words
        else:
            break
    if k == len(parts):
        return None
    return " ".join(parts[k:])


_RELATIVE = re.compile(r"(?:who|whose|whom)\b")


def without_titles(run: str, words: SpeakerWords) -> str:
    """A name without the title or rank before it ("Trade Commissioner Maros Sefcovic" →
    "Maros Sefcovic"); two words at least stay."""
    parts = run.split()
    k = 0  # after the last title: "Liberian President Joseph Boakai" (a demonym before it)
    for i, part in enumerate(parts[:-2]):
        if part.lower() in words.titles:
            k = i + 1
    return " ".join(parts[k:]) if k else run


def _org_in(desc: str, words: SpeakerWords) -> str | None:
    """The organisation an appositive names, whole: after "at/of/with … (the)", or the
    description itself when it is a capitalised organisation name."""
    for intro in _ORG_INTRO.finditer(desc):
        found = ORG_NAME.match(desc, intro.end())
        if found is not None:
            if "from" in intro.group() and not is_org_name(found.group(), words):
                continue  # "a lawyer from Odesa, Ukraine": a place, not an employer
            return _trim_place(found.group())
    bare = _DETERMINER.sub("", desc)
    found = ORG_NAME.match(bare)
    if found is not None and is_org_name(found.group(), words):
        return _trim_place(found.group())
    return None


def _trim_place(name: str) -> str:
    words = name.split()
    while words and words[-1] in _JOINERS:
        words.pop()
    # "the Kyiv-based Centre for …", "the New Delhi-based …": where it sits is not its name
    based = next((k for k, w in enumerate(words[:3]) if w.endswith("-based")), -1)
    if 0 <= based < len(words) - 1:
        del words[: based + 1]
    return " ".join(words)


def _role_phrase(desc: str) -> str | None:
    """The role words of a description: "a senior fellow at the Centre …" → "senior fellow"."""
    cut = len(desc)
    intro = _ORG_INTRO.search(desc)
    if intro is not None:
        cut = intro.start()
    place = _ROLE_PLACE.search(desc, 0, cut)
    if place is not None:
        cut = place.start()  # "a political analyst in Ramallah", "a medic with a brigade"
    role = _DETERMINER.sub("", desc[:cut].strip()).strip(" ,")
    words = role.split()
    if not words or len(words) > 6:
        return None
    # A role is written in lower case; a leading country or organisation word may stand
    # before it ("Iran's foreign minister", "Kremlin aide").
    while words and not words[0].islower():
        words = words[1:]
    if not words or not all(w.islower() or w == "of" for w in words):
        return None
    return " ".join(words)


_ACRONYM_DEFINITION = re.compile(rf"({ORG_NAME.pattern})[ \t]+\(([A-Z][A-Za-z]{{1,7}})\)")
_BRACKETED_ACRONYM = re.compile(r"[ \t]\([A-Z][A-Za-z]{1,7}\)")


def acronyms(text: str) -> dict[str, str]:
    """Acronyms defined in an article: "the International Institute for Strategic Studies
    (IISS)" → {"IISS": "International Institute for Strategic Studies"}.  The name must
    spell the acronym with its capitals (so "Ukraine (NATO)" defines nothing)."""
    out: dict[str, str] = {}
    # Every definition holds a bracketed acronym after a space: without one (most texts with
    # brackets), the name regex need not try each capital of the text.
    if "(" not in text or _BRACKETED_ACRONYM.search(text) is None:
        return out
    for m in _ACRONYM_DEFINITION.finditer(text):
        words, short = m.group(1).split(), m.group(2)
        # Leading words that are not part of the name ("Tuesday's International …")
        for k in range(len(words)):
            if not words[k][:1].isupper():
                continue  # "Members of the Port Workers' Federation (PWF)": not "of the …"
            initials = "".join(w[0] for w in words[k:] if w[:1].isupper())
            if initials == short.upper():
                out.setdefault(short, " ".join(words[k:]))
                break
    return out
