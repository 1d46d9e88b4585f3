"""Triggers: phrases about talks, ceasefires, peace plans … with a stance and CAMEO codes.

A trigger is a *head* from ``data/triggers.<lang>.yaml`` ("talks", "ceasefire", "end the
war"), optionally with a *governor* that says what is done with it ("open to", "rejected",
"violated") and a *negator* in front ("not ready for", "do not believe").  Stance comes from
the governor's act (or the head's own stance), flipped by negation; the CAMEO codes come from
the category and the act.  A yes/no question that the article reports is settled by the
answer that follows it ("asked … if there are any prerequisites for ending the conflict.
… reply: “No.”" → negative).

Everything is a regex scan over the text plus small windows around each head, so the cost is
linear in the text and independent of the number of lexicon entries' interactions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.extract import lexicon
from pipeline.extract.model import TRIGGER_CATEGORIES, Stance, Statement, Trigger
from pipeline.extract.regex_cache import Rewrites, compile_cached
from pipeline.extract.scope import Scope, conflict_sentences, names_business, out_of_scope
from pipeline.extract.text import bisect_right, lowered_for_matching
from pipeline.extract.trigger_model import Candidate, TriggerModel, features

_ACT_STANCE: dict[str, Stance] = {
    "intent": "positive",
    "appeal": "positive",
    "agree": "positive",
    "declare": "positive",
    "engage": "neutral",
    "mention": "neutral",
    "named": "neutral",
    "reject": "negative",
    "obstacle": "negative",
    "violate": "negative",
}
_NEGATIVE_ACTS = frozenset({"reject", "obstacle", "violate"})
#: Acts that only report or name an event: a judging act in the same window wins over them
#: ("agreed to hold talks" is an agreement to talk, not a report of talks held).
_NEUTRAL_ACTS = frozenset({"engage", "mention", "named"})
_GOVERNOR_WINDOW_CHARS = 90
_GOVERNOR_MAX_GAP_WORDS = 6
_NEGATOR_MAX_GAP_WORDS = 3
_OUTCOME_WINDOW_CHARS = 120
# What may stand between a head and its predicate: auxiliaries and adverbs, at most a few.
_PREDICATE_MAX_AUX = 3
_SPACES = re.compile(r"\s+")
_AUXILIARY = re.compile(
    r"(?:is|are|was|were|has|have|had|been|being|be|now|still|again|already|all\s+but"
    r"|appears?\s+to\s+(?:be|have)|seems?\s+to\s+(?:be|have)|[a-z]+ly)(?![\w-])",
    re.IGNORECASE,
)
# An apposition or participle set off by commas after a head ("the talks, aimed at ending the
# war, had been useful") is at most this long.
_INSERT_MAX_CHARS = 80
# … and follows the head or its short complement ("the disarmament of Hamas, the most
# contested point").
_INSERT_AFTER_MAX_WORDS = 3
_FEATURE_WINDOW_CHARS = 300
_BUSINESS_WINDOW_CHARS = 60
# A text this long names the conflict its talks are about; a shorter one (a headline, an
# alert, one quote) may leave it to the reader.
_NAMES_ITS_CONFLICT_CHARS = 600
# Words that end a premodifier run or a complement's first words ("trade and the talks").
_BUSINESS_STOP = (
    "the",
    "a",
    "an",
    "of",
    "on",
    "in",
    "with",
    "to",
    "for",
    "and",
    "or",
    "but",
    "that",
    "which",
    "by",
    "at",
    "from",
    "as",
    "after",
    "before",
    "during",
    "its",
    "their",
    "his",
    "her",
)
_COORDINATION_MAX_WORDS = 4
_COORDINATION_MAX_CHARS = 40
_COORDINATION_MAX_SPAN = 150
_OUTCOME_STANCES: tuple[Stance, ...] = ("negative", "positive")
# "any" in the head's noun phrase ("any deal", "any new arrangement", "any US-Iran deal").
_ANY_BEFORE = re.compile(r"(?i)\bany\s+(?:(?!of\b)[\w-]+\s+){0,2}$")
_ANY_WINDOW_CHARS = 40
_DEAL_MUST = re.compile(
    r"(?i)\b(?:deal|agreement|accord|settlement|truce|ceasefire|arrangement)s?\s+"
    r"(?:must|should|(?:has|have|would\s+have|will\s+have|would\s+need|needs?)\s+to)\s+"
    r"(?:also\s+)?(?:include\s+|bring\s+|guarantee\s+|ensure\s+)?(?:the\s+|an?\s+)?$"
)
# A negator right after these is a counterfactual that states the opposite ("there would have
# been no ceasefire" without someone: there is one).
_COUNTERFACTUAL = re.compile(r"(?i)\bwould\s+have\s+been\s+$")
# "Without" names what something needs ("Without guarantees, any pause would only …", "a
# freeze without a monitoring force"): the event is called for, not denied, unless talks
# ended without it ("broke up without a deal"), which its outcome word then judges.
_WITHOUT = re.compile(r"(?i)without\b")
_ENDED_WITHOUT = re.compile(
    r"(?i)\b(?:end(?:s|ed)?|broke\s+up|br(?:eak|oke)\s+off|came\s+away|left|emerged|"
    r"conclude[ds]?|closed|wrapped\s+up|finished|adjourned)\s+$"
)
# Categories whose neighbouring mentions are items of a list, not synonyms of one event:
# each term of a plan, each group of captives, each guarantee is its own trigger ("the
# renunciation of NATO membership and the withdrawal of troops" are two terms), as the
# annotation guidelines count them.
_LISTED = ("peace_plan", "prisoner_exchange", "security_guarantees")
_WORDS = re.compile(r"[\w’'-]+")
#: ``[^\w-]``, the character before a head, as the regex engine tests it faster: a bitmap of
#: the ASCII characters, and the Unicode word test (a few table lookups per character) only for
#: the rest.  The scan tests each character of the text against it (~8 % of the head scan).
_NOT_WORD_CHAR = r"[^0-9A-Za-z_-](?<=[\x00-\x7f\W])"
#: ``_NOT_WORD_CHAR`` without its look-behind, for the head scan, which tells the letters
#: outside ASCII apart itself (``_scan_heads``).
_SEPARATOR = r"[^0-9A-Za-z_-]"
# = ``[.!?…][\"”’»)]*\s|\n``, written to start with one character class: the regex engine
# then skips to the candidates instead of trying each position.  The dot of an initialism
# ("U.S. demands") ends no sentence.
_SENTENCE_BREAK = re.compile(r"[.!?…\n](?<!\b\w\.)(?:(?<=\n)|[\"”’»)]*\s)")


# Plain classes rather than dataclasses: the dataclass machinery compiles each generated method
# (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``)
# separately at import, ~1 M instructions each, in every process; these are never compared,
# hashed or printed.  Not to be assigned to after construction.
class _Head:
    def __init__(
        self,
        category: str,
        stance: Stance,
        weak: bool,
        codes_key: str,
        context: bool = False,
        verb: bool = False,
        also: str | None = None,
    ) -> None:
        self.category = category
        self.stance: Stance = stance
        self.weak = weak
        self.codes_key = codes_key
        # Counts only in an article that names the event with a strong head of the same
        # category somewhere ("the meeting", "the terms" in a story about talks).
        self.context = context
        # A predicate itself ("agreed on", "settle the conflict"): it may also govern the
        # next head ("agreed on a ceasefire" is an agreement and a ceasefire agreed on).
        self.verb = verb
        # A second category the same phrase names ("a just peace": the plan and the war's
        # end).
        self.also = also
        self.kind = "weak" if weak else ("context" if context else "strong")
        # The same words in a text about something else are another category's ("monitoring"
        # in a story about uranium enrichment is a term of the nuclear deal, not a guarantee):
        # the head to use instead, and what the text must contain for it.
        self.twin: _Head | None = None
        self.twin_when: re.Pattern[str] | None = None


class _Governor:
    def __init__(self, act: str, max_gap: int = _GOVERNOR_MAX_GAP_WORDS) -> None:
        self.act = act
        self.max_gap = max_gap


def _strong_per_category(heads: list[tuple[int, int, _Head]]) -> dict[str, int]:
    """How many strong heads each category has among ``heads``."""
    strong: dict[str, int] = {}
    for _start, _end, head in heads:
        if head.kind == "strong":
            strong[head.category] = strong.get(head.category, 0) + 1
    return strong


class TriggerFinder:
    """The compiled trigger lexicon of one language."""

    def __init__(self, data: dict[str, Any], model: TriggerModel | None = None) -> None:
        self.language = str(data.get("language", ""))
        # Keeps or drops each candidate and decides its stance (trigger_model.py).
        self.model = model
        # What ``_trigger`` found out about the last head it judged.
        self._act: str | None = None
        self._negated = False
        self._judging_governor = False
        self._outcome_found: str | None = None
        self._collect: list[tuple[Trigger, Candidate, list[str], list[str]]] | None = None
        self._heads: list[_Head] = []
        # Whether a text's talks can concern an armed conflict at all (scope.py).
        self.scope = Scope.from_lexicon(
            data.get("scope"),
            lambda words: compile_cached(_source(words, 0, after=_NOT_WORD_CHAR)),
        )
        head_patterns: list[str] = []
        for category, entries in (data.get("heads") or {}).items():
            if category not in TRIGGER_CATEGORIES:
                raise ValueError(f"unknown trigger category {category!r} in {self.language}")
            for entry in entries:
                stance = entry.get("stance", "neutral")
                if stance not in _STANCES:
                    raise ValueError(f"bad stance {stance!r}")
                self._heads.append(
                    _Head(
                        category,
                        stance,
                        bool(entry.get("weak", False)),
                        str(entry.get("codes_act", category)),
                        bool(entry.get("context", False)),
                        bool(entry.get("verb", False)),
                        _category(entry.get("also"), self.language),
                    )
                )
                switch = entry.get("in_texts_with")
                if switch:
                    head = self._heads[-1]
                    head.twin = _Head(
                        _category(switch["category"], self.language) or category,
                        head.stance,
                        head.weak,
                        head.codes_key,
                        head.context,
                        head.verb,
                        head.also,
                    )
                    head.twin_when = compile_cached(_lower_pattern(str(switch["pattern"])))
                head_patterns.append(_tagged(entry["pattern"], f"h{len(head_patterns)}"))
        # The heads lower-cased, matched case-sensitively on the lower-cased text: the engine
        # can then skip positions by first character, which IGNORECASE prevents (3-4x).  The
        # case-insensitive forms are only for the rare text that lower() would misalign, and
        # are compiled when one comes (re's compiler is Python: half the start-up cost).
        self._head_scan = compile_cached(
            _source([_lower_pattern(p) for p in head_patterns], 0, after=_SEPARATOR)
        )
        self._head_re = _Lazy(head_patterns, re.IGNORECASE)
        self._head_tags = _tag_index(self._head_scan)
        self._left: list[_Governor] = []
        self._right: list[_Governor] = []
        left_patterns: list[str] = []
        right_patterns: list[str] = []
        for entry in data.get("governors") or []:
            act = str(entry["act"])
            if act not in _ACT_STANCE:
                raise ValueError(f"unknown governor act {act!r}")
            if entry.get("side", "left") == "right":
                right_patterns.append(f"(?P<g{len(right_patterns)}>{entry['pattern']})")
                self._right.append(_Governor(act))
            else:
                left_patterns.append(_tagged(entry["pattern"], f"g{len(left_patterns)}"))
                self._left.append(
                    _Governor(act, int(entry.get("max_gap", _GOVERNOR_MAX_GAP_WORDS)))
                )
        self._left_re_lower = _compile([_lower_pattern(p) for p in left_patterns], flags=0)
        self._left_re = _Lazy(left_patterns, re.IGNORECASE)
        self._left_tags = _tag_index(self._left_re_lower)
        right_pattern = r"\s*(?:" + "|".join(right_patterns) + r")(?![\w-])"
        self._right_re_lower = (
            compile_cached(_lower_pattern(right_pattern)) if right_patterns else None
        )
        self._right_re = _Lazy(right_pattern, re.IGNORECASE) if right_patterns else None
        # Clause breaks: punctuation, and the language's contrast words ("but", "но", "aber").
        contrast = [str(c) for c in data.get("contrast") or []]
        contrast_pattern = "|".join(contrast).replace(" ", r"\s+")
        # The dot of an initialism ("U.S. demands", "the E.U.") does not end a clause.  Every
        # break starts with one of a few characters, consumed first and its kind told after:
        # a pattern that opens with a character set lets the regex engine skip the other
        # positions without trying each alternative at every space and letter.
        clause_pattern = (
            r"[,;:!?()\n.\s](?:(?<=[,;:!?()\n])|(?<=\.)(?<!\b\w\.)"
            + (rf"|(?<=\s)(?:{contrast_pattern})(?![\w-])" if contrast else "")
            + ")"
        )
        self._clause_re = re.compile(clause_pattern, re.IGNORECASE)
        self._clause_re_lower = re.compile(_lower_pattern(clause_pattern))
        inner = [str(n) for n in data.get("inner_negators") or []]
        self._inner_not_re = (
            re.compile(r"(?<![\w'’-])(?:" + "|".join(inner) + r")(?![\w-])", re.IGNORECASE)
            if inner
            else None
        )
        # Outcome words: how the event went or stands, anywhere in the head's clause
        # ("the talks were constructive", "no breakthrough in the negotiations").
        outcomes = data.get("outcomes") or {}
        outcome_patterns = [
            f"(?P<o{i}>{'|'.join(str(w) for w in outcomes.get(stance) or [])})"
            for i, stance in enumerate(_OUTCOME_STANCES)
            if outcomes.get(stance)
        ]
        self._outcome_stances: dict[str, Stance] = {
            f"o{i}": stance for i, stance in enumerate(_OUTCOME_STANCES) if outcomes.get(stance)
        }
        outcome_pattern = (
            r"(?<![\w-])(?:" + "|".join(outcome_patterns).replace(" ", r"\s+") + r")(?![\w-])"
        )
        # In lower-cased text: the words as a letter trie, each ending with a group named
        # after its stance (``_tagged``), like the heads (a third of the cost of trying every
        # word at every word start).
        outcome_tagged = [
            _tagged("|".join(str(w) for w in outcomes.get(stance) or []), f"o{i}")
            for i, stance in enumerate(_OUTCOME_STANCES)
            if outcomes.get(stance)
        ]
        self._outcome_re_lower = (
            _compile([_lower_pattern(p) for p in outcome_tagged], flags=0)
            if outcome_patterns
            else None
        )
        if self._outcome_re_lower is not None:
            self._outcome_stances.update(
                (name, _OUTCOME_STANCES[i])
                for name, i in _tag_index(self._outcome_re_lower).items()
            )
        self._outcome_re = _Lazy(outcome_pattern, re.IGNORECASE) if outcome_patterns else None
        # What, after a comma, still speaks of the head before it (", with both sides calling
        # it positive", ", which both sides called constructive").
        continuations = [str(c) for c in data.get("continuations") or []]
        self._continuation_re = (
            re.compile(
                r"\s*(?:" + "|".join(continuations).replace(" ", r"\s+") + r")(?![\w-])",
                re.IGNORECASE,
            )
            if continuations
            else None
        )
        negators = [str(n) for n in data.get("negators") or []]
        words = [n for n in negators if n[:1] not in "n’'" or (n[:1].isalpha() and "'" not in n)]
        clitics = [n for n in negators if n not in words]  # "n't" attaches to its verb
        neg_pattern = (
            r"(?<![\w-])(?:"
            + "|".join(words).replace(" ", r"\s+")
            + r")(?![\w-])"
            + ("|(?:" + "|".join(clitics) + r")(?![\w-])" if clitics else "")
        )
        self._neg_re = _Lazy(neg_pattern, re.IGNORECASE) if negators else None
        self._neg_re_lower = re.compile(_lower_pattern(neg_pattern)) if negators else None
        self._codes: dict[str, dict[str, list[str]]] = data.get("codes") or {}
        # Talks or a deal whose noun phrase names other business ("free trade talks", "talks
        # on gas prices"): not about the conflict, even in an article that is.
        business = data.get("other_business") or {}
        self._business_heads = frozenset(str(h) for h in business.get("heads") or [])
        self._business_categories = frozenset(
            str(c) for c in business.get("categories") or ["negotiations", "agreement"]
        )
        self._business_before: re.Pattern[str] | None = None
        self._business_after: re.Pattern[str] | None = None
        self._business_guard: re.Pattern[str] | None = None
        self._business_object: re.Pattern[str] | None = None
        self._business_verbs = frozenset(str(h) for h in business.get("verbs") or [])
        if self._business_heads and business.get("words"):
            named = "|".join(str(w) for w in business["words"])
            targets = business.get("targets")
            if targets:
                named = rf"(?:{named})(?![\s-]+(?:{targets})(?![\w-]))"
            stop = "|".join(_BUSINESS_STOP)
            # The business word, then at most two more words of the same noun phrase (no
            # determiner, preposition or conjunction between), then the head.
            self._business_before = re.compile(
                rf"(?<![\w-])(?:{named})(?:[\s-]+(?!(?:{stop})(?![\w-]))[\w’'-]+){{0,2}}\s+$"
            )
            # The complement's first one or two words (no verb in -ing: "on reopening border
            # trade routes" is about the border).
            self._business_after = re.compile(
                rf"\s+(?:{business.get('after') or 'on'})\s+"
                r"(?:(?:the|a|an|its|their|this|these)\s+)?"
                rf"(?:(?![\w-]+ing\s)(?!(?:{stop})\s)[\w’'-]+\s+){{0,2}}?(?:{named})(?![\w-])"
            )
            # A discussion verb's object: a few words of one clause (no punctuation), the
            # first of them no verb in -ing ("discussed trade and economic cooperation").
            self._business_object = re.compile(
                r"\s+(?:(?:the|a|an|its|their|this|these|in\s+detail|issues\s+of)\s+)?"
                rf"(?:(?![\w-]+ing\s)[\w’'-]+\s+){{0,4}}?(?:{named})(?![\w-])"
            )
            guard = business.get("guard")
            self._business_guard = re.compile(rf"(?<![\w-])(?:{guard})(?![\w-])") if guard else None
        # Per-call scratch state of ``find`` (a finder is used by one thread at a time).
        self._starts: list[int] = [0]
        # ``_scope_features`` of the sentences of the text being read, by their bounds:
        # candidates of one sentence share them.
        self._scope_seen: dict[tuple[int, int], list[str]] = {}
        self._lowered: str | None = None
        answers = data.get("answers") or {}
        self._answers: dict[str, Stance] = {}
        for a in answers.get("negative") or []:
            self._answers[str(a).lower()] = "negative"
        for a in answers.get("positive") or []:
            self._answers[str(a).lower()] = "positive"
        qcues = [str(q) for q in data.get("question_cues") or []]
        qwords = [str(q) for q in data.get("question_words") or []]
        question_pattern = (
            r"(?<![\w-])(?:"
            + "|".join(qcues)
            + r")(?![\w-]).{0,120}?(?<![\w-])(?:"
            + "|".join(qwords)
            + r")(?![\w-])"
        )
        self._question_re = (
            _Lazy(question_pattern, re.IGNORECASE | re.DOTALL) if qcues and qwords else None
        )
        self._question_re_lower = (
            re.compile(_lower_pattern(question_pattern), re.DOTALL) if qcues and qwords else None
        )
        # A literal that every match of the question regex contains (lower case), per cue;
        # None when some cue has none (then the regex alone decides).
        prefixes = [_literal_prefix(q).lower() for q in qcues]
        self._question_cue_prefixes: tuple[str, ...] | None = (
            tuple(prefixes) if prefixes and all(prefixes) else None
        )

    @classmethod
    def for_language(cls, language: str | None) -> TriggerFinder | None:
        return _cached(language or "")

    # -- scanning ------------------------------------------------------------------------

    def candidates(self, text: str) -> list[tuple[Trigger, Candidate, list[str], list[str]]]:
        """Every candidate of ``text`` as the rules judge it, with the features of the keep
        and of the stance decision (what ``parley train triggers`` learns from)."""
        model, self.model = self.model, None
        self._collect = []
        try:
            self.find(text)
            return self._collect
        finally:
            self.model, self._collect = model, None

    def find(self, text: str, statements: list[Statement] | None = None) -> list[Trigger]:
        out: list[Trigger] = []
        # None for the few texts to match case-insensitively (``text.lowered_for_matching``)
        self._lowered = lowered_for_matching(text)
        heads = [(start, end, self._heads[idx]) for start, end, idx in self._scan_heads(text)]
        if any(h.twin is not None for _s, _e, h in heads):
            heads = self._twinned(text, heads)
        strong = _strong_per_category(heads)
        n_strong = sum(strong.values())
        if n_strong == 0:
            # A text without a single strong head is not about the peace process: its
            # meetings and efforts are not talks (none is a trigger in the annotated texts).
            return out
        self._starts = starts = [0] + [m.end() for m in _SENTENCE_BREAK.finditer(text)]
        self._scope_seen = {}
        scope = self.scope
        if scope is not None:
            lowered = self._lowered or text.lower()
            if out_of_scope(lowered, scope) or (
                self._collect is None
                and len(text) >= _NAMES_ITS_CONFLICT_CHARS
                and scope.conflict.search(" " + lowered) is None
            ):
                # Wage talks, a tariff truce: only the sentences that show an armed conflict
                # by themselves keep their heads ("an economy story with one paragraph on a
                # war's talks").  So too in an article that names no armed conflict, ceasefire,
                # settlement or format of one anywhere (a routine visit, an institution's
                # business): there only a sentence naming a party of a war without business
                # ("open to talks with Kyiv on the grain corridor") can hold a trigger
                # (docs/trigger-annotation.md, section 1).  Their candidates still teach the
                # keep model (``candidates``).
                shown = conflict_sentences(lowered, starts, scope)
                heads = [h for h in heads if bisect_right(starts, h[0]) - 1 in shown]
                strong = _strong_per_category(heads)
                n_strong = sum(strong.values())
                if n_strong == 0:
                    return out
        model = self.model
        # Candidates the rules would not report are only worth judging with a model.
        judge = model is not None or self._collect is not None
        strong_sentences: dict[int, int] = {}
        if judge:
            for start, _end, head in heads:
                if head.kind == "strong":
                    k = bisect_right(starts, start) - 1
                    strong_sentences[k] = strong_sentences.get(k, 0) + 1
        strong_seen: dict[str, int] = {}
        last_guessed = False
        last_end = -1
        prev_head_end = 0
        for start, end, head in heads:
            if start < last_end:
                continue
            # A context head counts in a story about its event, or when something is done
            # with it in a story about the peace process ("rejected the demands").
            trusted = head.kind == "strong" or head.kind == "weak" or head.category in strong
            trig = self._trigger(text, start, end, head, prev_head_end)
            prev_head_end = start if head.verb else end
            if trig is None:
                continue
            if (
                head.category in self._business_categories
                and (head.kind == "strong" or self._business_verbs)
                and self._names_other_business(text, start, end, strong=head.kind == "strong")
            ):
                if out and out[-1].end <= start and not text[out[-1].end : start].strip():
                    # What was said of it ("progress on", "agreed to") goes with it.
                    out.pop()
                continue
            rule_keep = trusted or self._judging_governor
            if text[start : start + 1].isupper() and _in_institution_name(text, start, end):
                continue  # "the Centre for Strategic Dialogue" names no talks
            if not rule_keep and not judge:
                continue
            if head.weak:
                if trig.codes == () and trig.stance == "neutral":
                    continue  # a bare "the plan" is not about the peace process
                seen = strong_seen.get(head.category)
                if seen is None or start - seen > 3000:
                    continue
            elif head.kind == "strong":
                strong_seen[head.category] = start
            guessed = False
            if judge:
                mine = 1 if head.kind == "strong" else 0
                k = bisect_right(starts, start) - 1
                cand = Candidate(
                    trig.start,
                    trig.end,
                    start,
                    end,
                    trig.category,
                    head.kind,
                    rule_keep,
                    trig.stance,
                    self._act,
                    self._negated,
                    self._outcome_found,
                    strong.get(head.category, 0) - mine,
                    n_strong - mine,
                    strong_sentences.get(k, 0) - mine,
                )
                decided = self._judged(text, trig, cand, k)
                if decided is None:
                    continue
                trig = decided
                guessed = (
                    model is not None
                    and cand.undecided
                    and cand.category in model.stance_categories
                )
            last_end = trig.end
            # Judged the other way by its own head or predicate, it is another event ("signed
            # up to the truce and broke it"), not the same one named twice.
            own = not guessed and self._outcome_found is None
            opposed = own and bool(out) and "neutral" != out[-1].stance != trig.stance != "neutral"
            if out and not opposed and self._coordinated(text, out[-1], trig):
                out[-1] = _merged(text, out[-1], trig, guesses=guessed and last_guessed)
                continue
            out.append(trig)
            last_guessed = guessed
            if head.also is not None:
                out.append(
                    Trigger(head.also, trig.stance, trig.text, trig.start, trig.end, trig.codes)
                )
        return out

    def _twinned(
        self, text: str, heads: list[tuple[int, int, _Head]]
    ) -> list[tuple[int, int, _Head]]:
        """``heads`` with each head that has a twin replaced by it where the text contains
        the twin's words (each pattern searched once per text)."""
        lowered = self._lowered or text.lower()
        found: dict[str, bool] = {}
        out: list[tuple[int, int, _Head]] = []
        for start, end, head in heads:
            twin, when = head.twin, head.twin_when
            if twin is not None and when is not None:
                hit = found.get(when.pattern)
                if hit is None:
                    hit = found[when.pattern] = when.search(lowered) is not None
                if hit:
                    head = twin
            out.append((start, end, head))
        return out

    def _scan_heads(self, text: str) -> Iterator[tuple[int, int, int]]:
        """(start, end, entry) of each head in ``text``, leftmost first, not overlapping:
        what the alternation of all heads as whole words finds."""
        lowered = self._lowered
        if lowered is None:
            for m in self._head_re.get().finditer(text):
                if m.lastgroup:
                    yield m.start(), m.end(), self._head_tags[m.lastgroup]
            return
        # The scan matches the character before each head (the text gets a leading space):
        # a pattern that starts with a character class lets the regex engine skip from one
        # separator to the next instead of trying every position (~20 % less scanning).
        # That class also lets through the letters outside ASCII, which are word characters
        # like any other: a match after one is no head, and the scan goes on from the next
        # character, as the look-behind ``_NOT_WORD_CHAR`` would have had it (checking
        # the rare match here costs less than the look-behind at every separator: 8 % of
        # the scan).
        spaced = " " + lowered
        scan = self._head_scan
        pos = 0
        while pos >= 0:
            resume = -1
            for m in scan.finditer(spaced, pos):
                start = m.start()
                before = spaced[start]
                if ord(before) > 127 and before.isalnum():
                    resume = start + 1
                    break
                if m.lastgroup:
                    yield start, m.end() - 1, self._head_tags[m.lastgroup]
            pos = resume

    def _judged(self, text: str, trig: Trigger, cand: Candidate, sentence: int) -> Trigger | None:
        """``trig`` as the model decides it: dropped (None), or with the model's stance."""
        model = self.model
        collect = self._collect is not None
        if collect:
            judge_keep = judge_stance = True
        elif model is None:
            return trig
        else:
            judge_keep = cand.judged_by_model
            judge_stance = cand.undecided and cand.category in model.stance_categories
            if not judge_keep and not judge_stance:
                return trig if cand.rule_keep else None
        # The sentence, but never more than a few hundred characters of it (texts without
        # sentence breaks would make this quadratic).
        sent_start = max(self._starts[sentence], trig.start - _FEATURE_WINDOW_CHARS)
        hi = min(len(text), trig.end + _FEATURE_WINDOW_CHARS)
        sent_end_m = _SENTENCE_BREAK.search(text, trig.end, hi)
        sent_end = sent_end_m.start() if sent_end_m is not None else hi
        clause = (
            self._clause(text, sent_start, trig.start, trig.end, sent_end) if judge_stance else None
        )
        keep_feats, stance_feats = features(
            text,
            sent_start,
            sent_end,
            cand,
            keep=judge_keep,
            stance=judge_stance,
            clause=clause,
            lowered=self._lowered,
        )
        if judge_keep and self.scope is not None:
            keep_feats += self._scope_features(text, sent_start, sent_end)
        if self._collect is not None:
            self._collect.append((trig, cand, keep_feats, stance_feats))
            return trig if cand.rule_keep else None
        if model is None:
            return trig
        if judge_keep:
            if not model.keeps(keep_feats):
                return None
        elif not cand.rule_keep:
            return None
        if not judge_stance:
            return trig
        stance = model.stance_of(stance_feats)
        if stance == trig.stance:
            return trig
        # The codes name the act the rules found, which no longer holds.
        return Trigger(trig.category, stance, trig.text, trig.start, trig.end, ())

    def _names_other_business(
        self, text: str, start: int, end: int, *, strong: bool = True
    ) -> bool:
        """Whether the head at ``[start, end)`` is talks or a deal whose own noun phrase names
        trade, energy, visas or other business ("free trade talks", "negotiations to continue
        the gas transit"), in a sentence that neither shows an armed conflict by itself nor
        names strikes or a truce: a contact or deal on other business is no trigger, also in
        an article about the conflict (docs/trigger-annotation.md, section 1).  Reads a few
        dozen characters around the head, and its sentence only when they name business."""
        before = self._business_before
        after = self._business_after
        if before is None or after is None:
            return False
        lowered = self._lowered
        head = lowered[start:end] if lowered is not None else text[start:end].lower()
        last = head[head.rfind(" ") + 1 :]
        hi = min(len(text), end + _BUSINESS_WINDOW_CHARS)
        right = lowered[end:hi] if lowered is not None else text[end:hi].lower()
        if last in self._business_verbs:
            # "the presidents discussed trade and economic cooperation": what was discussed
            # is other business, whatever the head's kind.
            obj = self._business_object
            if obj is None or obj.match(right) is None:
                return False
        elif not strong or last not in self._business_heads:
            return False
        else:
            lo = max(0, start - _BUSINESS_WINDOW_CHARS)
            left = lowered[lo:start] if lowered is not None else text[lo:start].lower()
            if before.search(left) is None and after.match(right) is None:
                return False
        starts = self._starts
        k = bisect_right(starts, start) - 1
        s_lo = max(starts[k], start - _FEATURE_WINDOW_CHARS)
        s_hi = min(starts[k + 1] if k + 1 < len(starts) else len(text), end + _FEATURE_WINDOW_CHARS)
        sentence = lowered[s_lo:s_hi] if lowered is not None else text[s_lo:s_hi].lower()
        scope = self.scope
        if scope is not None and scope.evidence.search(" " + sentence) is not None:
            return False
        guard = self._business_guard
        return guard is None or guard.search(sentence) is None

    def _scope_features(self, text: str, sent_start: int, sent_end: int) -> list[str]:
        """Whether the candidate's sentence shows an armed conflict by itself, or else names
        trade or other business: a meeting or a discussion is a trigger when it deals with
        the conflict, and not in a passage only about other business
        (docs/trigger-annotation.md, section 1).  Only the sentence is read (a few hundred
        characters at most), once per sentence with a candidate the keep model judges."""
        scope = self.scope
        if scope is None:
            return []
        seen = self._scope_seen.get((sent_start, sent_end))
        if seen is not None:
            return seen
        lowered = self._lowered
        sentence = (
            lowered[sent_start:sent_end]
            if lowered is not None
            else text[sent_start:sent_end].lower()
        )
        out: list[str] = []
        if scope.evidence.search(" " + sentence) is not None:
            out.append("conflict_sentence")
        elif names_business(sentence, scope):
            # Only about the other business: trade, gas, a budget, and no conflict word.
            out.append("business_sentence")
        self._scope_seen[(sent_start, sent_end)] = out
        return out

    def _clause_searcher(self, text: str) -> tuple[re.Pattern[str], str]:
        """The clause-break regex and the string to search with it, at ``text``'s positions."""
        if self._lowered is not None:
            # Case-sensitive on the lower-cased text: cheaper than IGNORECASE.
            return self._clause_re_lower, self._lowered
        return self._clause_re, text

    def _clause(self, text: str, lo: int, start: int, end: int, hi: int) -> tuple[int, int]:
        """The clause of ``text[start:end]`` within ``[lo, hi)``: from the last clause break
        before it to the first after it."""
        clause_re, subject = self._clause_searcher(text)
        clause_lo = lo
        for b in clause_re.finditer(subject, lo, start):
            clause_lo = b.end()
        right = clause_re.search(subject, end, hi)
        return clause_lo, right.start() if right is not None else hi

    def _coordinated(self, text: str, prev: Trigger, trig: Trigger) -> bool:
        """Whether ``trig`` continues ``prev``'s phrase: the same category a few words on in
        the same clause ("talks and consultations", "the round of Geneva negotiations in the
        2 + 3 format"), which a reader counts once."""
        if trig.category in _LISTED or prev.category != trig.category or trig.start < prev.end:
            return False
        gap = text[prev.end : trig.start]
        return (
            len(gap) <= _COORDINATION_MAX_CHARS
            and trig.end - prev.start <= _COORDINATION_MAX_SPAN
            and not self._clause_re.search(gap)
            and len(_WORDS.findall(gap)) <= _COORDINATION_MAX_WORDS
        )

    def _trigger(self, text: str, start: int, end: int, head: _Head, floor: int) -> Trigger | None:
        sent_start = self._starts[bisect_right(self._starts, start) - 1]
        # A governor belongs to the nearest head: never look back past the previous one.
        gov_act, gov_start, gov_end = self._governor(text, max(sent_start, floor), start, end)
        if head.weak and gov_act is None:
            return None
        anchor = gov_start if gov_act is not None and gov_start < start else start
        neg_start = self._negation(text, sent_start, anchor)
        head_text = text[start:end]
        # A negative head carries its own negation ("are not negotiable"): not flipped by it.
        negated = neg_start is not None or (
            head.stance != "negative"
            and self._inner_not_re is not None
            and self._inner_not_re.search(head_text) is not None
        )
        counterfactual = (
            neg_start is not None
            and _COUNTERFACTUAL.search(text, max(sent_start, neg_start - 24), neg_start) is not None
        )
        if counterfactual:
            # "without you there would have been no ceasefire": the real state is that there is.
            neg_start, negated = None, False
        needed = (
            negated
            and neg_start is not None
            and gov_act is None
            and head.stance == "neutral"
            and _WITHOUT.match(text, neg_start) is not None
            and _ENDED_WITHOUT.search(text, max(sent_start, neg_start - 24), neg_start) is None
        )
        if needed:
            negated = False
        act = gov_act
        if (
            act is None
            and not negated
            and head.stance == "neutral"
            and _DEAL_MUST.search(text, max(sent_start, start - _ANY_WINDOW_CHARS - 20), start)
            is not None
        ):
            # What a deal must include is demanded ("any deal must also curb the missile
            # programme"): a term called for, like "insists on".
            act = "appeal"
        # A predicate that only reports or names the event leaves a head that is an
        # outcome by nature as it is ("carried out a swap of 90 prisoners": positive).
        stance: Stance = (
            _ACT_STANCE[act] if act and act not in ("engage", "mention") else head.stance
        )
        if head.stance == "negative" and stance == "positive":
            # Wanting, planning or agreeing to a failure is one ("plans to walk away").
            stance = "negative"
        if counterfactual and stance == "neutral":
            stance = "positive"
        self._outcome_found = None
        if needed:
            # Decided as an outcome word would decide it.
            stance = self._outcome_found = "positive"
        elif negated:
            stance, act = _negate(stance, act)
        elif (act is None or act in ("engage", "mention")) and head.stance == "neutral":
            # No judgement from a predicate: how the event went, said in its clause.  A head
            # that is an outcome itself ("returns 12 soldiers", "an end to the war") is not
            # judged by the outcome words of another event in it ("… frays as Thailand …").
            outcome = self._outcome(text, sent_start, start, end)
            if outcome is not None:
                stance = outcome
                self._outcome_found = outcome
        elif (
            (act is None or act in ("engage", "mention"))
            and head.stance == "positive"
            and not head.verb
            # A head positive by nature ("the prisoner exchange") can still be said to have
            # gone badly ("… has been on hold since October"), but only as its own
            # predicate: outcome words elsewhere in the clause are about other things
            # ("settle their differences", "released two men convicted of violations").
            and self._said_to_fail(text, end)
        ):
            stance = self._outcome_found = "negative"
        if stance != "negative" and not negated and self._any_before(text, start):
            # "any deal must include …", "insisted that any ceasefire be monitored": a
            # hypothetical event named as the frame of a condition, not one called for.
            stance, act = "neutral", "named"
        if act is None or act == "mention" or act == "named":
            # A reported question ("asked whether …") is settled by its answer.
            answer = self._answer(text, sent_start, end)
            if answer is not None:
                stance = answer
            elif (
                act is None
                and stance == "neutral"
                and not negated
                and self._wh_question(text, sent_start, start)
            ):
                # An open question about its when, where or who ("it is unclear who will
                # lead the delegation at the talks"): asked about, not judged.
                act = "named"
        t_start = min(
            start, gov_start if gov_act else start, start if neg_start is None else neg_start
        )
        t_end = max(end, gov_end if gov_act else end)
        codes = tuple(self._codes.get(head.codes_key, {}).get(act or "", ()))
        if head.codes_key != head.category and not codes:
            codes = tuple(self._codes.get(head.category, {}).get(act or "", ()))
        self._act = f"not-{gov_act or '-'}" if negated else act
        self._negated = negated
        self._judging_governor = (
            gov_act is not None and gov_act not in _NEUTRAL_ACTS
        ) or self._outcome_found is not None
        return Trigger(head.category, stance, text[t_start:t_end], t_start, t_end, codes)

    def _said_to_fail(self, text: str, end: int) -> bool:
        """Whether a negative outcome word is the predicate of the head ending at ``end``:
        right after it, or after a few auxiliaries and adverbs ("the swap is in limbo", "the
        exchange has effectively stalled")."""
        outcome_re = self._outcome_re
        if outcome_re is None:
            return False
        lowered = self._lowered
        subject = lowered if lowered is not None else text
        scan = (
            self._outcome_re_lower
            if lowered is not None and self._outcome_re_lower is not None
            else outcome_re.get()
        )
        pos = end
        for _ in range(_PREDICATE_MAX_AUX + 1):
            space = _SPACES.match(subject, pos)
            if space is None:
                return False
            pos = space.end()
            o = scan.match(subject, pos)
            if o is not None and o.lastgroup is not None:
                return self._outcome_stances[o.lastgroup] == "negative"
            aux = _AUXILIARY.match(subject, pos)
            if aux is None:
                return False
            pos = aux.end()
        return False

    def _outcome(self, text: str, lo: int, start: int, end: int) -> Stance | None:
        """The stance of the outcome words in the head's clause, nearest to the head; a
        negator just before an outcome word flips it ("were not productive").  Other heads in
        the clause do not stop the search: the outcome of "efforts to end the war have
        stalled" is said of the efforts and of ending the war alike."""
        if self._outcome_re is None:
            return None
        hi = min(len(text), end + _OUTCOME_WINDOW_CHARS)
        clause_lo, clause_hi = self._clause(
            text, max(lo, start - _OUTCOME_WINDOW_CHARS), start, end, hi
        )
        if clause_hi < hi and text[clause_hi] == ",":
            # a break was found there (a break starts before ``hi``)
            clause_hi = self._continued(text, end, clause_hi, clause_hi)
        if clause_hi <= clause_lo:
            return None
        lowered = self._lowered
        scan = (
            self._outcome_re_lower.finditer(lowered, clause_lo, clause_hi)
            if lowered is not None and self._outcome_re_lower is not None
            else self._outcome_re.get().finditer(text, clause_lo, clause_hi)
        )
        best: Stance | None = None
        best_distance = -1
        for o in scan:
            if o.start() >= start and o.end() <= end:
                continue  # the head's own word
            group = o.lastgroup
            if group is None:
                continue
            stance = self._outcome_stances[group]
            distance = start - o.end() if o.end() <= start else o.start() - end
            if best is not None and distance >= best_distance:
                continue
            neg = self._negation(text, clause_lo, o.start())
            # "without" negates the noun it governs, not a predicate after it ("a ceasefire
            # without guarantees would only give Russia time").
            if neg is not None and _WITHOUT.match(text, neg) is None:
                stance = "negative" if stance == "positive" else "positive"
            best, best_distance = stance, distance
        return best

    def _continued(self, text: str, end: int, comma: int, clause_hi: int) -> int:
        """Where the head's clause ends when a comma follows it: past an insert set off by
        commas right after the head or its short complement ("the compromise, brokered by
        Turkey, collapsed"), at the end of an apposition that ends the sentence ("the
        disarmament of Hamas, the most contested point."), or at the end of a clause that
        goes on speaking of it (", with both sides calling it positive"); otherwise at the
        comma."""
        after = comma + 1
        limit = min(len(text), after + _INSERT_MAX_CHARS)
        clause_re, subject = self._clause_searcher(text)
        if self._continuation_re is not None and self._continuation_re.match(text, after):
            nxt = clause_re.search(subject, after, limit)
            return nxt.start() if nxt is not None else limit
        if len(_WORDS.findall(text, end, comma)) > _INSERT_AFTER_MAX_WORDS:
            return clause_hi
        close = clause_re.search(subject, after, limit)
        if close is None:
            return clause_hi
        if text[close.start()] in ".;!?\n":
            # An apposition that ends the sentence ("…, the most contested point.").
            return close.start()
        if text[close.start()] != ",":
            return clause_hi
        hi = min(len(text), close.end() + _OUTCOME_WINDOW_CHARS)
        nxt = clause_re.search(subject, close.end(), hi)
        return nxt.start() if nxt is not None else hi

    def _governor(
        self, text: str, sent_start: int, start: int, end: int
    ) -> tuple[str | None, int, int]:
        """The governing act of a head: negative governors in the window win."""
        best: tuple[str, int, int] | None = None
        lo = max(sent_start, start - _GOVERNOR_WINDOW_CHARS)
        lowered = self._lowered
        scan = (
            self._left_re_lower.finditer(lowered, lo, start)
            if lowered is not None
            else self._left_re.get().finditer(text, lo, start)
        )
        for g in scan:
            idx = self._left_tags[g.lastgroup] if g.lastgroup else -1
            if idx < 0:
                continue
            gov = self._left[idx]
            gap = text[g.end() : start]
            if self._clause_re.search(gap) or len(_WORDS.findall(gap)) > gov.max_gap:
                continue
            act = gov.act
            # The nearer (later) governor wins, unless it ranks lower: negative acts first,
            # then the other judging ones, then those that only report or name the event.
            if best is None or _rank(act) >= _rank(best[0]):
                best = (act, g.start(), g.end())
        if self._right_re is not None:
            r = (
                self._right_re_lower.match(lowered, end)
                if lowered is not None and self._right_re_lower is not None
                else self._right_re.get().match(text, end)
            )
            if r is not None and r.lastgroup:
                act = self._right[int(r.lastgroup[1:])].act
                if best is None or _rank(act) > _rank(best[0]):
                    best = (act, r.start(r.lastgroup), r.end())
        if best is None:
            return None, start, end
        return best

    def _negation(self, text: str, sent_start: int, anchor: int) -> int | None:
        if self._neg_re is None:
            return None
        lo = max(sent_start, anchor - 60)
        found: int | None = None
        lowered = self._lowered
        scan = (
            self._neg_re_lower.finditer(lowered, lo, anchor)
            if lowered is not None and self._neg_re_lower is not None
            else self._neg_re.get().finditer(text, lo, anchor)
        )
        for n in scan:
            gap = text[n.end() : anchor]
            if self._clause_re.search(gap):
                continue
            if len(_WORDS.findall(gap)) <= _NEGATOR_MAX_GAP_WORDS:
                found = n.start()
        return found

    def _any_before(self, text: str, start: int) -> bool:
        """Whether "any" opens the noun phrase that ends at ``start`` ("any new truce")."""
        lo = max(0, start - _ANY_WINDOW_CHARS)
        # Most heads have no "any" before them: a substring search rules that out.
        if self._lowered is not None and self._lowered.find("any", lo, start) < 0:
            return False
        return _ANY_BEFORE.search(text, lo, start) is not None

    def _wh_question(self, text: str, sent_start: int, start: int) -> bool:
        """Whether the head stands in an open when/where/who question of its sentence."""
        if self._lowered is not None:
            subject, lo, hi = self._lowered, sent_start, start
        else:
            subject, lo, hi = text[sent_start:start].lower(), 0, start - sent_start
        return (
            _WH_OPENING.match(subject, lo, hi) is not None
            or _WH_QUESTION.search(subject, lo, hi) is not None
        )

    def _answer(self, text: str, sent_start: int, end: int) -> Stance | None:
        """Stance given by the answer to the reported question this head is asked in."""
        if self._question_re is None or not self._answers:
            return None
        limit = min(len(text), end + 200)
        # The lower-cased text with a case-sensitive regex: several times faster than
        # IGNORECASE, which defeats the regex engine's literal-prefix search.
        question_re: re.Pattern[str]
        subject: str
        if self._lowered is not None and self._question_re_lower is not None:
            question_re, subject = self._question_re_lower, self._lowered
        else:
            question_re, subject = self._question_re.get(), text
        if text.find("?", sent_start, limit) < 0 and (
            # Most heads are in no reported question: rule that out with plain substring
            # searches for the question cues before running the regex.
            (
                subject is self._lowered
                and not _any_in(self._question_cue_prefixes, subject, sent_start, limit)
            )
            or question_re.search(subject, sent_start, limit) is None
        ):
            return None
        sent_end_m = _SENTENCE_BREAK.search(text, end)
        sent_end = sent_end_m.end() if sent_end_m else len(text)
        if not question_re.search(subject, sent_start, sent_end) and (
            _last_visible(text, sent_end) != "?"
        ):
            return None
        # The answer is a short quote within the next two sentences.
        window = text[sent_end : sent_end + 300]
        for q in re.finditer(r"[“\"«„]([^”\"»“]{1,40})[”\"»“]", window):
            said = q.group(1).strip().strip(".!…,").lower()
            if said in self._answers:
                return self._answers[said]
        return None


