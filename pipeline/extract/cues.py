"""Attribution cues ("said", "has also stressed", "according to", "заявил") found by lexicon.

``CueLexicon.for_language(lang)`` compiles ``data/cues.<lang>.yaml`` once into a single regex
that matches the whole verb group: auxiliaries, negation and adverbs before the verb belong to
the cue span ("has repeatedly said", "did not say"), as in PolNeAR's annotation.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, NamedTuple

from pipeline.extract import lexicon
from pipeline.extract.regex_cache import compile_cached
from pipeline.extract.tokens import piece_start, word_char, wordset

_PASSIVE_AUX = frozenset({"was", "is", "were", "are", "been", "being", "be"})
_IRREGULAR_PARTICIPLES = frozenset(
    {"told", "said", "thought", "known", "shown", "found", "sought", "written", "spoken", "felt"}
)


class Cue(NamedTuple):
    """One cue occurrence.  ``cls`` is the lexicon class (speech, tell, cognition, intent,
    evaluate, question, evidence) or ``source`` ("according to") / ``passive`` ("was quoted as
    saying").  A NamedTuple: an article has dozens of cue candidates, and a frozen dataclass
    costs a ``object.__setattr__`` call per field to build."""

    start: int
    end: int
    verb_start: int
    verb_end: int
    form: str
    cls: str
    passive: bool = False
    negated: bool = False
    bare: bool = False
    #: a word of the ``learned_verbs`` list: it cues an attribution only where the learned
    #: model keeps it (``cue_model.py``)
    learned: bool = False


class CueLexicon:
    """The compiled cue lexicon of one language."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.language: str = str(data.get("language", ""))
        self.verb_class: dict[str, str] = {}
        # Bare forms ("say", "state", "report", "call") are also nouns; they only count as
        # verbs after an auxiliary or a plural/pronoun subject (see ``Cue.bare``).
        self.bare_forms: set[str] = set()
        for cls, entries in (data.get("verbs") or {}).items():
            for entry in entries or []:
                forms = lexicon.words([entry])
                if data.get("bare_forms_need_subject") and "{" in str(entry) and forms:
                    self.bare_forms.add(_norm(forms[0]))
                for form in forms:
                    self.verb_class.setdefault(_norm(form), str(cls))
        # Cue forms that are nouns inside a speaker's noun phrase ("the State Department",
        # "a new report", "the state party chairwoman"): they do not end the phrase there.
        subject_nouns = frozenset(lexicon.words(data.get("subject_nouns") or []))
        self.np_verbs = frozenset(self.verb_class) - subject_nouns
        # Words that cue an attribution now and then ("support", "plans", "is confident"):
        # found like the others, judged by the learned model; they do not end a speaker's
        # noun phrase (added after ``np_verbs``).
        learned: set[str] = set()
        for cls, entries in (data.get("learned_verbs") or {}).items():
            for form in lexicon.words(entries or []):
                if _norm(form) not in self.verb_class:
                    self.verb_class[_norm(form)] = str(cls)
                    learned.add(_norm(form))
        self.learned_forms = frozenset(learned)
        phrases: dict[str, list[str]] = data.get("phrases") or {}
        self.phrase_class: dict[str, str] = {}
        for cls, entries in phrases.items():
            for form in lexicon.words(entries or []):
                self.phrase_class[_norm(form)] = str(cls)
        self.colon_nouns = frozenset(lexicon.words(data.get("colon_nouns") or []))
        self.not_speakers = frozenset(lexicon.words(data.get("not_speakers") or []))
        self.source_nouns = frozenset(lexicon.words(data.get("source_nouns") or []))
        self.noun_like_forms = frozenset(lexicon.words(data.get("noun_like_forms") or []))
        #: language-specific words that end a speaker noun phrase (Russian/Ukrainian
        #: prepositions and conjunctions; English uses the closed classes in ``tokens``)
        self.stop_words = frozenset(
            w.replace("’", "'") for w in lexicon.words(data.get("stop_words") or [])
        )
        self.as_words = frozenset(lexicon.words(data.get("as_words") or ["as"]))
        self.dash_dialogue = bool(data.get("dash_dialogue", False))
        self.in_word: str = str(data.get("in_word", "In"))
        self.adjunct_heads = frozenset(lexicon.words(data.get("adjunct_heads") or []))
        self.pronouns = frozenset(lexicon.words(data.get("pronouns") or []))
        self.complementizers = frozenset(lexicon.words(data.get("complementizers") or ["that"]))
        self.complementizer_re = re.compile(
            r"(?<!\w)(?:" + "|".join(sorted(self.complementizers)) + r")(?!\w)", re.IGNORECASE
        )
        #: The same words in lower-cased text (``text.lowered_for_matching``), each starting
        #: with its letter and looking behind it: the engine then skips to that letter instead
        #: of trying the look-behind at every position (~7x faster).
        self.complementizer_lower_re = (
            re.compile(
                "(?:"
                + "|".join(f"{w[0]}(?<!\\w.){w[1:]}" for w in sorted(self.complementizers))
                + r")(?!\w)"
            )
            if all(w.isalpha() and w == w.lower() for w in self.complementizers)
            else None
        )
        self._aux = frozenset(lexicon.words(data.get("auxiliaries") or []))
        self._neg = frozenset(lexicon.words(data.get("negators") or []))
        self._phase = frozenset(lexicon.words(data.get("phase_verbs") or []))
        self._adv = frozenset(lexicon.words(data.get("adverbs") or []))
        # "has long opposed", "have both supported": in the cue only after an auxiliary
        self._aux_adv = frozenset(lexicon.words(data.get("adverbs_after_auxiliary") or []))
        # "continued to question", "went on to say", "was quick to add": the verb before the
        # infinitive changes nothing about who speaks, and belongs to the cue (as in PolNeAR)
        self._raising = frozenset(lexicon.words(data.get("raising_verbs") or []))
        self._raising_adjectives = frozenset(lexicon.words(data.get("raising_adjectives") or []))
        #: "on" of "went on": the words after which the word before is looked at too
        self._raising_second_words = frozenset(w.split()[-1] for w in self._raising if " " in w)
        self.adverbs = self._adv | {"instead", "however", "too"}
        # Words that may precede a verb inside its group, for the one-lookup fast path.
        self._group_words = (
            self._adv
            | self._aux_adv
            | self._neg
            | self._aux
            | self._phase
            | {a + nt for a in self._aux for nt in ("n't", "n’t")}
        )
        suffixes = lexicon.words(data.get("cue_suffixes") or [])
        heads = [*self.verb_class, *self.phrase_class]
        # Case-sensitive matching with explicit capitalised variants: re.IGNORECASE defeats
        # the first-character scan optimisation and makes this regex 4x slower.
        variants = heads + [h[0].upper() + h[1:] for h in heads if h[:1].islower()]
        self.regex = compile_cached(
            r"(?<![\w'’-])(?:" + lexicon.trie_pattern(variants) + r")(?![\w'’-])"
        )
        #: the leading word of every head as it can appear in a text ("according" of
        #: "according to"), for ``_matches``; None when a head starts without a word
        #: character (then the regex scans the text itself)
        firsts = [_first_word(h) for h in variants]
        self.first_words: frozenset[str] | None = frozenset(firsts) if all(firsts) else None
        # Bit n of _first_lengths[128 * a + b] is set when a first word of n characters
        # starts with the ASCII character a and ends with b: two thirds of the words of a
        # text are ruled out without hashing them.
        self._first_lengths = [0] * (128 * 128)
        for word in self.first_words or ():
            a, b = ord(word[0]), ord(word[-1])
            if a < 128 and b < 128:
                self._first_lengths[128 * a + b] |= 1 << len(word)
        # First words that are no head on their own ("is" of "is quoted by", "in" of "in the
        # words of") -> the heads they start: most of their occurrences start none, and a
        # startswith per head tells so for a fraction of a regex attempt.
        whole = set(variants)
        by_first: dict[str, list[str]] = {}
        for first, h in zip(firsts, variants, strict=True):
            if first and first not in whole:
                by_first.setdefault(first, []).append(h)
        self._longer_heads_only: dict[str, tuple[str, ...]] = {
            w: tuple(hs) for w, hs in by_first.items() if len(hs) <= 4
        }
        self._surfaces: dict[str, tuple[str, str | None, str | None, bool, bool, bool]] = {}
        self._suffix = (
            re.compile(r"\s+(?:" + lexicon.trie_pattern(suffixes) + r")(?![\w'’-])")
            if suffixes
            else None
        )

    @classmethod
    def for_language(cls, language: str | None) -> CueLexicon | None:
        return _cached(language or "")

    def find(
        self,
        text: str,
        start: int = 0,
        end: int | None = None,
        pieces: list[str] | None = None,
        piece_starts: list[int] | None = None,
    ) -> list[Cue]:
        """The cues of ``text[start:end]``.  Given the lists ``pieces`` and ``piece_starts``,
        the scan also appends to them the whitespace-separated pieces of the span and their
        offsets (what ``tokenize`` reads again), unless the lexicon has no ``first_words``
        (then they stay empty)."""
        out: list[Cue] = []
        stop = len(text) if end is None else end
        surfaces = self._surfaces
        for m in self._matches(text, start, stop, pieces, piece_starts):
            surface = m.group()
            known = surfaces.get(surface)
            if known is None:
                known = self._classify(surface)
                if len(surfaces) < _MAX_SURFACES:
                    surfaces[surface] = known
            form, phrase_cls, cls, participle, bare, learned = known
            m_start, m_end = m.span()
            if phrase_cls is not None:
                out.append(Cue(m_start, m_end, m_start, m_end, form, phrase_cls))
                continue
            if cls is None:
                continue
            cue_start, aux, negated = self._verb_group_start(text, m_start)
            passive = participle and aux in _PASSIVE_AUX
            cue_end = m_end
            if self._suffix is not None:
                sm = self._suffix.match(text, cue_end)
                if sm:
                    cue_end = sm.end()
            if cue_end < stop and text[cue_end] == ":":
                cue_end += 1  # "He said: …" - the colon introduces the quote with the verb
            while out and out[-1].start >= cue_start:
                out.pop()  # "continued" of "continued to question": inside this cue's span
            out.append(
                Cue(cue_start, cue_end, m_start, m_end, form, cls, passive, negated, bare, learned)
            )
        return out

    def _matches(
        self,
        text: str,
        start: int,
        stop: int,
        pieces: list[str] | None = None,
        piece_starts: list[int] | None = None,
    ) -> list[re.Match[str]]:
        """``self.regex.finditer(text, start, stop)``, without running the regex at every
        position (its look-behind before a trie of ~1,200 head forms costs ~400 instructions a
        character): a head can only start where a word starts whose letters are the head's
        first word, and ``first_words`` tells those apart with one set lookup per word of the
        text.  The regex itself then decides at each of them, so the matches are the same."""
        first_words = self.first_words
        if first_words is None:
            return list(self.regex.finditer(text, start, stop))
        regex = self.regex
        out: list[re.Match[str]] = []
        taken = start  # a match may not start inside the previous one
        pos = start
        split = text[start:stop].split()
        if pieces is not None:
            pieces.extend(split)
        for piece in split:
            begin = piece_start(text, piece, pos)
            pos = begin + len(piece)
            if piece_starts is not None:
                piece_starts.append(begin)
            if piece.isalnum():
                # a whole word: its only word start is its first letter
                if (
                    self._may_start(piece, 0, len(piece))
                    and begin >= taken
                    and self._head_may_follow(piece, text, begin)
                ):
                    m = regex.match(text, begin, stop)
                    if m is not None:
                        out.append(m)
                        taken = m.end()
                continue
            n = len(piece)
            i = 0
            while i < n:
                if not word_char(piece, i):
                    i += 1
                    continue
                j = i + 1
                while j < n and word_char(piece, j):
                    j += 1
                # A word start: after whitespace, or after a character the regex's
                # look-behind allows ("(said", "AT&T"); the regex checks the look-behind.
                if (
                    (i == 0 or piece[i - 1] not in "'’-")
                    and begin + i >= taken
                    and self._may_start(piece, i, j)
                    and self._head_may_follow(piece[i:j], text, begin + i)
                ):
                    m = regex.match(text, begin + i, stop)
                    if m is not None:
                        out.append(m)
                        taken = m.end()
                i = j
        return out

    def _may_start(self, piece: str, i: int, j: int) -> bool:
        """Whether the word ``piece[i:j]`` is the first word of a head."""
        a, b = ord(piece[i]), ord(piece[j - 1])
        if a < 128 and b < 128 and not (self._first_lengths[128 * a + b] >> (j - i)) & 1:
            return False
        first_words = self.first_words
        return first_words is not None and piece[i:j] in first_words

    def _head_may_follow(self, word: str, text: str, at: int) -> bool:
        """Whether a head may start at ``at``, where the first word ``word`` of a head
        stands: when that word is no head itself, one of its heads must follow verbatim."""
        heads = self._longer_heads_only.get(word)
        return heads is None or text.startswith(heads, at)

    def _classify(self, surface: str) -> tuple[str, str | None, str | None, bool, bool, bool]:
        """What a matched cue word is: (form, phrase class, verb class, participle-like, bare,
        learned).

        Depends on the surface string only, and news text uses the same few dozen cue words
        over and over, so ``find`` remembers the answer per surface string."""
        form = _norm(surface.lower())
        participle = form.endswith("ed") or form in _IRREGULAR_PARTICIPLES
        return (
            form,
            self.phrase_class.get(form),
            self.verb_class.get(form),
            participle,
            form in self.bare_forms,
            form in self.learned_forms,
        )

    def _verb_group_start(self, text: str, verb_start: int) -> tuple[int, str, bool]:
        """Extend a cue left over adverbs, a negation and an auxiliary ("has not yet said").

        Returns the new start, the auxiliary (lower case, without n't) and whether negated.
        """
        # Fast path (most cues): the word before is not part of a verb group.
        j = verb_start - 1
        if j < 0 or not text[j].isspace():
            return verb_start, "", False
        k = j
        while k > 0 and not text[k - 1].isspace():
            k -= 1
        raw = text[k:j]
        if raw == "to" and (self._raising or self._raising_adjectives):
            return self._raising_start(text, k, verb_start)
        if not (
            raw.lower() in self._group_words
            or (raw.endswith("ly") and _ly_adverb(raw))
            or _contracted_aux(raw) >= 0
        ):
            return verb_start, "", False
        window_start = max(0, verb_start - 48)
        words = [
            (m.start() + window_start, m.end() + window_start, m.group().lower())
            for m in _WORD.finditer(text[window_start:verb_start])
        ]
        start = verb_start
        aux = ""
        negated = False
        adverbs = 0
        before_aux_adverb = -1  # the start before an adverb that needs an auxiliary
        stage = 0  # 0: adverbs allowed, 1: negation allowed, 2: auxiliary allowed, 3: done
        for w_start, w_end, word in reversed(words):
            if not text[w_end:start].isspace():
                break  # punctuation between: the verb group ends here
            if (
                stage == 0
                and adverbs < 2
                and (word in self._adv or _ly_adverb(text[w_start:w_end]))
            ):
                adverbs += 1
            elif stage == 0 and adverbs < 2 and word in self._aux_adv:
                adverbs += 1
                if before_aux_adverb < 0:
                    before_aux_adverb = start
            elif stage <= 1 and start == verb_start and word in self._phase:
                stage = 1  # "has not begun arguing": a negation, an auxiliary may come before
            elif stage <= 1 and word in self._neg:
                negated = True
                stage = 2
            elif stage <= 2 and word in self._aux:
                aux = word
                stage = 3
            elif stage <= 2 and _strip_nt(word) in self._aux and self._neg:
                aux = _strip_nt(word)
                negated = True
                stage = 3
            elif stage <= 2 and _contracted_aux(text[w_start:w_end]) >= 0:
                # "He’s saying", "they’re arguing": the contracted auxiliary belongs to the
                # cue, the pronoun before it is the speaker (as PolNeAR annotates)
                start = w_start + _contracted_aux(text[w_start:w_end])
                aux = "has" if text[start + 1 : w_end].lower() in ("s", "ve", "d") else "is"
                break
            else:
                break
            start = w_start
            if stage == 3:
                break
            if stage == 0 and adverbs == 2:
                stage = 1
        if before_aux_adverb >= 0 and not aux:
            return before_aux_adverb, "", False  # "They both said": "both" is the subject's
        return start, aux, negated

    def _raising_start(self, text: str, to: int, verb_start: int) -> tuple[int, str, bool]:
        """The start of "continued to", "went on to", "is likely to" before a verb at
        ``verb_start`` whose "to" starts at ``to`` (the verb itself when none is there).

        Plain loops over the one or two words before "to": a cue word follows "to" in most
        articles many times, and a regex search of the window costs ten times as much."""
        start, end = _word_before(text, to)
        word = text[start:end].lower()
        if word in self._raising_adjectives:
            group_start, aux, negated = self._verb_group_start(text, start)
            # "is likely to stress" takes its copula; "more likely to say" is no verb group
            return (group_start, aux, negated) if aux else (verb_start, "", False)
        if word in self._raising_second_words:
            first_start, first_end = _word_before(text, start)
            if text[first_start:first_end].lower() + " " + word in self._raising:
                return self._verb_group_start(text, first_start)  # "went on to say"
        if word not in self._raising:
            return verb_start, "", False
        return self._verb_group_start(text, start)


def _word_before(text: str, pos: int) -> tuple[int, int]:
    """The letters right before ``pos`` and the blanks after them (empty when none)."""
    end = pos
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    start = end
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return start, end


_WORD = re.compile(r"[\w'’]+")

_CONTRACTING_PRONOUNS = frozenset({"he", "she", "they", "we", "i", "you"})
_CONTRACTED = frozenset({"s", "re", "ve", "m", "d", "ll"})


def _contracted_aux(word: str) -> int:
    """Where the apostrophe of a pronoun's contracted auxiliary is ("he’s", "they're"), or -1."""
    k = max(word.rfind("'"), word.rfind("’"))
    if k <= 0:
        return -1
    if word[:k].lower() in _CONTRACTING_PRONOUNS and word[k + 1 :].lower() in _CONTRACTED:
        return k
    return -1


def _first_word(head: str) -> str:
    """The word characters a head starts with ("according" of "according to", "didn" of
    "didn't say")."""
    i = 0
    while i < len(head) and word_char(head, i):
        i += 1
    return head[:i]


#: Bound on remembered cue surfaces (line breaks inside phrases make new ones in junk text).
_MAX_SURFACES = 10_000


# -ly words that are not adverbs of the verb ("the family said", "a rally", "the daily").
_LY_NOT_ADVERBS = wordset(
    """family ally daily assembly supply rally weekly monthly quarterly yearly elderly belly
    jelly folly lily homily bully monopoly anomaly melancholy early likely friendly reply
    apply comply imply rely"""
)


def _ly_adverb(word: str) -> bool:
    """A lower-case -ly adverb ("eventually said", "sharply criticized"): part of the cue,
    as in PolNeAR's annotation."""
    return len(word) > 4 and word.endswith("ly") and word.islower() and word not in _LY_NOT_ADVERBS


def _strip_nt(word: str) -> str:
    for tail in ("n't", "n’t"):
        if word.endswith(tail):
            return word[: -len(tail)]
    return word


def _norm(phrase: str) -> str:
    return " ".join(phrase.replace("’", "'").split())


@cache
def _cached(language: str) -> CueLexicon | None:
    name = f"cues.{language}.yaml"
    if not language or not lexicon.available(name):
        return None
    return CueLexicon(lexicon.load(name))