#: Words that make a capitalised name an institution's ("the Kyiv Centre for Strategic
#: Dialogue", "the Darfur Ceasefire Monitor", "the Institute for Diplomacy").
_INSTITUTION_WORDS = frozenset(
    {"Institute", "Centre", "Center", "Studies", "Forum", "Foundation", "University", "Monitor"}
)
_NAME_JOINERS = frozenset({"for", "of", "and", "on", "&"})
_NAME_WORD = re.compile(r"[\w&'’.-]+")


def _in_institution_name(text: str, start: int, end: int) -> bool:
    """Whether the capitalised head at ``[start, end)`` is a word of an institution's name: a
    run of capitalised words (joined by "for", "of", "and") around it holds an institution
    word.  A think tank's or a monitor's name is not the event its words name.  Not in the
    first line, where a title-case headline capitalises every word."""
    line_start = text.rfind("\n", 0, start) + 1
    if line_start == 0:
        return False  # a headline capitalises every word
    line_end = text.find("\n", end)
    if line_end < 0:
        line_end = len(text)
    left = _NAME_WORD.findall(text, max(line_start, start - 80), start)
    right = _NAME_WORD.findall(text, end, min(line_end, end + 80))
    for words in (reversed(left), right):
        for w in words:
            if w in _INSTITUTION_WORDS:
                return True
            if not (w[:1].isupper() or w in _NAME_JOINERS):
                break
    return False


def _literal_prefix(pattern: str) -> str:
    """The plain text a regex starts with ("спросил" of "спросил\\w*"); "" when unsure."""
    if "|" in pattern:
        return ""
    out: list[str] = []
    for ch in pattern:
        if ch.isalnum() or ch in " '’-":
            out.append(ch)
            continue
        if ch in "?*{" and out:
            out.pop()  # the character before an optional part is not certain
        break
    return "".join(out).strip()


def _any_in(needles: tuple[str, ...] | None, haystack: str, start: int, end: int) -> bool:
    if needles is None:
        return True
    return any(haystack.find(n, start, end) >= 0 for n in needles)


def _last_visible(text: str, end: int) -> str:
    """The last non-whitespace character of ``text[:end]`` ("" if none), without copying."""
    j = end
    while j > 0 and text[j - 1].isspace():
        j -= 1
    return text[j - 1] if j > 0 else ""


_STANCES = frozenset({"positive", "negative", "neutral"})


def _rank(act: str) -> int:
    return 2 if act in _NEGATIVE_ACTS else 0 if act in _NEUTRAL_ACTS else 1


def _merged(text: str, prev: Trigger, trig: Trigger, *, guesses: bool = False) -> Trigger:
    """One trigger over two coordinated ones; the first judgement made wins.  Two stances
    the model guessed from the words around one phrase (``guesses``) that disagree leave it
    neutral: the words do not settle it."""
    first = prev if prev.stance != "neutral" or trig.stance == "neutral" else trig
    end = max(prev.end, trig.end)
    if guesses and prev.stance != trig.stance:
        return Trigger(prev.category, "neutral", text[prev.start : end], prev.start, end, ())
    return Trigger(
        prev.category, first.stance, text[prev.start : end], prev.start, end, first.codes
    )


def _category(value: object, language: str) -> str | None:
    if value is None:
        return None
    if value not in TRIGGER_CATEGORIES:
        raise ValueError(f"unknown trigger category {value!r} in {language}")
    return str(value)


#: A question word after a cue that leaves it open ("reporters asked when", "it is unclear
#: who", "did not say how many"), or opening the sentence ("Where the next round will be held
#: is …").  Whether-questions are settled by their answer (``_answer``).
_WH_QUESTION = re.compile(
    r"(?<![\w-])(?:asked|unclear|not\s+clear|to\s+know|wondered|(?:not|declined\s+to)\s+"
    r"(?:say|said|disclose|disclosed|announce|announced))\s+"
    r"(?:when|where|who|which|how\s+(?:long|many|much|soon)|what\s+time)(?![\w-])"
)
_WH_OPENING = re.compile(r"\s*(?:when|where|who|which|how\s+(?:long|many|much|soon))\s")


def _negate(stance: Stance, act: str | None) -> tuple[Stance, str | None]:
    """Negation flips the stance; codes follow only an explicit act ("not ready for talks" is
    a refusal to negotiate, "do not believe the war can end" is no event at all)."""
    if stance == "negative":
        return "positive", ("intent" if act in _NEGATIVE_ACTS else act)
    return "negative", ("reject" if act is not None and act != "mention" else None)


#: The pattern rewriting below, done once per machine (``regex_cache.Rewrites``).
_rewrites = Rewrites(Path(__file__).with_name("triggers.py"))


@_rewrites
def _tagged(pattern: str, name: str) -> str:
    """``pattern`` as alternatives that each end with an empty named group ``name_<k>``, so
    that ``lastgroup`` tells which entry matched.

    The regex engine skips an alternative on its first character only when it starts with a
    literal or a character class, and the scan tries every entry at every word start: so the
    group goes after each alternative, not around the entry, and a leading ``(?:a|b)c`` is
    distributed into ``ac|bc`` (same matches, tried in the same order).  1.6x and another
    1.25x faster for the heads."""
    return "|".join(f"{alt}(?P<{name}_{k}>)" for k, alt in enumerate(_distributed(pattern)))


def _tag_index(regex: re.Pattern[str]) -> dict[str, int]:
    """Group name of ``_tagged`` → index of its entry."""
    return {name: int(name[1:].split("_")[0]) for name in regex.groupindex}


def _distributed(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern``, with a leading non-capturing group
    multiplied out: ``(?:a|b)?c|d`` → ``ac``, ``bc``, ``c``, ``d``."""
    out: list[str] = []
    for alt in _split_alternatives(pattern):
        if not alt.startswith("(?:"):
            out.append(alt)
            continue
        close = _group_end(alt)
        inner, rest = alt[3 : close - 1], alt[close:]
        optional = rest[:1] == "?" and rest[1:2] not in ("?", "+")
        if optional:
            rest = rest[1:]
        elif rest[:1] in ("?", "*", "+", "{"):
            out.append(alt)  # repeated, lazy or possessive: left alone
            continue
        # A greedy optional group is tried first, then skipped: its alternatives go first.
        heads = _distributed(inner)
        if len(rest) > _LONG_REST:
            # A long rest is written once per first letter, not once per alternative:
            # "(?:swapped|sent|freed)REST" -> "s(?:wapped|ent)REST|f(?:reed)REST".
            heads = _by_first_letter_once(heads) or heads
        parts = [x + rest for x in heads] + ([rest] if optional else [])
        if "" in parts or len(parts) > _MAX_DISTRIBUTED:
            out.append(alt)
            continue
        # "(?:the\\s+)?(?:war|conflict)…": the skipped-group part starts with a group again.
        expanded = [y for x in parts for y in _distributed(x)]
        out.extend(expanded if len(expanded) <= _MAX_DISTRIBUTED else parts)
    return out


_MAX_DISTRIBUTED = 64
#: Rests longer than this are written once per first letter.  Multiplied out, a rest lets the
#: letter trie of the heads go on into it, where a group ``(?:wapped|ent)`` after the letter
#: is entered and left at every word start with that letter: 17 % less head scanning for
#: 22 KB more pattern (compiled once per machine: the program is kept in the cache directory).
_LONG_REST = 400


def _by_first_letter_once(alternatives: list[str]) -> list[str] | None:
    """``alternatives`` as one alternative per first letter, in the order of each letter's
    first appearance (alternatives with different first letters never match at the same
    place, so only the order within a letter matters, and it is kept); None when one does not
    start with a plain letter."""
    groups: dict[str, list[str]] = {}
    for alt in alternatives:
        first = alt[:1]
        if not first.isalpha() or alt[1:2] in ("?", "*", "+", "{") or len(alt) < 2:
            return None
        groups.setdefault(first, []).append(alt[1:])
    return [
        f"{first}{rests[0]}" if len(rests) == 1 else f"{first}(?:{'|'.join(rests)})"
        for first, rests in groups.items()
    ]


def _syntax_marks(pattern: str, group_end: bool) -> list[int]:
    """Indices of the top-level ``|`` of ``pattern`` (escapes, character classes and groups
    respected); with ``group_end``, only the index of the ``)`` that closes the group which
    opens ``pattern``.  (A loop over code points that stops where it can: the lexicons' pattern
    rewriting runs it over their ~40 KB of patterns many times in every process.)"""
    out: list[int] = []
    depth = 0
    in_class = False
    i = 0
    n = len(pattern)
    while i < n:
        c = ord(pattern[i])
        if c == 92:  # backslash
            i += 2
            continue
        if in_class:
            in_class = c != 93  # ]
        elif c == 91:  # [
            in_class = True
        elif c == 40:  # (
            depth += 1
        elif c == 41:  # )
            depth -= 1
            if group_end and depth == 0:
                return [i]
        elif c == 124 and depth == 0 and not group_end:  # |
            out.append(i)
        i += 1
    return out


def _split_alternatives(pattern: str) -> list[str]:
    """``pattern`` split at its top-level ``|`` (escapes, classes and groups respected)."""
    bounds = [-1, *_syntax_marks(pattern, False), len(pattern)]
    return [pattern[a + 1 : b] for a, b in itertools.pairwise(bounds)]


def _group_end(pattern: str) -> int:
    """Index just after the group that opens ``pattern``."""
    close = _syntax_marks(pattern, True)
    if not close:
        raise ValueError(f"unbalanced group in {pattern!r}")
    return close[0] + 1


def _compile(patterns: list[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return compile_cached(_source(patterns, flags), flags)


@_rewrites
def _source(patterns: list[str], flags: int, after: str = r"(?<![\w-])") -> str:
    """One regex for whole-word matches of any of ``patterns``, each ``after`` a character
    that is not part of a word (a lookbehind, or a class that the match then includes)."""
    if not patterns:
        return r"(?!x)x"
    body = _by_first_letter("|".join(patterns).replace(" ", r"\s+"), flags)
    return after + r"(?:" + body + r")(?![\w-])"


class _Lazy:
    """A regex compiled on first use: a pattern, or a list of patterns to match as whole
    words (``_source``)."""

    def __init__(self, pattern: str | list[str], flags: int) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    def get(self) -> re.Pattern[str]:
        if self._compiled is None:
            pattern = self.pattern
            source = pattern if isinstance(pattern, str) else _source(pattern, self.flags)
            self._compiled = re.compile(source, self.flags)
        return self._compiled


def _by_first_letter(body: str, flags: int) -> str:
    """``body``'s alternatives grouped under their first letter: ``p(?:eace|lan)|t(?:alks)``.

    The scan tries every alternative at every word start; grouped, it tries one letter per
    group instead (1.7x faster for the heads).  Alternatives with different first letters
    cannot match at the same place, so the order that decides between matches is kept
    inside each group.  An alternative that does not start with a plain letter stays where
    it is (``_prefix_groups``).
    """
    return _prefix_groups(_split_alternatives(body), flags, _PREFIX_DEPTH)


#: How many leading letters are factored out (a trie of the first letters): each level lets
#: the scan drop the alternatives that differ there after one comparison instead of trying
#: each ("d(?:e(?:al…)|i(?:plomatic…|scuss…))"; about 1.3x faster for the heads than one level).
_PREFIX_DEPTH = 4


def _prefix_groups(alternatives: list[str], flags: int, depth: int) -> str:
    """``alternatives`` grouped by their first letter, and each group again by the next
    letter, ``depth`` letters deep.  The order of alternatives that share a prefix is kept,
    so is the match.  One that does not start with a plain letter (``(?:trilateral|…)``,
    ``\\s*``) may match where any other does: it stays in its place, and only the runs of
    alternatives between such ones are grouped (11 % less head scanning than leaving the
    whole list as it is)."""
    parts: list[str] = []
    groups: dict[str, list[str]] = {}
    # Once, as a plain bool: ``int & re.IGNORECASE`` runs the enum's ``__rand__`` in Python.
    fold = bool(flags & re.IGNORECASE)
    for alt in alternatives:
        first = alt[:1]
        if not first.isalpha() or alt[1:2] in ("?", "*", "+", "{") or len(first.lower()) != 1:
            parts += _letter_groups(groups, flags, depth)
            groups = {}
            parts.append(alt)
            continue
        key = first.lower() if fold else first
        groups.setdefault(key, []).append(alt[1:])
    parts += _letter_groups(groups, flags, depth)
    return "|".join(parts)


def _letter_groups(groups: dict[str, list[str]], flags: int, depth: int) -> list[str]:
    """``letter(?:rest|rest…)`` of each first letter, the rests grouped again."""
    out = []
    for key, rests in groups.items():
        inner = _prefix_groups(rests, flags, depth - 1) if depth > 1 and len(rests) > 1 else None
        out.append(f"{key}(?:{inner if inner is not None else '|'.join(rests)})")
    return out


_ESCAPE_OR_NAME = re.compile(r"(\\.|\(\?P<[^>]+>)")
_UPPER = re.compile(r"[^\W\d_a-z]")


@_rewrites
def _lower_pattern(pattern: str) -> str:
    """Lower-case the letters of a regex, leaving escapes (\\S, \\W) and group names alone."""
    if pattern == pattern.lower():
        return pattern
    # Split at the escapes and group names first: the pieces between them are mostly lower
    # case already, and a callback per escape was most of the cost.
    pieces = _ESCAPE_OR_NAME.split(pattern)
    for k in range(0, len(pieces), 2):
        piece = pieces[k]
        if piece != piece.lower():
            pieces[k] = _UPPER.sub(lambda m: m.group().lower(), piece)
    return "".join(pieces)


def _sentence_start(text: str, pos: int) -> int:
    lo = max(0, pos - 400)
    last = lo
    for m in _SENTENCE_BREAK.finditer(text, lo, pos):
        last = m.end()
    return last


@cache
def _cached(language: str) -> TriggerFinder | None:
    name = f"triggers.{language}.yaml"
    if not language or not lexicon.available(name):
        return None
    return TriggerFinder(lexicon.load(name), TriggerModel.for_language(language))
