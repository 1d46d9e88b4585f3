"""Finding attributions: which stretch of text is attributed to whom, through which cue.

Patterns (English wire-copy conventions; Russian/Ukrainian ones live in the same code, driven
by each language's cue lexicon):

- direct, attribution after:  ``“…,” Peskov said.`` / ``“…,” said Peskov.``
- direct, attribution before: ``Peskov said: “…”`` / ``He told reporters, “…”``
- colon-introduced without a reporting verb: ``The spokesman gave a short reply: “No.”``
- indirect, cue first:        ``Putin said (that) …`` / ``told reporters that …``
- indirect, cue last:         ``…, Kremlin spokesman Dmitry Peskov has said.``
- source phrases:             ``According to X, …`` / ``…, according to X.``
- participles:                ``…, claiming instead that …`` (speaker = the clause subject)
- passives:                   ``X was quoted as saying …`` / ``X was asked by Y whether …``
- judgements:                 ``have rejected this proposal as unacceptable`` (object and "as")

A quote that the attribution splits (``“A,” he said, “B.”``) and quote sentences that follow
an attribution in the same paragraph (``“A,” he said. “B.”``) become parts of one statement.
Quoted words without an attribution next to them (scare quotes, ‘peace formula’) are not
statements.  "Mixed" = indirect content that contains quoted words.

Spans found here are plain offsets; speakers are resolved later (``speakers``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.extract.boundaries import CUT_CHARS, MIN_CONTENT_WORDS, BoundaryModel, places
from pipeline.extract.cue_model import CueModel, features
from pipeline.extract.cues import Cue, CueLexicon
from pipeline.extract.text import (
    ABBREVIATIONS,
    Quote,
    bisect_left,
    bisect_right,
    find_dash_quotes,
    find_quotes,
    lowered_for_matching,
    merge_quotes,
    paragraphs,
    sentences,
)
from pipeline.extract.tokens import (
    ADJUNCT_WORDS,
    CLAUSE_WORDS,
    DETERMINERS,
    PERSONAL_PRONOUNS,
    PREPOSITIONS,
    TIME_NOUNS,
    WEEKDAYS,
    Token,
    lowered_tokens,
    tokenize,
    tokenize_pieces,
    wordset,
)

_MAX_SUBJECT_WORDS = 14
_MAX_APPOSITIVE_WORDS = 20
_MAX_GAP_WORDS = 12
_MAX_LATER_CUES = 4
_MAX_QUOTES = 1000
_MAX_CUES = 1000
_TRAILING = " \t\r\n.!?…;:,"
_DASHES = "—–-"
_IRREGULAR_PAST = wordset(
    """gave made took went came got put kept left held met saw knew thought brought began ran
    won lost sent spent stood set let became felt paid led sought fought struck told said
    wrote spoke chose drew drove fell flew forgot grew hid hit hurt laid lay meant rose sat
    shot shut sold sang sank slept stole swore swept threw understood woke wore withdrew"""
)
_COMMON_VERBS = wordset(
    """remains remain says wants needs seems appears looks continues plans hopes believes
    thinks knows argues insists"""
)


@dataclass(slots=True)
class Attribution:
    """One attribution before speaker resolution.

    ``parts`` are content spans without quote marks and without a complementizer;
    ``marked_parts`` are the same with the enclosing quote marks and the complementizer
    ("that"), which is how PolNeAR annotates content (used by the evaluation only).
    """

    kind: str
    parts: list[tuple[int, int]]
    cue: tuple[int, int]
    cue_class: str
    speaker: tuple[int, int] | None
    marked_parts: list[tuple[int, int]] = field(default_factory=list)


_CONTRACTIONS = frozenset(
    {"he's", "he’s", "she's", "she’s", "it's", "it’s", "that's", "that’s", "who's", "who’s"}
)
# Openers of an introductory clause, not of quoted content: "Asked about it, he said, “…”".
_INTRO_WORDS = wordset("asked speaking when while after before if as although though since")
_SUBJECT_PRONOUNS = frozenset({"he", "she", "it", "who", "they", "we", "i", "you"})
_PLURAL_SUBJECTS = frozenset(
    {"i", "we", "they", "you", "people", "many", "some", "others", "women", "men", "children"}
    | {"most", "several", "few"}
)
_NOUN_MARKERS = DETERMINERS | frozenset({"his", "her", "its", "their", "our", "my", "your"})


def _verb_reading(text: str, cue: Cue, lex: CueLexicon) -> bool:
    """Whether a cue word is used as a verb here.

    "the report", "a reply", "the Russian state" are nouns; "territories claimed by
    Ukraine" is a reduced relative clause, not an attribution.
    """
    if cue.cls in ("source", "passive"):
        return True
    prev = _prev_word(text, cue.start)
    low_prev = prev.lower()
    if (
        low_prev in _NOUN_MARKERS
        and cue.start == cue.verb_start
        and not _quantifier_subject(low_prev, cue, lex)
    ):
        return False
    if (
        cue.form.endswith("ing")
        and cue.start == cue.verb_start
        and prev.islower()
        and prev.isalpha()
        and low_prev not in _SUBJECT_PRONOUNS
    ):
        # "told a weekly briefing", "at the regular briefing": a noun after an adjective
        before = _prev_word(text, text.rfind(prev, 0, cue.start)).lower()
        if before in ("a", "an", "the", "its", "his", "her", "their"):
            return False
    # "Trump's comments", "the Post's report" - a possessive makes the cue word a noun.
    if (
        low_prev.endswith(("'s", "’s", "s'", "s’"))
        and low_prev not in _CONTRACTIONS
        and cue.start == cue.verb_start
    ):
        return False
    # A bare form needs a plural or pronoun subject: "officials say", "I think".
    if cue.bare and cue.start == cue.verb_start and not _bare_verb_subject(text, cue.start):
        return False
    if cue.start == cue.verb_start and not cue.passive:
        j = cue.end
        while j < len(text) and text[j] == " ":
            j += 1
        if text.startswith("by ", j) and cue.form.endswith("ed"):
            return False
        # "a company called Cambridge Analytica": a name follows a common noun
        if (
            cue.form in ("called", "named", "dubbed")
            and prev[:1].islower()
            and low_prev not in _SUBJECT_PRONOUNS
            and text[j : j + 1].isupper()
        ):
            return False
    if cue.form in lex.noun_like_forms and cue.start == cue.verb_start:
        return low_prev in _SUBJECT_PRONOUNS or prev[:1].isupper()
    if cue.form[:6].lower() == "report" and _REPORT_TO.match(text, cue.verb_start):
        return False  # "would report to President Trump": to whom one answers, no content
    # "a report published this week by …": what the paper is, not speech
    return not (cue.form in _ISSUED_FORMS and cue.start == cue.verb_start and low_prev in _PAPERS)


_REPORT_TO = re.compile(r"report(?:s|ed|ing)?[ \t]+(?:back[ \t]+)?to[ \t]", re.IGNORECASE)
_ISSUED_FORMS = wordset("published released issued conducted commissioned")
_PAPERS = wordset(
    "report reports study studies survey surveys poll polls paper papers analysis assessment "
    "review data figures document documents statement letter"
)


# Bare verb forms that follow a quantifier as verbs ("some say", "many believe"), where
# "some comment", "several reports" would be nouns.
_QUANTIFIED_BARE = wordset(
    """say think believe agree argue feel fear know expect hope worry doubt suspect wonder
    insist contend suggest warn want acknowledge admit predict"""
)


_OF_PHRASE = re.compile(
    r"([A-Za-z]+s) (?:of|in|from|for|at|to|with|close to|familiar with) (?:the |a |an |her |his"
    r" |their )?[\w'’-]+(?: [\w'’-]+)? $"
)


def _plural_subject_word(low: str) -> bool:
    """A word that ends a plural or pronoun subject right before a bare verb form: "officials",
    "they", "64 percent", "those who"."""
    return (
        low in _PLURAL_SUBJECTS
        or (low.endswith("s") and not low.endswith("ss") and len(low) > 3)
        or low in _BARE_SUBJECT_WORDS
    )


#: "to" is an infinitive ("to say"); "who" a relative whose antecedent is the subject ("voters
#: who say", "those who want"); a share or a count of people ("64 percent say", "six in 10
#: say") is plural.
_BARE_SUBJECT_WORDS = wordset("to who percent two three four five six seven eight nine ten dozen")
#: Adverbs between a subject and its verb: "Others, however, say", "officials now say".
_BARE_ADVERBS = wordset("also still now often however too generally privately publicly already")


def _bare_verb_subject(text: str, pos: int) -> bool:
    """Whether a bare form at ``pos`` follows its subject (over adverbs, and the commas around
    an adverb): "officials say", "Others, however, say", "Aides to the senator say"; not
    "costs, say, a million" (for example)."""
    adverb = False
    verb_lower = text[pos : pos + 1].islower()
    for _ in range(3):
        j = pos - 1
        while j >= 0 and text[j] == " ":
            j -= 1
        comma = j >= 0 and text[j] == ","
        end = j if comma else j + 1
        prev = _prev_word(text, end)
        low = prev.lower()
        if low in _BARE_ADVERBS or (_ly_word(low) and low not in _PLURAL_SUBJECTS):
            adverb = True
            pos = end - len(prev)
            continue
        if comma and not adverb:
            return False
        if low.isdigit():
            # "four in 10 say"; not "a 1981 claim"
            return _prev_word(text, end - len(prev)).lower() == "in"
        return (
            _plural_subject_word(low)
            or _plural_head_before_of(text, end + 1)
            or (verb_lower and _coordinated_names(text, end - len(prev), prev))
        )
    return False


#: Names joined by "and" before a bare form: "Bush and Christie say", "Forbes and Wealth-X say".
_NAMES_AND = re.compile(r"[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3} and (?:[A-Z][\w.'’-]* ){0,3}$")


def _coordinated_names(text: str, start: int, prev: str) -> bool:
    """Two names joined by "and" are a plural subject: "Jeb Bush and Chris Christie say"
    (a lower-case verb: "Nevada and Washington State" is a name, "Bolton and Gorka Slam …" a
    headline)."""
    if not prev[:1].isupper():
        return False
    m = _NAMES_AND.search(text, max(0, start - 60), start)
    if m is None:
        return False
    # "the Growth and Opportunity Project report": a name inside a noun phrase
    first = m.group(0).split(" ", 1)[0].lower()
    return first not in DETERMINERS and _prev_word(text, m.start()).lower() not in DETERMINERS


def _plural_head_before_of(text: str, pos: int) -> bool:
    """A plural noun heading a short prepositional phrase before a bare cue: "Supporters of
    the deal say", "Residents in the north say"."""
    m = _OF_PHRASE.search(text, max(0, pos - 60), pos)
    if m is None:
        return False
    head = m.group(1).lower()
    return not head.endswith("ss") and len(head) > 3 and head not in _NOT_PLURAL


_NOT_PLURAL = wordset("this has was is its his does news")


def _quantifier_subject(low_prev: str, cue: Cue, lex: CueLexicon) -> bool:
    """A quantifier standing alone as the subject: "Several said", "another told", "some say"."""
    if low_prev not in _PRONOUN_DETERMINERS or cue.form in lex.noun_like_forms:
        return False
    return not cue.bare or cue.form in _QUANTIFIED_BARE


def _prev_word(text: str, pos: int) -> str:
    j = pos - 1
    while j >= 0 and text[j] == " ":
        j -= 1
    k = j
    while k >= 0 and (text[k].isalnum() or text[k] in "'’-"):
        k -= 1
    return text[k + 1 : j + 1]


class _Doc:
    """Per-article scanning state: quotes, sentences and cues with bisect indexes."""

    def __init__(self, text: str, lex: CueLexicon) -> None:
        self.text = text
        self.lex = lex
        self.lowered = lowered_for_matching(text)
        self._token_lowered = lowered_tokens(text, self.lowered)
        # Hard caps: real articles have tens of quotes and cues; junk with thousands of them
        # must still cost a bounded amount of work.
        quotes = find_quotes(text)
        if lex.dash_dialogue:
            quotes = merge_quotes(quotes, find_dash_quotes(text))
        self.quotes = quotes[:_MAX_QUOTES]
        self.quote_opens = [q.open for q in self.quotes]
        self.sents: list[tuple[int, int]] = []
        qi = 0
        nq = len(self.quotes)
        for ps, pe in paragraphs(text):
            while qi < nq and self.quotes[qi].end <= ps:
                qi += 1
            prot = []
            k = qi
            while k < nq and self.quotes[k].open < pe:
                prot.append((self.quotes[k].open, self.quotes[k].end))
                k += 1
            self.sents.extend(sentences(text, ps, pe, prot))
        self.sent_starts = [s for s, _ in self.sents]
        #: the whitespace-separated pieces of the text and their offsets, read by the cue
        #: scan and reused by the tokenizer (``_tokenize``); empty when the scan did not
        #: split the text
        self.pieces: list[str] = []
        self.piece_starts: list[int] = []
        cues = [
            c
            for c in lex.find(text, 0, None, self.pieces, self.piece_starts)[: 2 * _MAX_CUES]
            if self.quote_at(c.verb_start) is None and _verb_reading(text, c, lex)
        ]
        #: words of the lexicon's ``learned_verbs``: judged by the learned model after the
        #: rules have used the others (``_learned_attributions``)
        self.learned_cues = [c for c in cues if c.learned][:_MAX_CUES]
        if self.learned_cues:
            cues = [c for c in cues if not c.learned]
        self.cues = cues[:_MAX_CUES]
        self.cue_starts = [c.start for c in self.cues]
        self.used_cues: set[int] = set()
        self.used_quotes: set[int] = set()
        self._sent_tokens: dict[int, tuple[list[Token], list[int]]] = {}
        #: sentence start -> speaker span of an attribution found in that sentence
        self.sentence_speaker: dict[int, tuple[int, int]] = {}
        #: sentence start -> speaker span of the latest indirect attribution in that sentence
        #: whose cue is not inside another's content
        self.clause_speaker: dict[int, tuple[int, int]] = {}
        # The same subject/complementizer questions come up for a cue and for the cues
        # before it (content cutting): answer each once.
        self.subject_memo: dict[tuple[int, int], tuple[int, int] | None] = {}
        self.complementizer_memo: dict[tuple[int, int], Token | None] = {}
        self.sentence_quotes: list[int] | None = None

    # -- lookups ---------------------------------------------------------------------------

    def quote_at(self, pos: int) -> Quote | None:
        """The quote whose marks enclose ``pos`` (mark positions included)."""
        i = bisect_right(self.quote_opens, pos) - 1
        if i >= 0 and pos < self.quotes[i].end:
            return self.quotes[i]
        return None

    def sentence(self, pos: int) -> tuple[int, int]:
        i = bisect_right(self.sent_starts, pos) - 1
        if i < 0:
            return (0, 0)
        return self.sents[i]

    def tokens(self, start: int, end: int) -> list[Token]:
        """Tokens inside ``[start, end)``; each sentence is tokenized once and cached."""
        i = bisect_right(self.sent_starts, start) - 1
        if i < 0 or end > self.sents[i][1]:
            return self._tokenize(start, end)
        cached = self._sent_tokens.get(i)
        if cached is None:
            toks = self._tokenize(self.sents[i][0], self.sents[i][1])
            cached = (toks, [t.start for t in toks])
            self._sent_tokens[i] = cached
        toks, starts = cached
        lo = bisect_left(starts, start)
        hi = bisect_left(starts, end)
        out = toks[lo:hi]
        if out and out[-1].end > end:
            out.pop()
        return out

    def _tokenize(self, start: int, end: int) -> list[Token]:
        """``tokenize`` of the span, from the text's pieces when no piece crosses either
        end of it (a sentence may end inside one: ``…end."Next``)."""
        text = self.text
        starts = self.piece_starts
        if starts and _piece_edge(text, start) and _piece_edge(text, end):
            lo = bisect_left(starts, start)
            hi = bisect_left(starts, end)
            return tokenize_pieces(text, end, self.pieces[lo:hi], starts[lo:hi])
        return tokenize(text, start, end, self._token_lowered)

    def cues_between(self, start: int, end: int) -> list[int]:
        lo = bisect_left(self.cue_starts, start)
        hi = bisect_left(self.cue_starts, end)
        return list(range(lo, hi))

    def quotes_between(self, start: int, end: int) -> list[Quote]:
        lo = bisect_left(self.quote_opens, start)
        hi = bisect_left(self.quote_opens, end)
        return [q for q in self.quotes[lo:hi] if q.end <= end]


def _piece_edge(text: str, pos: int) -> bool:
    """Whether no whitespace-separated piece of ``text`` runs across offset ``pos``."""
    return pos <= 0 or pos >= len(text) or text[pos - 1].isspace() or text[pos].isspace()


def find_attributions(
    text: str,
    lex: CueLexicon,
    boundaries: BoundaryModel | None = None,
    cue_model: CueModel | None = None,
) -> list[Attribution]:
    """The attributions of ``text``; with ``boundaries``, indirect content ends where the
    learned model puts its end (``pipeline/extract/boundaries.py``); with ``cue_model``,
    words outside the cue lexicon cue the attributions it keeps (``cue_model.py``)."""
    doc = _Doc(text, lex)
    found = _find(doc, cue_model)
    for att in found:
        if att.kind == "direct" and any("\n" in text[s:e] for s, e in att.parts):
            att.parts = _paragraph_parts(text, att.parts)
    if boundaries is not None:
        for att in found:
            if att.kind == "direct" or len(att.parts) != 1:
                continue
            start, end = att.parts[0]
            toks = doc.tokens(start, end) if _has_any(text, start, end, CUT_CHARS) else []
            # (no cut character: nowhere to end it but where it ends)
            if len(toks) >= MIN_CONTENT_WORDS:  # fewer tokens, fewer words: left as it is
                quotes, cue_starts = _content_context(doc, start, end)
                best = boundaries.best_end(toks, end, quotes, cue_starts, att.kind, att.cue_class)
                _set_end(doc, att, best)
                start, end = att.parts[0]
            for marker in _WRITER_COMMENTS:
                # "…, even as the two sides gave different accounts", "…, a sign that …":
                # the writer's comment on the reported words, not part of them (after the
                # learned end, which is trained on the rules' ends without it)
                at = text.find(marker, start, end)
                if at > start and doc.quote_at(at) is None:
                    _set_end(doc, att, at)
                    break
            if att.cue_class in _NESTABLE:
                cut = _object_clause_end(doc, att)
                if cut > 0:
                    _set_end(doc, att, cut)
    for att in found:
        if att.kind != "direct" and len(att.parts) == 1:
            cut = _fronted_clause_end(doc, att)
            if cut > 0:
                _set_end(doc, att, cut)
    return found


# A subordinator opening the sentence right before the speaker: "When Clinton noted that …",
# "But while a federal judge found …" ("as" is left out: "As the Post reported, …" reports the
# main clause).
_FRONTED = re.compile(
    r"\s*(?:(?:but|and|yet|so)\s+)?(?:when|whenever|while|whilst|although|though|if|because"
    r"|since|after|before|unless|once|whereas|until|even\s+though|even\s+if|just\s+as)\s+",
    re.IGNORECASE,
)
# Where a fronted clause gives way to the main clause: a comma (with the quote marks it
# closes) or a spaced dash.
_CLAUSE_END = re.compile(r",[”\"’']*(?=\s)|\s(?:[—–―]|--)\s")
# "in Louisville, Ky., …": a place's state or country, not the main clause.
_PLACE_ABBREVIATION = re.compile(r"\s+[A-Z][a-z]{0,3}\.")


def _fronted_clause_end(doc: _Doc, att: Attribution) -> int:
    """Where the content of a statement inside a fronted subordinate clause ends: the clause
    ends at its first comma or dash, and what follows is the writer's main clause ("When
    Clinton noted that Trump paid no tax, Trump boasted …"; PolNeAR ends the content there).
    -1 when the statement is not in such a clause."""
    speaker = att.speaker
    if speaker is None or speaker[0] > att.cue[0]:
        return -1
    text = doc.text
    sent_start = doc.sentence(att.cue[0])[0]
    if not _FRONTED.fullmatch(text, sent_start, speaker[0]):
        return -1
    start, end = att.parts[0]
    for m in _CLAUSE_END.finditer(text, start, end + 2):
        if m.start() >= end:
            break
        quote = doc.quote_at(m.start())
        if quote is not None and quote.end != m.end():
            continue  # inside quoted words
        if m.group()[0] == "," and _PLACE_ABBREVIATION.match(text, m.end()):
            continue
        return m.end() if m.end() - m.start() > 1 and m.group()[0] == "," else m.start()
    return -1


# A paragraph break and the quote mark that re-opens a quotation running over paragraphs.
_REOPENING = re.compile(r"[ \t\r]*\n\s*(?:“|\"|„|«|‘|''|``)")


def _paragraph_parts(text: str, parts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A quotation that runs over paragraphs (each re-opened with a quote mark, none closed
    before the last) has a part for each paragraph: each is a statement of its own in the
    wire copy's convention; the quote as a whole still covers them all."""
    out: list[tuple[int, int]] = []
    for start, end in parts:
        for m in _REOPENING.finditer(text, start, end):
            if m.start() > start:
                out.append((start, m.start()))
            start = m.end()
        if end > start:
            out.append((start, end))
    return out


def _has_any(text: str, start: int, end: int, chars: str) -> bool:
    return any(text.find(ch, start, end) >= 0 for ch in chars)


def learned_cue_candidates(text: str, lex: CueLexicon) -> list[tuple[Attribution, list[str]]]:
    """The attributions the rules would build around learned cue words, each with the
    features the cue model judges it by (for training)."""
    collected: list[tuple[Attribution, list[str]]] = []
    _find(_Doc(text, lex), None, collected)
    return collected


def attribution_places(
    text: str, lex: CueLexicon
) -> list[tuple[Attribution, tuple[list[int], list[list[str]]] | None]]:
    """The rules' attributions with the places their content could end (for training)."""
    doc = _Doc(text, lex)
    return [(att, content_places(doc, att)) for att in _find(doc)]


def content_places(doc: _Doc, att: Attribution) -> tuple[list[int], list[list[str]]] | None:
    """Where the content of an indirect or mixed attribution could end, with features."""
    if att.kind == "direct" or len(att.parts) != 1:
        return None
    start, end = att.parts[0]
    toks = doc.tokens(start, end)
    if len(toks) < 4:
        return None
    quotes, cue_starts = _content_context(doc, start, end)
    return places(toks, end, quotes, cue_starts, att.kind, att.cue_class)


def _content_context(doc: _Doc, start: int, end: int) -> tuple[list[tuple[int, int]], list[int]]:
    """The quotes (marks included) and the cue offsets inside a content span."""
    quotes = [(q.open, q.end) for q in doc.quotes_between(start, end + 1)]
    cue_starts = [doc.cues[ci].start for ci in doc.cues_between(start, end)]
    return quotes, cue_starts


def _set_end(doc: _Doc, att: Attribution, end: int) -> None:
    start, old = att.parts[0]
    if end >= old or end <= start:
        return
    text = doc.text
    while end > start and text[end - 1] in " \t,;:" + _DASHES:
        end -= 1
    if end <= start:
        return
    att.parts[0] = (start, end)
    if att.marked_parts:
        att.marked_parts[-1] = (att.marked_parts[-1][0], end)
    att.kind = _kind(doc, att.parts)


def _find(
    doc: _Doc,
    cue_model: CueModel | None = None,
    collect: list[tuple[Attribution, list[str]]] | None = None,
) -> list[Attribution]:
    found: list[Attribution] = []
    for qi, q in enumerate(doc.quotes):
        att = _direct_after(doc, qi, q) or _direct_before(doc, qi, q)
        if att is not None:
            found.append(att)
            doc.used_quotes.add(qi)
            _remember_speaker(doc, att)
    _continuations(doc, found, ("direct",))
    found.extend(_in_source_attributions(doc, found))
    colon = _colon_attributions(doc, found)
    found.extend(colon)
    headline_spans = [(a.parts[0][0], a.parts[-1][1]) for a in colon]
    recent: list[tuple[int, int]] = []  # content parts of the latest indirect attributions
    for ci, cue in enumerate(doc.cues):
        if ci in doc.used_cues:
            continue
        if doc.text[cue.start].isupper() and any(s <= cue.start < e for s, e in headline_spans):
            continue  # "Obama: I’m Optimistic Americans Will Say No" - title case, not a cue
        if cue.cls in _NESTABLE and any(s <= cue.start and cue.end <= e for s, e in recent):
            continue  # inside another statement's content: dropped by _drop_nested anyway
        att = _indirect(doc, ci, cue)
        if att is not None:
            doc.used_cues.add(ci)
            found.append(att)
            _remember_speaker(doc, att)
            if att.speaker is not None and not any(s <= cue.start < e for s, e in recent):
                doc.clause_speaker[doc.sentence(cue.start)[0]] = att.speaker
            recent = (recent + att.parts)[-4:]
    if doc.learned_cues and (cue_model is not None or collect is not None):
        _learned_attributions(doc, found, cue_model, collect)
    # Quote sentences after an indirect or mixed statement continue it as well.
    _continuations(doc, found, ("direct", "mixed", "indirect"))
    found.extend(_introduced_quotes(doc))
    found.sort(key=lambda a: a.parts[0][0])
    return _drop_nested(_dedupe(found))


def _learned_attributions(
    doc: _Doc,
    found: list[Attribution],
    cue_model: CueModel | None,
    collect: list[tuple[Attribution, list[str]]] | None,
) -> None:
    """Attributions cued by words outside the lexicon that the cue model keeps (or, for
    training, all of them into ``collect``).  A word inside a statement the rules found
    (its cue, speaker or content) is left alone: the rules' reading stands there."""
    taken: list[tuple[int, int]] = []
    for a in found:
        taken.append(a.cue)
        if a.speaker is not None:
            taken.append(a.speaker)
        taken.extend(a.parts)
    for cue in doc.learned_cues:
        covered = False
        for s, e in taken:
            if s < cue.end and cue.start < e:
                covered = True
                break
        if covered:
            continue
        att = _indirect(doc, -1, cue)
        if att is None:
            continue
        if cue.cls in ("evaluate", "intent") and len(att.parts) == 1:
            if cue.cls == "intent":
                _infinitive_start(doc, cue, att)
            _object_end(doc, att)
        feats = features(
            doc.text,
            att.cue,
            cue.form,
            cue.cls,
            att.speaker,
            (att.parts[0][0], att.parts[-1][1]),
            att.kind,
            doc.sentence(cue.start)[0],
        )
        if collect is not None:
            collect.append((att, feats))
        elif cue_model is not None and not _inside_name(doc.text, cue) and cue_model.keep(feats):
            found.append(att)
            _remember_speaker(doc, att)
            taken.append(att.cue)
            taken.extend(att.parts)


def _inside_name(text: str, cue: Cue) -> bool:
    """A capitalised word between two capitalised words ("the Rapid Support Forces") is part
    of a name, not a verb."""
    if not text[cue.start : cue.start + 1].isupper():
        return False
    before = text[max(0, cue.start - 30) : cue.start]
    after = text[cue.end : cue.end + 2]
    words = before.split()
    return (
        bool(words)
        and before[-1:] == " "
        and words[-1][:1].isupper()
        and after[:1] == " "
        and after[1:2].isupper()
    )


def _infinitive_start(doc: _Doc, cue: Cue, att: Attribution) -> None:
    """In "plans to introduce a bill that would …" what is planned is the infinitive, not the
    that-clause inside it."""
    text = doc.text
    j = cue.end
    while j < len(text) and text[j] == " ":
        j += 1
    start, end = att.parts[0]
    if j < start < end and text.startswith("to ", j):
        att.parts[0] = (j, end)
        att.marked_parts = [(j, end)]
        att.kind = _kind(doc, att.parts)


def _object_end(doc: _Doc, att: Attribution) -> None:
    """What a learned word evaluates or intends is its object: "backing Hillary Clinton,
    but …" ends before the comma (a dash, semicolon or bracket too), outside quoted words."""
    start, end = att.parts[0]
    text = doc.text
    cut = end
    for ch in ",;(—–":
        k = text.find(ch, start + 1, cut)
        while k >= 0 and doc.quote_at(k) is not None:
            k = text.find(ch, k + 1, cut)
        if k >= 0:
            cut = k
    if cut < end:
        _set_end(doc, att, cut)


#: Cue classes whose attributions inside another statement's content are not statements of
#: their own: "he said he thought …", "told friends that she wanted …" report one statement.
_NESTABLE = frozenset({"cognition", "intent", "evidence", "question", "evaluate"})


def _drop_nested(found: list[Attribution]) -> list[Attribution]:
    """Drop beliefs, plans and judgements reported inside another attribution's content."""
    if len(found) < 2 or all(a.cue_class not in _NESTABLE for a in found):
        return found
    parts = sorted(p for a in found for p in a.parts)
    starts = [s for s, _ in parts]
    reach: list[int] = []  # reach[i] = the furthest end among parts[0..i]
    furthest = -1
    for _, e in parts:
        furthest = max(furthest, e)
        reach.append(furthest)
    out = []
    for a in found:
        if a.cue_class in _NESTABLE:
            i = bisect_right(starts, a.cue[0]) - 1
            if i >= 0 and reach[i] >= a.cue[1]:
                continue
        out.append(a)
    return out


def _remember_speaker(doc: _Doc, att: Attribution) -> None:
    if att.speaker is not None:
        doc.sentence_speaker.setdefault(doc.sentence(att.cue[0])[0], att.speaker)


# -- direct quotes ---------------------------------------------------------------------------


def _starts_sentence(doc: _Doc, q: Quote) -> bool:
    ss, _ = doc.sentence(q.open)
    text = doc.text
    j = q.open - 1
    while j >= ss and (text[j] in " \t" or text[j] in _DASHES):
        j -= 1
    return j < ss


def _direct_after(doc: _Doc, qi: int, q: Quote) -> Attribution | None:
    """``“…,” X said`` / ``“…,” said X`` (also ``« … », — заявил X``)."""
    text = doc.text
    if not _starts_sentence(doc, q):
        return None
    _, se = doc.sentence(q.end - 1)
    if se <= q.end + 1 and text[q.inner_end - 1 : q.inner_end] in ("?", "!"):
        # "“Why is he attacking me?” Trump said.": the question mark ended the sentence
        # before its attribution; take the next sentence of the paragraph along.
        nxt_start, nxt_end = doc.sentence(se + 1)
        if nxt_start > q.end and "\n" not in text[q.end : nxt_start]:
            se = nxt_end
    for ci in doc.cues_between(q.end, min(se, q.end + 160)):
        cue = doc.cues[ci]
        if ci in doc.used_cues:
            continue
        between = text[q.end : cue.start]
        lead = between.lstrip()
        if lead[:1] and lead[0] in ",":
            lead = lead[1:].lstrip()
        if lead[:1] and lead[0] in _DASHES:
            lead = lead[1:].lstrip()
        np_start = cue.start - len(lead)
        if not lead.strip():
            if cue.cls in ("tell", "evaluate", "intent", "evidence") and not cue.passive:
                return None
            speaker = _np_after(doc, cue.end, se, appositive=True)
            if speaker is None and cue.cls != "source":
                return None
            rest = speaker[1] if speaker else cue.end
        else:
            subj = _subject_before(doc, np_start, cue.start)
            if subj is None or subj[0] != np_start + (len(lead) - len(lead.lstrip())):
                return None
            speaker = subj
            rest = cue.end
            if cue.cls in ("tell", "question"):
                # "“…,” Klein told POLITICO in an email." - skip the addressee
                addressee = _np_after(doc, cue.end, se, appositive=False)
                if addressee is not None:
                    rest = addressee[1]
        if not _attribution_tail(doc, rest, se):
            return None
        doc.used_cues.add(ci)
        parts = [(q.inner_start, q.inner_end)]
        marked = [(q.open, q.end)]
        # "“A,” he said, “B.”": the quote continues right after the attribution.
        nxt = _next_quote_after(doc, rest, se)
        if nxt is not None:
            parts.append((nxt[1].inner_start, nxt[1].inner_end))
            marked.append((nxt[1].open, nxt[1].end))
            doc.used_quotes.add(nxt[0])
        return Attribution(
            "direct", _clean_parts(text, parts), (cue.start, cue.end), cue.cls, speaker, marked
        )
    return None


def _next_quote_after(doc: _Doc, pos: int, se: int) -> tuple[int, Quote] | None:
    text = doc.text
    j = pos
    while j < len(text) and text[j] in " \t,;:" + _DASHES:
        j += 1
    i = bisect_left(doc.quote_opens, j)
    if i < len(doc.quotes) and doc.quotes[i].open == j and j < se + 1:
        return i, doc.quotes[i]
    return None


def _attribution_tail(doc: _Doc, pos: int, se: int) -> bool:
    """After ``“…,” he said`` only adjuncts, a continuation quote or a new clause may follow."""
    text = doc.text
    rest = text[pos:se].strip(_TRAILING)
    if not rest:
        return True
    c = text[pos:se].lstrip()[:1]
    if c in ",;(" or c in _DASHES or c in '“"«‘':
        return True
    toks = doc.tokens(pos, min(se, pos + 80))
    if not toks:
        return True
    first = toks[_after_adverbs(toks)].lower  # "“…,” she said shortly before the vote"
    if first.endswith("ing"):
        return True  # "“…,” Clinton said answering a question"
    if first in doc.lex.stop_words:
        return True  # "— заявил Песков журналистам в понедельник"
    return (
        first in ADJUNCT_WORDS
        or first in PREPOSITIONS  # "“…,” Tenney said about the ads."
        or first in _PLACE_PREPOSITIONS  # "“…,” she told reporters outside the court."
        or first in ("and", "but", "as")
    )


def _direct_before(doc: _Doc, qi: int, q: Quote) -> Attribution | None:
    """``Peskov said: “…”``, ``said Peskov: “…”``, ``He replied: “No.”``, colon nouns."""
    text = doc.text
    ss, _ = doc.sentence(q.open)
    head = text[ss : q.open].rstrip()
    if not head:
        return None
    punct = head[-1]
    if punct not in ":," and punct not in _DASHES:
        return None
    tail = text[q.end : doc.sentence(q.end - 1)[1]].strip(_TRAILING + '”"»')
    if tail and not tail.startswith(("and ", "but ", "before ", "after ", "as ", "while ")):
        return None  # the sentence goes on after the quote: not a plain direct quote
    head_end = ss + len(head) - 1
    cands = [ci for ci in doc.cues_between(ss, head_end) if ci not in doc.used_cues]
    parts = [(q.inner_start, q.inner_end)]
    marked = [(q.open, q.end)]
    if cands and not (punct == ":" and doc.cues[cands[-1]].form in doc.lex.colon_nouns):
        ci = cands[-1]
        cue = doc.cues[ci]
        if punct != ":" and cue.cls not in ("speech", "tell", "cognition", "question"):
            return None  # "rejected this proposal as unacceptable, “…”": not a quotation
        gap = text[cue.end : head_end].strip()
        speaker = _subject_before(doc, ss, cue.start)
        if cue.cls == "source":
            speaker = _np_after(doc, cue.end, head_end, appositive=False)
        elif gap and speaker is None and cue.cls in ("speech", "cognition"):
            speaker = _np_after(doc, cue.end, head_end, appositive=True)
        elif gap and not _is_adjunct_gap(doc, cue, head_end):
            speaker = None if speaker is None else speaker
            if not _is_adjunct_gap(doc, cue, head_end):
                return None
        if speaker is None and _is_participle(doc, cue):
            speaker = _main_subject(doc, ss, cue.start)
        if speaker is None:
            return None
        doc.used_cues.add(ci)
        kind = "direct"
        if punct == "," and speaker[1] <= cue.start:
            # "No name change, he said, ''hides what it really is.''": the words before the
            # attribution belong to the statement too.
            lead = text[ss : speaker[0]].rstrip()
            bare = lead.rstrip("”\"’'»")
            first = bare.split(None, 1)[0].lower() if bare else ""
            if bare.endswith(",") and (
                lead != bare  # "But ''the more interesting issue,'' he added, ''is …''"
                or (len(bare.split()) >= 3 and first not in PREPOSITIONS | _INTRO_WORDS)
            ):
                pre_end = ss + len(bare) - 1
                pre_start = _clause_start(doc, ss, pre_end)
                if not _inside_used_quote(doc, pre_start):
                    parts.insert(0, (pre_start, pre_end))
                    marked.insert(0, (pre_start, ss + len(lead)))
                    kind = "mixed"
        return Attribution(
            kind, _clean_parts(text, parts), (cue.start, cue.end), cue.cls, speaker, marked
        )
    if punct != ":":
        return None
    # No reporting verb: "The spokesman gave a short but conclusive reply: “No.”"
    words = [t.lower for t in doc.tokens(max(ss, head_end - 80), head_end) if t.is_word]
    if not any(w in doc.lex.colon_nouns for w in words[-6:]):
        return None
    subj = _main_subject(doc, ss, head_end)
    if subj is None:
        return None
    cue_start = subj[1]
    while cue_start < head_end and text[cue_start].isspace():
        cue_start += 1
    if cue_start >= head_end:
        return None
    return Attribution(
        "direct", _clean_parts(text, parts), (cue_start, head_end), "speech", subj, marked
    )


def _inside_used_quote(doc: _Doc, pos: int) -> bool:
    i = bisect_right(doc.quote_opens, pos) - 1
    return i >= 0 and pos < doc.quotes[i].end and i in doc.used_quotes


def _is_adjunct_gap(doc: _Doc, cue: Cue, end: int) -> bool:
    """Between a cue and its quote: an addressee ("told reporters:") or adjuncts ("said on
    Monday:", "said in a statement:") - not an object ("rejected this proposal as …,")."""
    toks = [t for t in doc.tokens(cue.end, end) if t.is_word]
    if not toks:
        return True
    if len(toks) > _MAX_GAP_WORDS:
        return False
    if cue.cls in ("tell", "question"):
        return True
    if all(_ly_word(t.lower) for t in toks):
        return True  # "put it bluntly:", "said simply:"
    return _is_adjunct_start(toks)


def _is_adjunct_start(toks: list[Token]) -> bool:
    first = toks[0].lower
    if first in ("this", "last", "next", "that"):
        return len(toks) > 1 and toks[1].lower in TIME_NOUNS
    return first in ADJUNCT_WORDS


def _continuations(doc: _Doc, found: list[Attribution], kinds: tuple[str, ...]) -> None:
    """``“A,” he said. “B.”`` / ``He said A. “B.”``: a quote sentence right after an
    attribution continues it."""
    by_end = sorted(
        ((a.marked_parts[-1][1], a) for a in found if a.kind in kinds), key=lambda x: x[0]
    )
    ends = [e for e, _ in by_end]
    if doc.sentence_quotes is None:
        # Quotes that are a sentence of their own, found once for both passes.
        doc.sentence_quotes = [
            qi
            for qi, q in enumerate(doc.quotes)
            if qi not in doc.used_quotes
            and _starts_sentence(doc, q)
            and not doc.text[q.end : doc.sentence(q.end - 1)[1]].strip(_TRAILING + '”"»')
        ]
    for qi in doc.sentence_quotes:
        if qi in doc.used_quotes:
            continue
        q = doc.quotes[qi]
        i = bisect_right(ends, q.open) - 1
        if i < 0:
            continue
        att = by_end[i][1]
        # Same paragraph, and nothing but the attribution sentence in between.
        prev_end = att.cue[1] if att.cue[1] > att.marked_parts[-1][1] else att.marked_parts[-1][1]
        between = doc.text[prev_end : q.open]
        if len(between) > 200 or between.count("\n") > 2:
            continue
        if "\n" in between and not _quote_paragraph(doc, q):
            continue
        if not _only_attribution_between(doc, prev_end, q.open):
            continue
        words = len(doc.text[q.inner_start : q.inner_end].split(None, 2))
        if words < 2 or (words == 2 and doc.text[q.inner_end - 1] not in ".!?…"):
            continue  # "Related:" and other labels are not speech; "Bodies everywhere." is
        att.parts.append((q.inner_start, q.inner_end))
        att.marked_parts.append((q.open, q.end))
        if att.kind == "indirect":
            att.kind = "mixed"  # now with quoted words
        doc.used_quotes.add(qi)
        by_end[i] = (q.end, att)
        ends[i] = q.end


# Verbs of a sentence that introduces a speaker whose words follow in the next paragraph
# ("X spoke to state television after the round ended.\n\n“…”").
_INTRODUCING = re.compile(
    r"(?<![\w-])(?:spoke|speaking|told|said|says|wrote|added|explained|addressed|"
    r"in an? (?:interview|statement|speech|address|post|video))(?![\w-])"
)


def _introduced_quotes(doc: _Doc) -> list[Attribution]:
    """A quote that is a paragraph of its own, attributed by nothing, after a paragraph whose
    last sentence introduces a person speaking: the quote is that person's."""
    text = doc.text
    out: list[Attribution] = []
    for qi, q in enumerate(doc.quotes):
        if qi in doc.used_quotes or not _quote_paragraph(doc, q):
            continue
        para_start = text.rfind("\n", 0, q.open) + 1
        j = para_start - 1
        while j > 0 and text[j - 1] in " \t\r\n":
            j -= 1
        if j <= 0 or text[j - 1] not in ".:":
            continue
        ss, se = doc.sentence(j - 1)
        if doc.quotes_between(ss, se) or doc.quote_at(ss) is not None:
            continue  # the sentence has quotes of its own: not a plain introduction
        verb = _INTRODUCING.search(text, ss, se)
        if verb is None:
            continue
        subject = _main_subject(doc, ss, verb.start())
        if subject is None or not text[subject[0]].isupper():
            continue
        gap = text[subject[1] : verb.start()].strip()
        if gap.startswith(",") and gap.endswith(",") and len(gap) < 120:
            end = verb.start()
            while text[end - 1] in " ,":
                end -= 1
            subject = (subject[0], end)  # with its appositive, as for a cue
        elif gap:
            continue  # the subject must be the verb's own
        words = len(text[q.inner_start : q.inner_end].split(None, 3))
        if words < 3:
            continue
        doc.used_quotes.add(qi)
        out.append(
            Attribution(
                "direct",
                [(q.inner_start, q.inner_end)],
                verb.span(),
                "speech",
                subject,
                [(q.open, q.end)],
            )
        )
    return out


def _quote_paragraph(doc: _Doc, q: Quote) -> bool:
    """Whether ``q`` is a whole paragraph (it continues the previous speaker)."""
    text = doc.text
    start = text.rfind("\n", 0, q.open) + 1
    end = text.find("\n", q.end)
    end = len(text) if end < 0 else end
    return text[start : q.open].strip() == "" and text[q.end : end].strip(_TRAILING) == ""


def _only_attribution_between(doc: _Doc, start: int, end: int) -> bool:
    """Between the last part and the next quote: the rest of the attribution sentence only."""
    _, se = doc.sentence(start)
    if se < end and doc.text[se:end].strip() != "":
        return False
    # Only the attribution itself ("Hannity said.") - not "…, remarking that …".
    between = doc.text[start:end]
    return len(between.split()) <= 60 and not any(
        doc.cues[ci].form.endswith("ing") for ci in doc.cues_between(start, end)
    )


# -- indirect speech --------------------------------------------------------------------------


def _indirect(doc: _Doc, ci: int, cue: Cue) -> Attribution | None:
    text = doc.text
    ss, se = doc.sentence(cue.start)
    # Inside the sentence, a preceding quote closes off the left context.
    floor = ss
    q = doc.quote_at(cue.start - 1) if cue.start > 0 else None
    if q is not None and q.end <= cue.start:
        floor = q.end
    content_end = _content_end(text, ss, se)
    if cue.cls == "source":
        return _according_to(doc, cue, ss, se, content_end)
    if _CLAIMED_AS.match(text, cue.start):
        return None  # "the four regions it claims as its own": ownership, not speech
    prefix = text[ss : cue.start].rstrip()
    # "As Peskov said, …" / "Как заявил Лавров, …": the as-clause opens the sentence.
    opener = _as_opening(doc, cue, ss, se)
    if opener is not None:
        return opener
    inside = _as_inside(doc, cue, ss, se, floor)
    if inside is not None:
        return inside
    # "…, Kremlin spokesman Dmitry Peskov has said." / "…, said Peskov." - unless the cue has
    # its own that-clause ("Last week, the Post reported, citing X, that …").
    if not _has_complementizer(doc, cue.end, content_end):
        post = _post_position(doc, cue, ss, se, floor)
        if post is not None:
            return post
    speaker: tuple[int, int] | None
    if cue.cls == "passive":
        speaker = _subject_before(doc, floor, cue.start)
    elif cue.passive:
        speaker = _by_agent(doc, cue.end, se)
        if speaker is None:
            return None
    elif prefix.rstrip("”\"’'»").endswith(",") and _is_participle(doc, cue):
        # "…,” she said, adding that …": the speaker of the sentence's attribution; else the
        # subject of the main clause ("Mook refused to speculate, adding that …"; the comma
        # may sit inside a closing quote mark: "called the “Golden Week,” saying that …").
        speaker = doc.sentence_speaker.get(ss) or _main_subject(doc, ss, cue.start)
    else:
        speaker = _subject_before(doc, floor, cue.start)
        if speaker is None and _coordinated(prefix):
            # "Trump joked …, declined … and told his audience …": the clause subject speaks;
            # the sentence's first speaker when one was found ("Its director, Pieter Kramer,
            # told … and warned that …": the appositive's name too); after "…, while Moscow
            # said …", the subject of that clause
            speaker = (
                doc.clause_speaker.get(ss)
                or doc.sentence_speaker.get(ss)
                or _main_subject(doc, ss, cue.start)
            )
        if speaker is None and _is_participle(doc, cue):
            speaker = _adverbial_participle_subject(doc, cue, ss)
    if speaker is None:
        return None
    start_after = speaker[1] if cue.passive and speaker[0] > cue.end else cue.end
    content = _content_after(doc, cue, start_after, se, content_end)
    if content is None:
        return None
    c_start, c_end, marked_start = content
    lead = 4 if text.startswith("not to be ", c_start) else 0
    if (
        text.startswith("to be ", c_start + lead)
        and _word_at(text, c_start + lead + 6) in _ANONYMITY
    ):
        # "who declined to be named said …", "asking not to be named": the anonymity, not a
        # statement
        return None
    particle = _CUE_PARTICLE.match(text, cue.end, c_end)
    if particle is not None and particle.start(1) == c_start == marked_start:
        # "warned of …", "railed against …": the preposition belongs to the cue
        c_start = particle.end()
        cue_span = (cue.start, particle.end(1))
        return _make(doc, cue_span, speaker, [(c_start, c_end)], [(c_start, c_end)], cue.cls)
    return _make(doc, cue, speaker, [(c_start, c_end)], [(marked_start, c_end)])


def _adverbial_participle_subject(doc: _Doc, cue: Cue, ss: int) -> tuple[int, int] | None:
    """ "… pressured them to stop by threatening their funding sources", "… while emphasizing
    it is not an endorsement": the participle of an adverbial clause reports what the subject
    of the main clause says."""
    text = doc.text
    prev = _prev_word(text, cue.start)
    if prev.lower() not in _PARTICIPLE_PREPOSITIONS:
        return None
    prep = text.rfind(prev, ss, cue.start)
    if prep <= ss or text[ss:prep].strip() == "":
        return None  # the clause opens the sentence: its subject comes after it
    return doc.sentence_speaker.get(ss) or _main_subject(doc, ss, prep)


_PARTICIPLE_PREPOSITIONS = wordset("by while")


_ANONYMITY = frozenset({"named", "identified", "quoted", "drawn"})


def _word_at(text: str, pos: int) -> str:
    end = pos
    while end < len(text) and text[end].isalpha():
        end += 1
    return text[pos:end].lower()


_CUE_PARTICLE = re.compile(r"[ \t]+(about|against|of|for|with)[ \t]+")


def _coordinated(prefix: str) -> bool:
    words = prefix[-8:].rsplit(None, 1)
    return bool(words) and words[-1].lower() in ("and", "but", "or", "then")


def _make(
    doc: _Doc,
    cue: Cue | tuple[int, int],
    speaker: tuple[int, int] | None,
    parts: list[tuple[int, int]],
    marked: list[tuple[int, int]],
    cls: str = "",
) -> Attribution | None:
    text = doc.text
    parts = [p for p in _clean_parts(text, parts) if p[1] > p[0]]
    if not parts:
        return None
    # At least two words of content: "said." or "said so" are not statements.
    if _fewer_than_two_words(text, parts) and not _is_whole_quote(doc, parts):
        return None
    kind = _kind(doc, parts)
    if isinstance(cue, Cue):
        span = (cue.start, cue.end)
        cls = cue.cls
    else:
        span = cue
    if kind == "direct":
        q = doc.quote_at(parts[0][0])
        if q is not None:
            parts = [(q.inner_start, q.inner_end)]
            marked = [(q.open, q.end)]
    return Attribution(kind, parts, span, cls, speaker, marked)


def _fewer_than_two_words(text: str, parts: list[tuple[int, int]]) -> bool:
    words = 0
    for s, e in parts:
        # maxsplit: a long content need not be split into all of its words to count two
        words += min(2, len(text[s:e].split(None, 2)))
        if words >= 2:
            return False
    return True


def _is_whole_quote(doc: _Doc, parts: list[tuple[int, int]]) -> bool:
    q = doc.quote_at(parts[0][0])
    return q is not None and q.inner_start >= parts[0][0] - 1 and q.end >= parts[-1][1]


def _kind(doc: _Doc, parts: list[tuple[int, int]]) -> str:
    s, e = parts[0][0], parts[-1][1]
    inner = doc.quotes_between(s - 1, e + 1)
    if not inner:
        q = doc.quote_at(s)
        if q is not None and q.open < s and q.end >= e:
            return "direct"
        return "indirect"
    if len(inner) == 1:
        q = inner[0]
        if q.open <= s and doc.text[q.end : e].strip(_TRAILING + '”"»') == "":
            return "direct"
    return "mixed"


def _content_end(text: str, ss: int, se: int) -> int:
    end = se
    while end > ss and text[end - 1] in " \t\r\n.!?…;:":
        end -= 1
    if end < se and text[end] == "." and _abbreviation_before(text, end, ss):
        end += 1  # "… against the U.S.", "… in San Bernardino, Calif.": the word's own stop
    return end


def _abbreviation_before(text: str, dot: int, floor: int) -> bool:
    """Whether the full stop at ``dot`` belongs to the word before it: a dotted abbreviation
    ("U.S.", "D.C.") or a capitalised one ("Calif.", "Inc.", "Jr."), which keep it even at a
    sentence's end (a lower-case "no." or "etc." is left to end the sentence)."""
    i = dot
    while i > floor and (text[i - 1].isalnum() or text[i - 1] == "."):
        i -= 1
    word = text[i:dot]
    if len(word) < 2 or not word[0].isupper():
        return False
    return ("." in word and len(word) <= 6) or word.lower() in ABBREVIATIONS


def _clean_parts(text: str, parts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s, e in parts:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        # "(Trump has said he would win.)": the bracket closes one opened before the content
        while e > s and text[e - 1] == ")" and text.count("(", s, e) < text.count(")", s, e):
            e -= 1
            while e > s and text[e - 1] in " \t\r\n.!?…;:,":
                e -= 1
        out.append((s, e))
    return out


def _according_to(doc: _Doc, cue: Cue, ss: int, se: int, content_end: int) -> Attribution | None:
    text = doc.text
    before = text[ss : cue.start].rstrip()
    if not before or before.strip(" \t" + _DASHES) == "":
        # "According to X, CONTENT." - the source runs to the first comma.
        comma = text.find(",", cue.end, content_end)
        if comma < 0 or len(text[cue.end : comma].split()) > 25:
            return None
        source = _trim_span(text, cue.end, comma)
        if source is None:
            return None
        return _make(doc, cue, source, [(comma + 1, content_end)], [(comma + 1, content_end)])
    source = _np_after(doc, cue.end, se, appositive=False)
    if source is None:
        return None
    # "CONTENT, according to X." / "CONTENT according to X" (mid-sentence: the clause before)
    c_end = ss + len(before) - (1 if before.endswith(",") else 0)
    c_start = _clause_start(doc, ss, c_end)
    tail = text[source[1] : content_end]
    src_end = content_end
    while src_end > source[1] and text[src_end - 1] in "”\"’')":
        src_end -= 1
    if (
        tail.strip()
        and len(tail.split()) <= 16
        and not any(ch in tail for ch in ',;:“"(')
        and not doc.cues_between(source[1], src_end)
    ):
        # "…, according to the poll released Wednesday.": the source runs to the sentence end
        source = (source[0], src_end)
    return _make(doc, cue, source, [(c_start, c_end)], [(c_start, c_end)])


def _trim_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _clause_start(doc: _Doc, ss: int, end: int) -> int:
    """Content of a trailing attribution starts at the sentence start (after a leading dash)."""
    text = doc.text
    j = ss
    while j < end and (text[j].isspace() or text[j] in _DASHES):
        j += 1
    dateline = _DATELINE.match(text, j, end)
    if dateline is not None:
        j = dateline.end()
    return j


def _post_position(doc: _Doc, cue: Cue, ss: int, se: int, floor: int) -> Attribution | None:
    """``CONTENT, X said.`` or ``CONTENT, said X.`` at the end of a sentence."""
    text = doc.text
    if cue.cls not in ("speech", "cognition", "tell", "passive", "question", "evidence"):
        return None
    if cue.passive and _by_agent(doc, cue.end, se) is None:
        return None  # "…, Clinton was asked": the one asked is not the speaker
    before = text[ss : cue.start].rstrip()
    # "They ''had chemistry,'' said X": the comma sits inside a closing quote mark
    unquoted = before.rstrip("”\"’'»")
    speaker: tuple[int, int] | None = None
    if unquoted.endswith(",") or (before and before[-1] in _DASHES):
        if cue.cls in ("tell",) and not cue.passive:
            return None
        # Inverted: ", said Peskov."
        comma = ss + len(before) - (1 if before[-1] in "," + _DASHES else 0)
        speaker = _np_after(doc, cue.end, se, appositive=True)
        if speaker is None:
            if text[cue.end : se].strip(" .\n") or not unquoted.endswith(","):
                return None
            # "…, Dmytro Lubinets, Ukraine's ombudsman, said.": nothing after the cue, so
            # the comma before it closes the subject's appositive; the subject speaks
        else:
            first = doc.text[speaker[0] : speaker[0] + 12].split(None, 1)[0].lower()
            if first in _NOT_INVERTED_SPEAKER or first in PREPOSITIONS or _ly_word(first):
                # "X, the chief strategist, said just after midnight", "…, said he fully
                # supports": not inverted; the subject before the comma speaks
                speaker = None
            elif _appositive_opens_sentence(doc, floor, ss, cue):
                # "Rep. Chris Collins, a Trump supporter, said campaign strategists plan …":
                # all before the cue is a speaker and its appositive, not content; what
                # follows the cue is
                return None
        rest = cue.end if speaker is None else speaker[1]
    if speaker is None:
        subj = _subject_before(doc, floor, cue.start)
        if subj is None:
            return None
        lead = text[ss : subj[0]].rstrip()
        # "…, the minister said" or "“… workforce,” he says" (comma inside the quote)
        bare = lead.rstrip("”\"’'»")
        if not bare or bare[-1] not in "," + _DASHES:
            return _as_ending(doc, cue, subj, ss, se, lead)
        comma = ss + len(lead) - 1 if lead[-1] in "," + _DASHES else ss + len(lead)
        speaker = subj
        rest = cue.end
    if cue.cls in ("tell", "question") and speaker[1] <= cue.start:
        addressee = _np_after(doc, cue.end, se, appositive=False)
        if addressee is not None:
            rest = addressee[1]
    as_word = _prev_word(text, speaker[0] if speaker[1] <= cue.start else cue.start).lower()
    if as_word in doc.lex.as_words:
        return _as_clause(doc, cue, speaker, ss, se, rest)
    if not _is_adjunct_tail(doc, cue, rest, se):
        return None
    c_start = _clause_start(doc, ss, comma)
    c_end = comma
    while c_end > c_start and text[c_end - 1] in " ," + _DASHES:
        c_end -= 1
    if c_end <= c_start:
        return None
    if text[c_end - 1] in _QUOTE_CLOSERS:
        # "Clinton seemed irritated: “It's a public statement,” she wrote.": the words before
        # the colon are the writer's, the quotation after it is what was said.  Not after a
        # cue of its own ("Trump said: “…,” CNN reported"): the quotation is that cue's
        for m in _COLON_QUOTE.finditer(text, c_start, c_end):
            colon = m.start()
            if not any(
                c_start <= c.start and c.end <= colon + 1 and not text[c.end : colon].strip()
                for c in doc.cues
            ):
                c_start = m.end()
    parts = [(c_start, c_end)]
    # "A, he said, B." / "A, his aides argued; rather, B": the content goes on after it.
    after = _continued_content(doc, rest, se)
    if after is not None:
        parts.append(after)
    first = text[c_start:c_end].split(None, 1)[0].lower()
    # "Last week, the Post reported" - an adverbial, not content.  But in "In any case, he
    # said, the industry was …" the attribution interrupts a clause the adverbial opens, and
    # the content runs from the sentence start (PolNeAR: parts around the attribution);
    # before a quotation the quoted words alone are the content ("After all, he says, “…”").
    if (
        len(text[c_start:c_end].split()) <= 3
        and first.strip('“"') in _LEADING_ADVERBS
        and (after is None or text[after[0]] in _OPENING_MARKS)
    ):
        return None
    return _make(doc, cue, speaker, parts, list(parts))


def _appositive_opens_sentence(doc: _Doc, floor: int, ss: int, cue: Cue) -> bool:
    """Whether all that precedes the cue in its sentence is a subject with an appositive or
    a relative clause ("X, a Y,", "X, who …,"), after at most a short opening adverbial
    ("Earlier this week, X, who …,")."""
    text = doc.text
    subj = _subject_before(doc, floor, cue.start)
    if subj is None or text[subj[1] : cue.start].strip(" ,") != "":
        return False
    if not _has_any(text, subj[0], subj[1], "," + _DASHES):
        return False
    lead = text[ss : subj[0]].strip()
    return lead == "" or (lead.endswith(",") and len(lead.split()) <= 4)


def _as_clause(
    doc: _Doc, cue: Cue, speaker: tuple[int, int], ss: int, se: int, rest: int
) -> Attribution | None:
    """``…, as The New York Times reported on Tuesday, and he will …`` / ``As X said, …``:
    the attributed content is the main clause after the as-clause (or before it)."""
    text = doc.text
    comma = text.find(",", rest, se)
    if comma >= 0:
        start = comma + 1
        while start < se and (text[start].isspace() or text[start : start + 4] == "and "):
            start += 4 if text[start : start + 4] == "and " else 1
        end = _content_end(text, start, se)
        if len(text[start:end].split()) >= 3:
            return _make(doc, cue, speaker, [(start, end)], [(start, end)])
    return None


def _as_inside(doc: _Doc, cue: Cue, ss: int, se: int, floor: int) -> Attribution | None:
    """``The talks, as Peskov put it on Monday, are moving forward slowly.``: an as-clause
    between commas, with adjuncts at most after its cue, reports the sentence around it."""
    text = doc.text
    if cue.cls not in ("speech", "cognition", "tell", "question", "evidence") or cue.passive:
        return None
    comma = text.find(",", cue.end, se)
    if comma < 0:
        return None  # "A, as the minister put it.": the as-clause ends the sentence
    subj = _subject_before(doc, floor, cue.start)
    if subj is None:
        return None
    lead = text[ss : subj[0]].rstrip()
    as_word = lead.rsplit(None, 1)[-1] if lead else ""
    if as_word.lower() not in doc.lex.as_words:
        return None
    before = lead[: len(lead) - len(as_word)].rstrip()
    if not before.endswith(","):
        return None
    if not _is_adjunct_tail(doc, cue, cue.end, se):
        return None  # "as Peskov said the talks …": a clause of the cue's own
    after = _continued_content(doc, comma, se)
    if after is None or _has_any(text, after[0], after[1], '“"«„'):
        # 'The plan, as the envoy put it, is "a starting point"': a quotation is the
        # content, as the quotation rules find it
        return None
    c_start = _clause_start(doc, ss, ss + len(before))
    c_end = ss + len(before)
    while c_end > c_start and text[c_end - 1] in " ,":
        c_end -= 1
    words = text[c_start:c_end].split()
    while words and words[0].lower() in _AS_INSIDE_CONJUNCTIONS:
        # "But the harder part, as X said, is …": the conjunction links to the sentence before
        c_start = text.index(words[0], c_start) + len(words[0])
        words = words[1:]
    if (
        not words
        or _has_any(text, c_start, c_end, ",;:" + _DASHES)
        or words[0].lower() in _CONTEXT_OPENERS
        or words[0].lower() in _AS_INSIDE_SUBORDINATORS
        or " ".join(words).lower() in _SENTENCE_ADVERBIALS
        or words[0].lower() in _LEADING_ADVERBS
        or words[0].lower() in doc.lex.complementizers
        or words[-1].lower() in PREPOSITIONS
        or words[-1].lower() in doc.lex.complementizers
    ):
        # what precedes is an adverbial ("However, as …"), a clause of its own ("If prices
        # fall, as …", "given that, as …") or a phrase the as-clause interrupts ("who owes
        # his job to, as …"): not the fronted subject of the content
        return None
    c_start = text.index(words[0], c_start)
    parts = [(c_start, c_end), after]
    return _make(doc, cue, subj, parts, list(parts))


_AS_INSIDE_CONJUNCTIONS = wordset("and but or so yet")
_AS_INSIDE_SUBORDINATORS = wordset("if unless because whether")
_SENTENCE_ADVERBIALS = frozenset(
    {"of course", "in fact", "after all", "at least", "in short", "in other words"}
    | {"by contrast", "for example", "for instance", "in turn", "above all", "in any case"}
)


def _as_ending(
    doc: _Doc, cue: Cue, speaker: tuple[int, int], ss: int, se: int, lead: str
) -> Attribution | None:
    """``A “…,” as the minister put it.``: an as-clause that ends the sentence reports what
    comes before it."""
    text = doc.text
    as_word = lead.rsplit(None, 1)[-1] if lead else ""
    if as_word.lower() not in doc.lex.as_words:
        return None
    rest = doc.tokens(cue.end, se)
    if rest and any(t.is_word for t in rest[_time_adjunct(rest) :]):
        return None  # the as-clause must end the sentence ("… on Tuesday." at most)
    before = lead[: len(lead) - len(as_word)].rstrip()
    if not before.rstrip("”\"’'»").endswith(","):
        return None
    c_start = _clause_start(doc, ss, ss + len(before))
    c_end = ss + len(before)
    while c_end > c_start and text[c_end - 1] in " ,":
        c_end -= 1
    if len(text[c_start:c_end].split()) < 3:
        return None
    return _make(doc, cue, speaker, [(c_start, c_end)], [(c_start, c_end)])


def _as_opening(doc: _Doc, cue: Cue, ss: int, se: int) -> Attribution | None:
    head = doc.text[ss : ss + 12].split(None, 1)
    if not head or head[0].lower() not in doc.lex.as_words:
        return None  # cheap test first: most sentences do not open with "As"
    toks = doc.tokens(ss, cue.start)
    words = [t for t in toks if t.is_word]
    if not words or words[0].lower not in doc.lex.as_words or len(words) > 8:
        return None
    if len(words) > 1:
        speaker = _subject_before(doc, words[1].start, cue.start)  # "As Peskov said,"
        rest = cue.end
    else:
        speaker = _np_after(doc, cue.end, se, appositive=False)  # "Как заявил Лавров,"
        rest = speaker[1] if speaker else cue.end
    if speaker is None:
        return None
    return _as_clause(doc, cue, speaker, ss, se, rest)


def _continued_content(doc: _Doc, pos: int, se: int) -> tuple[int, int] | None:
    """After a mid-sentence attribution (", he said, …") the rest of the sentence, unless a
    new attribution starts there (", adding that …")."""
    text = doc.text
    j = pos
    while j < se and text[j] in " \t":
        j += 1
    if j >= se or text[j] not in ",;":
        return None
    j += 1
    end = _content_end(text, j, se)
    span = _trim_span(text, j, end)
    if span is None or len(text[span[0] : span[1]].split()) < 3:
        return None
    for ci in doc.cues_between(span[0], min(span[1], span[0] + 40)):
        # ", also noting that …" starts a new attribution; "CNN, Cruz said, called it …"
        # goes on with the clause the attribution interrupted
        other = doc.cues[ci]
        if doc.text[span[0] : other.start].strip() == "" and other.form.endswith("ing"):
            return None
    first = text[span[0] : span[1]].split(None, 1)[0].lower()
    if first in ("and", "but") or first.endswith("ing") or first in _CONTEXT_OPENERS:
        return None  # ", officials said, as the two sides try to …": the writer's context
    return span


_CONTEXT_OPENERS = wordset("as while amid after before when since although though despite with")


def _is_adjunct_tail(doc: _Doc, cue: Cue, pos: int, se: int) -> bool:
    """After a trailing attribution: adjuncts only ("on Monday", "in a statement")."""
    text = doc.text
    rest = text[pos:se].strip(_TRAILING + '”"»')
    if not rest:
        return True
    stripped = text[pos:se].lstrip()
    if stripped[:1] == ",":
        return True  # ", adding …", ", citing …": a new clause begins
    comma = text.find(",", pos, se)  # "said on Monday, confirming …": the same after the adjunct
    toks = [t for t in doc.tokens(pos, se if comma < 0 else comma) if t.is_word]
    if not toks:
        return True
    if len(toks) > _MAX_GAP_WORDS:
        return False
    k = _after_adverbs(toks)  # "said just after midnight", "said shortly before the vote"
    first = toks[k].lower
    if first in doc.lex.complementizers:
        return False
    if not (first in ADJUNCT_WORDS or first in PREPOSITIONS or first in doc.lex.stop_words):
        return False
    # "…, said the gap on Donetsk remained the core obstacle": a finite verb before any clause
    # word means a clause follows, not adjuncts
    for tok in toks[k + 1 :]:
        if tok.lower in CLAUSE_WORDS:
            break
        if _looks_verb(tok, 1):
            return False
    return True


def _content_after(
    doc: _Doc, cue: Cue, pos: int, se: int, content_end: int
) -> tuple[int, int, int] | None:
    """Content of a cue-first attribution: (start, end, start with complementizer)."""
    text = doc.text
    if pos >= content_end:
        return None
    j = pos
    while j < content_end and text[j].isspace():
        j += 1
    if j < content_end and text[j] == ":":
        j += 1
        return (j, content_end, j)
    if j < content_end and text[j] == ",":
        j += 1
        while j < content_end and text[j].isspace():
            j += 1
        if _word_at(text, j) in _OPENING_CONJUNCTIONS:
            return None  # "… if attacks continued, but stressed that …": a second predicate
    comp = _complementizer(doc, j, content_end)
    if comp is not None and not _relative_that(doc, cue, j, comp.start):
        start = comp.end
        return (start, _cut_at_next_attribution(doc, cue, start, content_end), comp.start)
    toks = doc.tokens(j, min(content_end, j + 160))
    if not toks:
        return None
    if toks[0].lower in _TIME_ADJUNCT_OPENERS:
        # "Iran said on Sunday it would not negotiate": the time adjunct is not content
        skip = _time_adjunct(toks)
        if (
            skip
            and skip < len(toks)
            and (
                _clause_opener(toks[skip])
                or _existential(toks, skip)
                or (cue.cls == "tell" and _infinitive(toks, skip))
            )
        ):
            # "promised on Tuesday to end the blockade": the infinitive is what was promised
            toks = toks[skip:]
    if (
        cue.cls == "speech"
        and toks[0].lower in ("in", "on")
        and not (
            cue.form.endswith("ed") and _prev_word(text, cue.start).lower() in doc.lex.source_nouns
        )
    ):
        # "noted in an op-ed Thursday, the leading candidate …", "said on CNN he would …":
        # the document or medium is where it was said, not what ("a statement posted on X,
        # she said …" is a document and the participle describing it)
        skip = _medium_adjunct(doc, toks)
        if skip:
            toks = toks[skip:]
    if (
        not toks[0].is_word
        and toks[0].text not in '“"«‘'
        and not text.startswith("''", toks[0].start)  # the typewriter quote of some papers
    ):
        return None
    first = toks[0].lower
    if (
        (first in PREPOSITIONS or first in _PLACE_PREPOSITIONS)
        and first not in _CONTENT_PREPOSITIONS.get(cue.cls, ())
        and not (first in _APPROXIMATORS and len(toks) > 1 and toks[1].text[:1].isdigit())
    ):
        # "those already agreed in Istanbul": an adjunct, not what was said ("said around
        # 2,000 fighters had registered": a number, the subject of what was said)
        return None
    if first in _MANNER_ADVERBS and sum(t.is_word for t in toks) <= 3:
        return None  # "while fighting continued further north": the verb is no cue here
    start = toks[0].start
    if cue.cls == "tell" and first == "to":
        pass  # "has promised to build a wall": what is promised is the infinitive
    elif cue.cls == "tell":
        # "told reporters the talks …": skip the addressee.
        addressee = _np_after(doc, start, content_end, appositive=False)
        if addressee is None:
            return None
        start = addressee[1]
        while start < content_end and text[start] in " \t,":
            start += 1
        rest = doc.tokens(start, content_end)
        if rest and not any(t.is_word for t in rest[_time_adjunct(rest) :]):
            return None  # "would brief President Trump on Thursday": no content, a date
    elif cue.cls == "question":
        # "asked Clinton whether …": the question starts after the addressee
        for k, tok in enumerate(toks[1:7], 1):
            if tok.lower in _QUESTION_OPENERS:
                if all(t.is_word and t.lower not in CLAUSE_WORDS for t in toks[:k]):
                    start = tok.start
                break
    return (start, _cut_at_next_attribution(doc, cue, start, content_end), start)


#: Prepositions of place and time the shared list lacks ("fighting continued along the front")
_PLACE_PREPOSITIONS = wordset(
    "along across around throughout inside outside behind beyond toward towards until amid past"
)
#: Adverbs that, with a word or two after them, show a verb of saying used without what was
#: said ("continued unabated", "continued further north"); "said further exchanges were …"
#: keeps its content.
_MANNER_ADVERBS = wordset("further farther elsewhere nearby unabated apace overnight unchecked")
#: Prepositions that also approximate a number ("around 2,000", "over 50 people")
_APPROXIMATORS = wordset("around about over under nearly almost some roughly")
_QUESTION_OPENERS = wordset("whether if what how why who when where which")
_TIME_ADJUNCT_OPENERS = wordset("on last this earlier late") | WEEKDAYS
_DAY_PARTS = wordset("morning afternoon evening night")


def _time_adjunct(toks: list[Token]) -> int:
    """Tokens of a leading time adjunct: "on Sunday", "last week", "on Monday evening,"."""
    k = 1 if toks[0].lower in ("on", "last", "this", "earlier", "late") else 0
    if k >= len(toks) or not (toks[k].lower in WEEKDAYS or toks[k].lower in TIME_NOUNS):
        return 0
    k += 1
    if k < len(toks) and toks[k].lower in _DAY_PARTS:
        k += 1
    if k < len(toks) and toks[k].text == ",":
        k += 1
    return k


def _medium_adjunct(doc: _Doc, toks: list[Token]) -> int:
    """Tokens of a leading "in"/"on" adjunct naming where something was said ("in a
    statement", "in an op-ed Thursday,", "on CNN"), when a clause or a quotation follows it;
    0 otherwise.  The phrase is a few words ending in a document noun of the lexicon or a
    name, with a date after it at most."""
    source_nouns = doc.lex.source_nouns
    k = 1
    medium = False
    while k < len(toks) and k <= 6:
        tok = toks[k]
        if not tok.is_word or tok.lower in CLAUSE_WORDS or tok.lower in PERSONAL_PRONOUNS:
            break
        if (
            tok.lower in ("on", "last", "this")
            and k + 1 < len(toks)
            and (toks[k + 1].lower in WEEKDAYS or toks[k + 1].lower in TIME_NOUNS)
        ):
            k += 1  # "in a radio interview on Friday": the date follows
            break
        if tok.lower in PREPOSITIONS:
            return 0  # "in Smith's speech about Clinton, Cross said": too long to tell
        if tok.lower in WEEKDAYS or tok.lower in TIME_NOUNS:
            break
        medium = tok.lower in source_nouns or tok.capitalized
        k += 1
    if not medium or k >= len(toks):
        return 0
    if toks[k].lower in WEEKDAYS or toks[k].lower in TIME_NOUNS:
        k += 1
        if k < len(toks) and toks[k].lower in _DAY_PARTS:
            k += 1
    if k < len(toks) and toks[k].text == ",":
        k += 1
    if k >= len(toks):
        return 0
    tok = toks[k]
    if tok.text in '“"':
        # a quotation after a name is as often a title ("on ABC's “This Week”") as what was said
        return k if toks[k - 1].text == "," or toks[k - 1].lower in source_nouns else 0
    if _clause_opener(tok) and k + 1 < len(toks) and toks[k + 1].is_word:
        return k
    return 0


def _existential(toks: list[Token], k: int) -> bool:
    """An existential "there" opening a clause ("said on Friday there was no talk of …")."""
    return toks[k].lower == "there" and k + 1 < len(toks) and toks[k + 1].lower in _THERE_VERBS


_THERE_VERBS = wordset("is was are were has had have will would could may might must")


def _infinitive(toks: list[Token], k: int) -> bool:
    """Whether ``toks[k]`` opens an infinitive ("to end …", not "to reporters", "to the
    press")."""
    return (
        toks[k].lower == "to"
        and k + 1 < len(toks)
        and toks[k + 1].is_word
        and toks[k + 1].text.islower()
        and toks[k + 1].lower not in DETERMINERS
        and toks[k + 1].lower not in PERSONAL_PRONOUNS
    )


def _clause_opener(tok: Token) -> bool:
    """A word that can begin a clause's subject ("it", "the", "Russia")."""
    low = tok.lower
    return low in PERSONAL_PRONOUNS or low in DETERMINERS or (tok.is_word and tok.capitalized)


_CONTENT_PREPOSITIONS: dict[str, tuple[str, ...]] = {
    "intent": ("to", "for", "on"),
    "evaluate": ("to",),
    "speech": ("to", "about", "of", "against"),
    "cognition": ("about", "of", "to"),
    "question": ("about", "for", "to"),
    "tell": ("to",),
}


#: Cues whose object may be the one told before the "that" ("warned Moscow that …").
_ADDRESSEE_STEMS = ("warn", "advis", "caution", "convinc", "persuad", "notif", "show")
_OBJECT_MARKERS = _NOUN_MARKERS - frozenset({"this", "that", "these", "those"})


def _relative_that(doc: _Doc, cue: Cue, gap_start: int, that_start: int) -> bool:
    """Whether the "that" after a cue's object opens a relative clause of the object, not
    the content: "attacked loopholes that benefit others", "want policies that create
    revenue", "offered no proof that …" (the content is the whole object).  A cue that takes
    an addressee ("told reporters that", "warned the allies that") and adjuncts of time or
    place ("said in a statement that", "said last week that") leave the complementizer."""
    if gap_start >= that_start or cue.cls == "tell":
        return False
    if doc.text.startswith(_ADDRESSEE_STEMS, cue.verb_start):
        return False
    gap = doc.tokens(gap_start, that_start)
    if not gap:
        return False
    first = gap[0]
    low = first.lower
    if not first.is_word or not first.text.islower():
        return False
    if low in doc.lex.adverbs or low in PREPOSITIONS or low.endswith("ly") or low == "following":
        return False
    for t in gap:
        w = t.lower
        if not t.is_word or w in TIME_NOUNS or w in _GAP_TIME_WORDS or w in CLAUSE_WORDS:
            return False  # "said this week that", "recognized long ago that"
    if doc.cues_between(gap_start, that_start):
        return False  # "issued a statement saying that": the "that" is another cue's
    if low in _OBJECT_MARKERS:
        return True  # "rejected the notion that …": PolNeAR's content is the whole object
    if len(gap) <= 2 and gap[-1].lower in _COMPLEMENT_NOUNS:
        return False  # "expressed concern that …": a bare noun whose clause is the content
    return low not in DETERMINERS


_GAP_TIME_WORDS = wordset("ago last next quarter earlier later")
#: Nouns whose "that" clause is what they hold: after "expressed concern" the content is the
#: clause (PolNeAR's too), after "rejected the notion" the whole object.
_COMPLEMENT_NOUNS = wordset(
    """concern concerns notion idea confidence skepticism scepticism alarm fear fears hope
    hopes belief view assurance assurances assurance doubt doubts worry worries suggestion
    claim claims assertion argument expectation optimism frustration sense opinion"""
)


def _has_complementizer(doc: _Doc, pos: int, end: int) -> bool:
    return _complementizer(doc, pos, end) is not None


def _complementizer(doc: _Doc, pos: int, end: int) -> Token | None:
    """The complementizer ("that") opening a cue's content after a short gap of adjuncts, an
    addressee or a parenthetical ("told reporters on Monday that", "reported, citing X, that")."""
    end = min(end, pos + 160)
    key = (pos, end)
    if key not in doc.complementizer_memo:
        doc.complementizer_memo[key] = _complementizer_uncached(doc, pos, end)
    return doc.complementizer_memo[key]


def _complementizer_uncached(doc: _Doc, pos: int, end: int) -> Token | None:
    lowered, lower_re = doc.lowered, doc.lex.complementizer_lower_re
    if lowered is not None and lower_re is not None:
        if lower_re.search(lowered, pos, end) is None:
            return None  # fast path: no complementizer in reach
    elif doc.lex.complementizer_re.search(doc.text, pos, end) is None:
        return None
    toks = doc.tokens(pos, end)
    for k, tok in enumerate(toks[: _MAX_GAP_WORDS + 4]):
        low = tok.lower
        if (
            low == "to"
            and k > 0
            and k + 1 < len(toks)
            and toks[k + 1].text.islower()
            and toks[k + 1].lower not in DETERMINERS
        ):
            return None  # "urged both sides to avoid steps that could …": the infinitive's
        if low in doc.lex.complementizers:
            if k > 0 and toks[k - 1].lower in PREPOSITIONS:
                return None  # "pledged to stay through that contest": a determiner
            if k <= _MAX_GAP_WORDS and all(
                _gap_word(doc, t) or _noun_after_article(toks, m) or _preposition_use(toks, m)
                for m, t in enumerate(toks[:k])
            ):
                return tok
            return None
        if (
            low in CLAUSE_WORDS
            and k > 0
            and low not in doc.lex.adverbs
            and not _preposition_use(toks, k)
        ):
            return None
    return None


def _gap_word(doc: _Doc, tok: Token) -> bool:
    low = tok.lower
    if not tok.is_word:
        return tok.text in ",()’'-"
    if low in doc.lex.adverbs:
        return True
    if low in doc.lex.np_verbs and low != "citing":
        # "refused to speculate …, adding that", "accused X of lying said that": the "that"
        # is another cue's
        return False
    return low not in CLAUSE_WORDS


def _preposition_use(toks: list[Token], m: int) -> bool:
    """ "after the final session", "before Monday's vote": a preposition, not a clause."""
    if toks[m].lower not in ("after", "before", "since") or m + 1 >= len(toks):
        return False
    nxt = toks[m + 1].lower
    return nxt in DETERMINERS or nxt in WEEKDAYS or nxt in TIME_NOUNS


def _noun_after_article(toks: list[Token], m: int) -> bool:
    """An -ing word after an article (and one or two modifiers) is a noun: "told a weekly briefing
    in Doha that …"; a bare verb form right after one is an adjective or a noun: "said in a
    brief statement that …"."""
    if not toks[m].lower.endswith("ing"):
        return m >= 1 and toks[m - 1].lower in ("a", "an", "the")
    return any(
        m - back >= 0
        and toks[m - back].lower in ("a", "an", "the")
        and all(t.is_word for t in toks[m - back + 1 : m])
        for back in (1, 2, 3)
    )


def _cut_at_next_attribution(doc: _Doc, cue: Cue, start: int, end: int) -> int:
    """Stop content before a later ``, X said`` / ``, adding …`` in the same sentence."""
    text = doc.text
    # The first few later cues decide; more would make long cue-dense sentences quadratic.
    for ci in doc.cues_between(start, end)[:_MAX_LATER_CUES]:
        other = doc.cues[ci]
        before = text[start : other.start].rstrip()
        if before.endswith(",") or before[-1:] in _DASHES:
            return start + len(before) - 1
        cut = _coordination_cut(start, before)
        if cut is not None:
            return cut
        subj = _subject_before(doc, start, other.start)
        if subj is not None and _word_at(text, subj[0]) in ("who", "which"):
            continue  # "… that Zelensky, who for years refused any talks, is now …": inside
        if subj is not None:
            lead = text[start : subj[0]].rstrip()
            if lead.endswith(","):
                return start + len(lead) - 1
            cut = _coordination_cut(start, lead)
            if cut is not None:
                return cut
    return end


_CONJUNCTIONS = (" and", " but", " while", " whereas")
_WRITER_COMMENTS = (
    ", even as ",
    ", a sign ",
    ", in a sign ",
    ", the first sign ",
    ", the latest sign ",
    # "a meeting the Kremlin called constructive but which ended without agreement": the
    # second relative clause is the writer's, about the meeting
    " but which ",
)


# After the short object of a stance, plan or thought ("endorsed the deal", "wants a
# revolution", "blamed the incident on hackers"), a clause of the writer's own: ", but they
# go with it anyway", ", while others …", ", even though …", or a second predicate of the
# speaker ("… but has spoken against him").  PolNeAR ends the object there (on train the cut
# fixes 21 ends and breaks 4); after a reported clause ("said that …, and …") it runs on
# (hundreds against a few), so only a short object without a complementizer or quote mark is
# cut, and only for the classes whose content may be an object.
_OBJECT_CLAUSE = re.compile(
    r",\s+(?:(?:and|but)\s+(?=(?:he|she|they|it|we|I|you|the|a|an|this|these|those|there|his"
    r"|her|their|its|our|others|many|some|most|[A-Z][a-z]+)\b(?!\s+(?:and|or)\b))"
    r"|while\s|whereas\s|although\s|though\s(?!not\b)|even\s+(?:though|if|as)\s)"
    r"|\s+but\s+(?=(?:is|was|are|were|will|would|has|had|have|did|does|could|can|also|later"
    r"|still|then)\b)"
)
# words of an object the cut applies to, up to the clause
_OBJECT_WORDS = 6


def _object_clause_end(doc: _Doc, att: Attribution) -> int:
    """Where a short object content ends before a clause that is not part of it (0: no
    cut)."""
    start, end = att.parts[0]
    text = doc.text
    if att.marked_parts and att.marked_parts[0][0] < start:
        return 0  # "that …" or a quotation: a reported clause, which runs on
    m = _OBJECT_CLAUSE.search(text, start, end)
    if m is None or m.start() <= start:
        return 0
    if text.count(" ", start, m.start()) >= _OBJECT_WORDS or doc.quote_at(m.start()) is not None:
        return 0
    return m.start()


def _coordination_cut(start: int, before: str) -> int | None:
    """``… and called …`` / ``…, and he added …`` / ``…, while others said …``: content ends
    before the conjunction."""
    if not before.endswith(_CONJUNCTIONS):
        return None
    for conj in _CONJUNCTIONS:
        if before.endswith(conj):
            head = before[: -len(conj)].rstrip()
            return start + len(head) - (1 if head.endswith(",") else 0)
    return None


# -- noun phrases ------------------------------------------------------------------------------


def _subject_before(doc: _Doc, floor: int, end: int) -> tuple[int, int] | None:
    key = (floor, end)
    if key in doc.subject_memo:
        return doc.subject_memo[key]
    found = _subject_before_uncached(doc, floor, end)
    doc.subject_memo[key] = found
    return found


def _subject_before_uncached(doc: _Doc, floor: int, end: int) -> tuple[int, int] | None:
    """The noun phrase that ends right before ``end`` (the cue): the subject of the cue.

    Walks left over words that can sit in a noun phrase and stops at clause words, finite
    verbs and punctuation.  ``Dmitry Peskov, the Kremlin spokesman, said`` keeps the
    appositive; ``who said`` returns ``who`` (resolved later to its antecedent); a cue that
    starts with a contracted auxiliary (``He’s saying``) has the pronoun before it.
    """
    text = doc.text
    if floor < end < len(text) and text[end] in "'’":
        k = end
        while k > floor and text[k - 1].isalpha():
            k -= 1
        return (k, end) if k < end else None
    when = None
    word_start = text.rfind(" ", max(floor, end - 12), end - 1) + 1
    if word_start > 0 and text[word_start:end].rstrip().lower() in _ADJUNCT_LAST_WORDS:
        when = _TIME_BEFORE_CUE.search(text, max(floor, end - 40), end)
    if when is not None and when.start() > floor and text[floor : when.start()].strip():
        # "Reince Priebus, the party chairman, this past week announced", "X on Friday
        # declared": the subject stands before the time adjunct
        found = _subject_before(doc, floor, when.start())
        if found is not None:
            return found
    toks = doc.tokens(max(floor, end - 240), end)
    if not toks:
        return None
    i = len(toks) - 1
    last = toks[i]
    if last.lower in ("who",) or (last.lower in PERSONAL_PRONOUNS and last.lower != "it"):
        return (last.start, last.end)
    if last.lower == "which" and i > 0 and toks[i - 1].text == ",":
        return (last.start, last.end)  # "super PACs, which reported …": resolved later
    if last.text in _PAIRED_DASHES:
        return _dash_interrupted_subject(doc, floor, toks)
    if last.text in _CLOSING_MARKS:
        toks = _without_quoted_title(toks)
        last = toks[-1]
    if last.text == ",":
        appositive = _appositive_subject(doc, toks)
        interrupted = _interrupted_subject(doc, toks)
        if interrupted is not None and (appositive is None or interrupted[0] <= appositive[0]):
            return interrupted  # the name opening the sentence, not a name inside it
        return appositive
    words = 0
    start = -1
    conj = -1  # a lower-case "and" crossed tentatively ("many experts and some lawmakers")
    verb_stop = False
    aux_stop = False  # stopped at an auxiliary ("has", "would")
    relative = False
    while i >= 0:
        tok = toks[i]
        low = tok.lower
        if tok.is_word:
            if low in CLAUSE_WORDS:
                aux_stop = low in _AUXILIARIES
                break
            if low == "what" or (words > 0 and _inner_article(doc, toks, i)):
                # "what Mr. Hedge called", "the only amendment the Founders wrote": an object
                # relative clause without "that"; its own subject speaks, not the noun it
                # describes
                if low != "what":
                    start = i
                verb_stop = True  # a boundary as a verb is: "the police and the FBI" splits
                break
            if words > 0 and _post_modifier(toks, i):
                pass  # "Two officials briefed on the contacts said": still the subject
            elif i > 0 and low.endswith("s") and toks[i - 1].lower in _ARTICLES:
                pass  # "sources familiar with the plans said": a noun after an article
            elif (
                low in doc.lex.np_verbs
                or low in doc.lex.stop_words
                or (_looks_verb(tok, words) and not _adjectival(toks, i))
            ):
                anonymity = toks[i].lower in _ANONYMITY and i > 0 and toks[i - 1].lower == "be"
                r = (
                    -1
                    if relative or (words == 0 and not anonymity)
                    else _relative_pronoun(doc, toks, i)
                )
                if r < 0:
                    verb_stop = True
                    break
                # "A woman who has accused him of fraud said": the relative clause is part
                # of the speaker
                relative = True
                words += i - r + 1
                start = i = r
                i -= 1
                continue
            if low in PERSONAL_PRONOUNS and words > 0:
                if conj == i + 1 and low != "it":
                    start = i  # "She and her aides said"
                break
            if low == "and":
                if conj >= 0 or i == 0 or not toks[i - 1].is_word:
                    break
                conj = i
            words += 1
            if words > _MAX_SUBJECT_WORDS:
                return None
            start = i
        elif tok.text == ")":
            # "Harry M. Reid (D-Nev.) told": a short parenthesis belongs to the name
            k = i - 1
            while k >= 0 and i - k <= 8 and toks[k].text != "(":
                k -= 1
            if k < 0 or toks[k].text != "(":
                if i == len(toks) - 1:
                    # "Sen. Chris Murphy (a Connecticut Democrat so boyish he …) says": the
                    # subject stands before a long parenthesis
                    k = i - 1
                    while k > 0 and i - k < _MAX_DASHED_TOKENS and toks[k].text not in "()":
                        k -= 1
                    if k > 0 and toks[k].text == "(":
                        return _subject_before(doc, floor, toks[k].start)
                break
            start = i = k
        elif (
            (tok.text == "." and i > 0 and _abbrev(toks[i - 1]))
            or (tok.text in "’'" and start == i + 1)
            or tok.text == "-"
            or (tok.text == "/" and start == i + 1 and _joined_slash(toks, i))
        ):
            # "A CNN/ORC poll showed": the slash joins the two names of one source
            start = i
        else:
            break
        i -= 1
    # "the vote was close and analysts said": only the second conjunct; but "…, officials and
    # sources said": two short conjuncts after a comma are one subject
    after_comma = not verb_stop and start > 0 and toks[start - 1].text == "," and conj - start <= 2
    if conj > start >= 0 and (verb_stop or not _conjunct_start(toks[start])) and not after_comma:
        start = conj + 1
    if start < 0:
        return None
    if (
        aux_stop
        and 0 < start < len(toks) - 1
        and toks[start].lower in PREPOSITIONS
        and toks[start - 1].lower in _AUXILIARIES
    ):
        # "Washington has in the past demanded": an adjunct between the auxiliary and the
        # verb; the subject stands before the auxiliary
        return _subject_before(doc, floor, toks[start - 1].start)
    first = start
    while start < len(toks) and (
        toks[start].lower in PREPOSITIONS
        or toks[start].lower in _NOT_SUBJECT_START
        or not toks[start].is_word
    ):
        start += 1
    while (
        start > first
        and start + 1 < len(toks)
        and toks[start].lower in WEEKDAYS
        and toks[start + 1].lower in _ARTICLES
    ):
        start += 1  # "On Tuesday the group accused": the day is not the speaker's
    if start >= len(toks):
        return None
    np = _trim_subject_tail(toks[start:])
    if not np or not _valid_np(np):
        return None
    if start > first and first > 0 and toks[first - 1].lower in _ISSUED and _when_and_by(np):
        # "An IPF paper published in January said": "in" was skipped above
        start = first
    if start > 0 and toks[start - 1].lower in _ISSUED and _when_and_by(np):
        # "A CTD paper published last month argued": the document, with when it appeared
        # (and by whom: "A report published this week by the Geneva Centre … said")
        head = _subject_before(doc, floor, toks[start - 1].start)
        if head is None:
            return None
        k = next((j for j, t in enumerate(toks) if t.start == head[0]), -1)
        if k > 0 and _inner_article(doc, toks, k):
            # "A report the office published this month said": the document speaks, with
            # who published it
            outer = _subject_before(doc, floor, toks[k - 1].end)
            head = head if outer is None else outer
        return (head[0], np[-1].end)
    if len(np) > 2 and np[0].text[:1].isupper():
        # "PARIS (AFP) - European leaders pledged"; "Feb 2 (Reuters) - Ukraine's president",
        # "Oman (AFP) - Oman's foreign minister" after the place, which a comma cut off
        dateline = _DATE_AGENCY.match(doc.text, np[0].start, np[-1].end)
        if dateline is None and np[0].text.isupper():
            dateline = _DATELINE.match(doc.text, np[0].start, np[-1].end)
        if dateline is not None:
            rest = [t for t in np if t.start >= dateline.end()]
            if not rest or not _valid_np(rest):
                return None
            return (rest[0].start, rest[-1].end)
    return (np[0].start, np[-1].end)


def _joined_slash(toks: list[Token], i: int) -> bool:
    """``toks[i]`` is a slash between two words with no space around it ("Reuters/Ipsos")."""
    return (
        0 < i < len(toks) - 1
        and toks[i - 1].is_word
        and toks[i - 1].end == toks[i].start
        and toks[i].end == toks[i + 1].start
    )


# A time adjunct between a subject and its cue ("… on Friday declared", "… last week said").
_TIME_BEFORE_CUE = re.compile(
    r"(?<![\w-])(?:(?:on|late|early|earlier|later)\s+)?(?:(?:this|last|next)\s+(?:past\s+)?"
    r"(?:week|weekend|month|year|spring|summer|fall|autumn|winter)"
    r"|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"(?:\s+(?:morning|afternoon|evening|night))?"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
    r"|yesterday|today)\s+$"
)
#: The last word of such an adjunct: only then is the adjunct looked for.
_ADJUNCT_LAST_WORDS = (
    WEEKDAYS | TIME_NOUNS | wordset("yesterday today") | {str(n) for n in range(1, 32)}
)
_ISSUED = wordset("published released issued circulated dated")
_ARTICLES = wordset("the a an")
_AUXILIARIES = wordset("has have had will would could can should may might must")


def _when_and_by(np: list[Token]) -> bool:
    """Time words, then maybe "by" and who: what follows "published" in a subject."""
    for i, tok in enumerate(np):
        if tok.lower == "by":
            return i + 1 < len(np)
        if tok.lower not in _TIME_PHRASE_WORDS:
            return False
    return True


_RELATIVE_AUX = wordset("has have had is was were are been not also never once still just")


def _relative_pronoun(doc: _Doc, toks: list[Token], i: int) -> int:
    """Index of the "who"/"that" opening a relative clause whose verb is ``toks[i]``
    ("people who have battled …"), or -1."""
    j = i - 1
    while j >= 0 and i - j <= 3 and toks[j].lower in _RELATIVE_AUX:
        j -= 1
    if j >= 2 and toks[j].lower == "be" and toks[j - 1].lower == "to":
        # "who declined to be named", "who asked not to be identified"
        j -= 2
        while j >= 0 and toks[j].lower in ("not", "asked", "declined", "wished", "refused"):
            j -= 1
    if j < 1 or toks[j].lower not in ("who", "that"):
        return -1
    head = toks[j - 1]
    if (
        not head.is_word
        or head.lower in CLAUSE_WORDS
        or head.lower in doc.lex.verb_class
        or head.lower in PERSONAL_PRONOUNS
        or _looks_verb(head, 1)
    ):
        return -1
    return j


def _conjunct_start(tok: Token) -> bool:
    """Whether a coordinated subject can start with ``tok`` ("Many experts and …")."""
    low = tok.lower
    return (
        tok.capitalized
        or low in DETERMINERS
        or low in _PRONOUN_DETERMINERS
        or low in PERSONAL_PRONOUNS
        or low in _NOUN_MARKERS
        or low.isdigit()
    )


# Words that open a clause before its subject ("Even Lindsey Graham, …, said").
_NOT_SUBJECT_START = frozenset({"and", "even", "perhaps"})
# Words before an article that leave it inside the noun phrase ("all the voters", "one of the
# aides", "half the delegates"); after any other word an article opens a noun phrase of its own.
_BEFORE_INNER_ARTICLE = (
    DETERMINERS
    | PREPOSITIONS
    | wordset(
        "another one some many several both all most few others each none neither and or but half"
        " twice only just even quite such what"
    )
)


_BEFORE_VERB = PERSONAL_PRONOUNS | wordset("to who they")


def _inner_article(doc: _Doc, toks: list[Token], i: int) -> bool:
    """``toks[i]`` is an article right after a noun: the start of a second noun phrase
    ("things the Republican candidate said about", "the message Clinton's forces expect").
    After a verb the walk stops anyway (or reads a relative clause: "a woman who has accused
    the senator said")."""
    if toks[i].lower not in _ARTICLES or i == 0:
        return False
    prev = toks[i - 1]
    low = prev.lower
    return (
        prev.is_word
        and low not in _BEFORE_INNER_ARTICLE
        and low not in CLAUSE_WORDS
        and low not in doc.lex.np_verbs
        and low not in doc.lex.stop_words
        and not low.endswith("ly")
        and not low.isdigit()
        and not low.endswith("ing")  # "a judge handling the lawsuit said"
        # a verb after an auxiliary, "to" or a pronoun: "the last man to mount a race",
        # "a contractor who has sued the city"
        and not (i > 1 and (toks[i - 2].lower in _BEFORE_VERB or toks[i - 2].lower in CLAUSE_WORDS))
        and not _looks_verb(prev, 1)
    )


_PAIRED_DASHES = "—–―-"


def _spaced_dash(doc: _Doc, toks: list[Token], i: int) -> int:
    """How many tokens the spaced dash ending at ``toks[i]`` takes ("—", "--"; a lone hyphen
    only with a space on both sides), or 0."""
    text = doc.text
    n = 2 if i > 0 and toks[i].text == toks[i - 1].text == "-" else 1
    if toks[i].text not in _PAIRED_DASHES or (
        n == 1 and toks[i].text == "-" and i > 0 and toks[i - 1].end == toks[i].start
    ):
        return 0
    start, end = toks[i - n + 1].start, toks[i].end
    if start == 0 or end >= len(text) or not (text[start - 1].isspace() and text[end].isspace()):
        return 0
    return n


_CLOSING_MARKS = "”\"'"


def _without_quoted_title(toks: list[Token]) -> list[Token]:
    """``Joe Scarborough, host of MSNBC’s “Morning Joe,” suggested``: a short quoted title
    closes the appositive with its comma inside the marks; the tokens up to that comma (the
    tokens unchanged when the marks close anything else)."""
    k = len(toks) - 1
    while k > 0 and toks[k].text in _CLOSING_MARKS and len(toks) - k <= 2:
        k -= 1
    if toks[k].text != ",":
        return toks
    opening = k - 1
    while opening > 0 and k - opening <= _MAX_TITLE_WORDS + 2 and toks[opening].is_word:
        opening -= 1
    if (
        opening < 1
        or toks[opening].text not in "“\"'"
        or not toks[opening + 1].capitalized
        or not toks[opening - 1].is_word  # "host of MSNBC’s “Morning Joe,”", not a sentence
    ):
        return toks
    return toks[: k + 1]


_MAX_TITLE_WORDS = 5


def _dash_interrupted_subject(doc: _Doc, floor: int, toks: list[Token]) -> tuple[int, int] | None:
    """``NAME — a teacher from Mount Pleasant — says``, ``Democratic leaders — and, in
    particular, Harry Reid — insisted``: the subject stands before the dashes."""
    last = len(toks) - 1
    n = _spaced_dash(doc, toks, last)
    if n == 0:
        return None
    k = last - n
    while k > 0 and last - k < _MAX_DASHED_TOKENS:
        if toks[k].text == toks[last].text and _spaced_dash(doc, toks, k) == n:
            opening = toks[k - n + 1]
            if not any(t.is_word for t in toks[k + 1 : last - n + 1]):
                return None
            return _subject_before(doc, floor, opening.start)
        k -= 1
    return None


_MAX_DASHED_TOKENS = 40


def _trim_subject_tail(np: list[Token]) -> list[Token]:
    """Drop a time adjunct or an adverb between a subject and its cue ("Sean Spicer on
    Thursday evening said", "Mr. Trump officially said"): they are not the speaker."""
    end = len(np)
    if end == 1:
        return np  # most subjects: one word
    while end > 1 and np[end - 1].is_word:
        low = np[end - 1].lower
        if low in _SUBJECT_ADVERBS or (
            low.endswith("ly")
            and len(low) > 4
            and low not in _LY_NOUNS
            and np[end - 1].text.islower()
        ):
            end -= 1
        else:
            break
    if end > 1 and not _TIME_OPENERS.isdisjoint([t.lower for t in np[1:end]]):
        for k in range(1, end):
            low = np[k].lower
            if low in _TIME_OPENERS and all(
                t.lower in _TIME_PHRASE_WORDS
                or (t.lower.isdigit() and (len(t.lower) == 4 or j > k + 1))
                for j, t in enumerate(np[k + 1 : end], k + 1)
            ):
                if low in _TIME_PHRASE_WORDS or k + 1 < end:
                    end = k
                break
    return np if end == len(np) else np[:end]


def _after_adverbs(toks: list[Token]) -> int:
    """Index of the first token after leading adverbs (the last token at most)."""
    k = 0
    while k < len(toks) - 1 and (toks[k].lower in _SUBJECT_ADVERBS or _ly_word(toks[k].lower)):
        k += 1
    return k


def _ly_word(low: str) -> bool:
    return low.endswith("ly") and len(low) > 4 and low not in _LY_NOUNS


_SUBJECT_ADVERBS = wordset(
    "later even just only often finally himself herself themselves itself too further then now"
    " still again already first recently"
)
_NOT_INVERTED_SPEAKER = (
    _SUBJECT_ADVERBS
    | PERSONAL_PRONOUNS
    | wordset("him her them his its their me himself herself themselves what such")
)


_LY_NOUNS = wordset(
    "family ally daily assembly supply rally weekly monthly quarterly italy reilly kelly"
    " o'reilly sally holly emily bully monopoly anomaly"
)
_TIME_OPENERS = wordset("on last this earlier late early in during yesterday today tonight")
#: Words of a time phrase: "last week", "this morning", "in January" (a subject's tail, what
#: follows "published" in a subject).
_TIME_PHRASE_WORDS = TIME_NOUNS | wordset(
    """yesterday today tonight day days evening night morning afternoon last this earlier late
    early week month year january february march april may june july august september
    october november december jan feb mar apr jun jul aug sep sept oct nov dec"""
)


# "Williams, who’s running to be an alternate, added", "a rival whom Trump fired"
_PERSON_RELATIVES = frozenset({"who", "whose", "whom", "who's", "who’s"})
_RELATIVE_OPENERS = _PERSON_RELATIVES | {"which"}


def _appositive_subject(doc: _Doc, toks: list[Token]) -> tuple[int, int] | None:
    """``A, B, said``: a name and its appositive (either order), or ``A, who …, said``."""
    # toks[-1] is the comma right before the cue.
    i = len(toks) - 2
    while i >= 0 and toks[i].text != ",":
        i -= 1
    if i <= 0 or len(toks) - 2 - i > 2 * _MAX_SUBJECT_WORDS:
        return None
    second = toks[i + 1 : len(toks) - 1]
    if not second:
        return None
    if " ".join(t.lower for t in second) in _PARENTHETICALS:
        # "Humphrey, for example, said": a sentence adverb, not part of the speaker
        head = _subject_before(doc, toks[0].start, toks[i].start)
        if head is None or head[0] < toks[0].start:
            return None
        return head
    relative = second[0].lower in _RELATIVE_OPENERS or any(
        t.lower in _PERSON_RELATIVES for t in second[1:]
    )
    if not relative and (
        # a job and a place of work may take more words than a subject ("a retired army
        # officer and fellow at the New Delhi-based Centre for Frontier Studies")
        sum(t.is_word for t in second) > _MAX_APPOSITIVE_WORDS
        or any(t.lower in CLAUSE_WORDS or t.lower in doc.lex.np_verbs for t in second)
    ):
        return None
    j = i - 1
    first_start = -1
    words = 0
    while j >= 0:
        tok = toks[j]
        low = tok.lower
        if tok.is_word:
            if (low in CLAUSE_WORDS or low in doc.lex.np_verbs or _looks_verb(tok, words)) and not (
                words > 0 and _post_modifier(toks, j)
            ):
                break
            words += 1
            if words > _MAX_SUBJECT_WORDS:
                return None
        elif tok.text not in "’'-()":
            break
        first_start = j
        j -= 1
    if first_start < 0:
        return None
    while first_start < i and (
        toks[first_start].lower in PREPOSITIONS or toks[first_start].lower in _NOT_SUBJECT_START
    ):
        first_start += 1
    if (
        j > 0
        and toks[j].lower in _ISSUED
        and first_start < i
        and (_when_and_by(toks[j + 1 : i]) or _when_and_by(toks[first_start:i]))
    ):
        # "A report released on Tuesday by the Integrated Food Security Phase Classification
        # (IPC), the global hunger monitor, said": the document, with when and by whom
        head = _subject_before(doc, toks[0].start, toks[j].start)
        if head is not None and head[0] >= toks[0].start:
            return (head[0], toks[len(toks) - 2].end)
    if first_start == i - 1 and toks[first_start].text.isdigit() and toks[j].text == ",":
        # "Ramil Carr, 31, a freelance photographer, said": the age follows the name
        name = _subject_before(doc, toks[0].start, toks[j].start)
        if name is None or name[0] < toks[0].start:
            return None
        return (name[0], toks[len(toks) - 2].end)
    first = toks[first_start:i]
    if not first or not _valid_np(first):
        return None
    named = any(t.capitalized for t in first + second if t.is_word)
    if not (relative or named):
        return None
    if relative and first_start >= 2 and toks[first_start - 1].text == ",":
        # "Elward Edd, an official at the authority, which has …, said": the name first
        k = first_start - 2
        while k >= 0 and first_start - 2 - k < 5 and toks[k].is_word and toks[k].capitalized:
            k -= 1
        names = toks[k + 1 : first_start - 1]
        if names and (k < 0 or not toks[k].is_word) and not first[0].capitalized:
            return (names[0].start, toks[len(toks) - 2].end)
    return (first[0].start, toks[len(toks) - 2].end)


def _interrupted_subject(doc: _Doc, toks: list[Token]) -> tuple[int, int] | None:
    """``NAME, …, said`` where what the commas enclose is more than one appositive: an
    appositive with commas or a relative clause of its own ("Jeffrey Salkin, a Hollywood,
    Fla., rabbi helping to organize the boycott, said"), or an adjunct ("Mr. Trump, in a brief
    interview on Saturday, said"; "Sen. Marco Rubio, R-Fla., appearing on Fox News, said").

    The name opens the sentence (after a conjunction and leading adverbials set off by
    commas); an appositive is kept in the speaker, an adjunct is not."""
    last = len(toks) - 1  # the comma before the cue
    i = 0
    if toks[0].lower in _OPENING_CONJUNCTIONS:
        i = 1
    for _ in range(2):
        if i < last and (toks[i].lower in PREPOSITIONS or toks[i].lower in _LEADING_ADVERBS):
            comma = next((k for k in range(i, min(last, i + 12)) if toks[k].text == ","), -1)
            if comma < 0:
                return None
            i = comma + 1
    while i < last and toks[i].lower in _NOT_SUBJECT_START:
        i += 1  # "Even Tom Berg, who …, said"
    head_end = next((k for k in range(i, last) if toks[k].text == ","), -1)
    if head_end <= i or head_end - i > 10:
        return None
    head = toks[i:head_end]
    for k, tok in enumerate(head, i):
        low = tok.lower
        if tok.is_word:
            if (low in CLAUSE_WORDS or low in doc.lex.np_verbs or _looks_verb(tok, 1)) and not (
                k > i and _post_modifier(toks, k)
            ):
                return None
        elif tok.text not in "’'-().&":
            return None
    if not _valid_np(head) or not (head[0].capitalized or head[0].lower in DETERMINERS):
        return None
    middle = toks[head_end + 1 : last]
    words = [t for t in middle if t.is_word]
    if not words or len(words) > 2 * _MAX_SUBJECT_WORDS:
        return None
    first = words[0]
    if first.lower.endswith("ing") and first.text.islower() and _anonymity_words(middle):
        # "speaking on condition of anonymity" says who the speaker is: an unnamed source
        return (head[0].start, toks[last - 1].end)
    if (
        first.lower in PREPOSITIONS
        or first.lower in _ADJUNCT_OPENERS
        or (first.lower.endswith("ing") and first.text.islower())
    ):
        return (head[0].start, head[-1].end)  # the adjunct is not the speaker's
    for tok in middle:
        low = tok.lower
        if low in _RELATIVE_OPENERS or low == "that":
            break  # a relative clause belongs to the appositive, whatever its verbs
        if tok.is_word and (low in CLAUSE_WORDS or low in doc.lex.np_verbs or _looks_verb(tok, 1)):
            return None
        if not tok.is_word and tok.text not in ",’'-().&/":
            return None
    return (head[0].start, toks[last - 1].end)


def _anonymity_words(toks: list[Token]) -> bool:
    return any(t.lower in ("anonymity", "anonymously", "condition") for t in toks)


_ADJUNCT_OPENERS = wordset("when while as after before since though although if once")


# Sentence adverbs set off by commas between a subject and its cue ("Humphrey, for example,
# said"): not part of the speaker's noun phrase.
_PARENTHETICALS = frozenset(
    {
        "for example",
        "for instance",
        "in turn",
        "however",
        "too",
        "meanwhile",
        "by contrast",
        "in contrast",
        "in fact",
        "of course",
        "though",
        "in particular",
        "instead",
        "in response",
        "likewise",
        "similarly",
        "indeed",
        "moreover",
        "for his part",
        "for her part",
        "for its part",
        "for their part",
        "at the time",
        "in addition",
        "also",
        "nonetheless",
        "nevertheless",
        "still",
        "then",
        "now",
        "separately",
        "later",
        "earlier",
    }
)


def _adjectival(toks: list[Token], i: int) -> bool:
    """An -ed word after a determiner, a number or an -ly adverb modifies a noun ("some
    undecided voters", "the newly elected mayor"): not a verb that ends the subject."""
    if i == 0 or toks[i].lower in _IRREGULAR_PAST or not toks[i].lower.endswith("ed"):
        return False
    prev = toks[i - 1].lower
    if prev == "that":
        return False  # "the groups that signed the letter": a relative clause
    return (
        prev in DETERMINERS or prev in _PRONOUN_DETERMINERS or prev.isdigit() or prev.endswith("ly")
    )


# Participles that open a phrase after the noun they describe ("two officials briefed on the
# contacts", "a U.S. official involved in the negotiations"): the noun is the speaker.
_MODIFIER_PARTICIPLES = wordset(
    """briefed involved engaged stationed posted held detained jailed trapped displaced living
    working"""
)
_MODIFIER_PREPOSITIONS = wordset("on in with at")
_NOT_MODIFIED = wordset("be been being is was were are has have had get got")


def _post_modifier(toks: list[Token], k: int) -> bool:
    """``toks[k]`` is a participle opening a phrase that describes the noun before it."""
    if not 0 < k < len(toks) - 1 or toks[k].lower not in _MODIFIER_PARTICIPLES:
        return False
    prev = toks[k - 1]
    return (
        toks[k + 1].lower in _MODIFIER_PREPOSITIONS
        and prev.is_word
        and prev.lower not in _NOT_MODIFIED
        and prev.lower not in CLAUSE_WORDS
        and prev.lower not in PERSONAL_PRONOUNS
        and not prev.lower.endswith("ly")
    )


def _looks_verb(tok: Token, words_so_far: int) -> bool:
    """A lower-case past-tense or common finite verb inside what would be a subject."""
    low = tok.text
    if not low.islower():
        return False
    if low in _IRREGULAR_PAST or low in _COMMON_VERBS:
        return True
    return (
        low.endswith("ed")
        and len(low) > 4
        and "-" not in low  # "teary-eyed", "long-awaited"
        and low not in ("united", "based", "armed", "red")
    )


def _abbrev(tok: Token) -> bool:
    return (len(tok.text) <= 3 and tok.text[:1].isupper()) or tok.lower in ("mr", "mrs", "ms", "dr")


def _valid_np(np: list[Token]) -> bool:
    words = [t for t in np if t.is_word]
    if not words:
        return False
    last = words[-1].lower
    if len(words) == 1 and last in _PRONOUN_DETERMINERS:
        return True  # "another said", "some say"
    if last.isdigit() or (len(words) > 1 and last in _NUMBER_WORDS):
        return True  # "one in five say", "the 30 percent" handled by the noun
    return not (last in DETERMINERS or last in PREPOSITIONS or last in ("and", "or"))


_CONTRACTING_PRONOUNS = frozenset({"he", "she", "they", "we", "i", "you"})
_NUMBER_WORDS = wordset("two three four five six seven eight nine ten dozen hundred thousand")
_PRONOUN_DETERMINERS = wordset(
    "another one some many several both all most few others each these those none neither"
)


def _np_after(doc: _Doc, pos: int, limit: int, *, appositive: bool) -> tuple[int, int] | None:
    """The noun phrase starting at ``pos`` (``said the Kremlin spokesman``, ``according to X``).

    Stops at punctuation, complementizers, relative pronouns and time/place adjuncts; with
    ``appositive`` a following ``, APPOSITIVE`` that runs to the end of the sentence is kept
    ("said Monte Shaw, executive director of the Iowa Renewable Fuels Association.").
    """
    toks = doc.tokens(pos, min(limit, pos + 300))
    out: list[Token] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        low = tok.lower
        if tok.is_word:
            if out and (low in ADJUNCT_WORDS and low not in ("to", "from")):
                break
            if out and low in _PLACE_PREPOSITIONS:
                break  # "told reporters outside the court"
            if (
                not appositive
                and out
                and tok.capitalized
                and out[-1].text.islower()
                and out[-1].text.endswith("s")
            ):
                break  # "told reporters Russia had not rejected …": the content's subject
            if low in doc.lex.complementizers or low in ("who", "which", "whose", "whom"):
                break
            if (
                low in CLAUSE_WORDS
                or low in doc.lex.stop_words
                or (low in doc.lex.np_verbs and (not out or low.endswith(("ed", "ing"))))
            ):
                break
            if out and (
                _looks_verb(tok, len(out))
                or low in PERSONAL_PRONOUNS
                or (
                    low in ("the", "a", "an")
                    and out[-1].is_word
                    and out[-1].lower not in PREPOSITIONS
                    and out[-1].lower not in ("and", "or")
                )
                or low.replace("’", "'").split("'", 1)[0] in _CONTRACTING_PRONOUNS
            ):
                break  # "told AP they concluded", "assured voters he’d …": not the addressee
            out.append(tok)
            if len(out) > _MAX_SUBJECT_WORDS:
                return None
        elif (
            (tok.text == "." and out and _abbrev(out[-1]) and i + 1 < len(toks))
            or (tok.text in "’'" and out)
            or (tok.text in "-/&" and out)
        ):
            out.append(tok)
        elif tok.text == "(" and out and out[-1].capitalized:
            # "said Rep. Jim Clyburn (D-S.C.), …": a short parenthesis belongs to the name
            k = i + 1
            while k < len(toks) and k - i <= 8 and toks[k].text not in "()":
                k += 1
            if k >= len(toks) or toks[k].text != ")":
                break
            out.extend(toks[i : k + 1])
            i = k
        else:
            break
        i += 1
    while out and (not out[-1].is_word or out[-1].lower in DETERMINERS | PREPOSITIONS):
        if out[-1].text == ")" and any(t.text == "(" for t in out):
            break  # "(D-Va.)" closes the name; popping it would leave "(D-Va"
        out.pop()
    if not out or not _valid_np(out):
        return None
    end = out[-1].end
    if (
        appositive
        and i < len(toks)
        and toks[i].text == ","
        and (out[-1].capitalized or out[-1].text == ")")
    ):
        # Appositive running to the sentence end.
        rest = toks[i + 1 :]
        words = [t for t in rest if t.is_word]
        if (
            words
            and len(words) <= 2 * _MAX_SUBJECT_WORDS
            and rest[-1].text in ".!?"
            and not any(t.lower in doc.lex.np_verbs for t in words)
        ):
            end = rest[-2].end if len(rest) > 1 else end
    elif (
        appositive
        and i < len(toks)
        and toks[i].lower in ("who", "whose")
        and toks[-1].text in ".!?"
        and len(toks) - i <= _MAX_SUBJECT_WORDS
        and all(t.is_word or t.text in "’'-" for t in toks[i:-1])
    ):
        # "said a European diplomat who declined to be named.": a restrictive relative
        # clause that ends the sentence belongs to the speaker
        end = toks[-2].end
    return (out[0].start, end)


def _by_agent(doc: _Doc, pos: int, se: int) -> tuple[int, int] | None:
    """``was asked by RIA Novosti …``: the agent after "by" is the speaker."""
    text = doc.text
    j = pos
    while j < se and text[j].isspace():
        j += 1
    if not text.startswith("by ", j):
        return None
    return _np_after(doc, j + 3, se, appositive=False)


def _is_participle(doc: _Doc, cue: Cue) -> bool:
    form = doc.text[cue.verb_start : cue.verb_end].lower().split()[0]
    return form.endswith("ing")


def _main_subject(doc: _Doc, ss: int, end: int) -> tuple[int, int] | None:
    """The subject of the sentence's main clause (for participles and colon quotes).

    Leading adverbials ("However,", "Last week,", "In the fall of 2022,") are skipped.
    """
    text = doc.text
    dateline = _DATELINE.match(text, ss, end)
    if dateline is not None:
        ss = dateline.end()
    toks = doc.tokens(ss, end)
    i = 0
    if len(toks) > 1 and toks[0].lower in _OPENING_CONJUNCTIONS:
        i = 1  # "But Podesta said … and said …": the conjunction links to the last sentence
    for _ in range(3):
        # "Asked whether he would serve in her cabinet, Bush thought …": a question put to
        # the speaker runs longer than other openers
        window = 40 if i < len(toks) and toks[i].lower in _ASKED_OPENERS else 12
        comma = next((k for k, t in enumerate(toks[i : i + window]) if t.text == ","), -1)
        if comma < 0 or i + comma == len(toks) - 1:
            # the comma closing the part before ``end`` ("In May, a judge sided with them,
            # saying …") ends the main clause, not an opening adverbial
            break
        first = toks[i]
        if (
            first.lower in PREPOSITIONS
            or first.lower in _LEADING_ADVERBS
            or first.lower in _CLAUSE_OPENERS
            or first.lower in _ASKED_OPENERS
            or (first.is_word and not first.capitalized)
            or (first.lower.endswith("ing") and len(first.lower) > 5)
            or _all_adverbial(toks[i : i + comma])
        ):
            i += comma + 1
        else:
            break
    if i + 1 < len(toks) and toks[i].lower in _BARE_OPENING_ADVERBS and toks[i + 1].is_word:
        i += 1  # "Then he cut into Bush, calling …"
    out: list[Token] = []
    while i < len(toks):
        tok = toks[i]
        low = tok.lower
        if not tok.is_word:
            if tok.text in "’'-" and out:
                out.append(tok)
                i += 1
                continue
            break
        if (
            low in CLAUSE_WORDS
            or low in doc.lex.np_verbs
            or low in doc.lex.stop_words
            or (out and _looks_verb(tok, len(out)))
            or (out and low == "who")  # "A senior diplomat who declined to be named …"
        ):
            break
        if low in PERSONAL_PRONOUNS and out:
            break
        out.append(tok)
        if len(out) > _MAX_SUBJECT_WORDS:
            return None
        i += 1
    if not out or not _valid_np(out):
        return None
    if i < len(toks) and toks[i].text == ",":
        # "Cambodia's defence ministry spokeswoman, Lieutenant General Maly Socheata, …": the
        # name after the description is part of the subject
        k = i + 1
        while k < len(toks) and toks[k].is_word and toks[k].text[:1].isupper():
            k += 1
        if k - i > 2 and k < len(toks) and toks[k].text == ",":
            return (out[0].start, toks[k - 1].end)
    return (out[0].start, out[-1].end)


_ASKED_OPENERS = wordset("asked pressed questioned")
_BARE_OPENING_ADVERBS = wordset("then now later still")
# Words opening an adverbial before the main clause ("Despite …, Trump has said …").
_CLAUSE_OPENERS = wordset("despite amid unlike beyond following like as")
# Marks that open a quotation.
_OPENING_MARKS = "“\"‘'«„`"
_QUOTE_CLOSERS = "”\"’'»"
# A colon and the quotation it introduces (the match ends at the opening mark).
_COLON_QUOTE = re.compile(r":[ \t]+(?=[“\"‘«])")
_OPENING_CONJUNCTIONS = wordset("but and so yet")
_LEADING_ADVERBS = wordset(
    """however meanwhile moreover still yet also instead later earlier last this next then now
    today yesterday throughout during in on at after before since while when although but
    and so thus therefore separately similarly"""
)


def _all_adverbial(toks: list[Token]) -> bool:
    return bool(toks) and toks[0].lower in _LEADING_ADVERBS


def _dedupe(found: list[Attribution]) -> list[Attribution]:
    """Keep one attribution per content; prefer the one found first (direct before indirect)."""
    out: list[Attribution] = []
    seen: set[tuple[int, int]] = set()
    for a in found:
        key = (a.parts[0][0], a.parts[-1][1])
        if key in seen:
            continue
        seen.add(key)
        out.append(a)
    return out


# -- "Speaker: statement" -------------------------------------------------------------------

# "KYIV —", "PARIS (AFP) -", "BRUSSELS, Feb 16 (Reuters) -": the place (and date, agency) that
# opens an agency story
_DATELINE = re.compile(
    r"[A-Z][A-Z.\s,'’-]{1,40}(?:[A-Z][a-z]{2,8}\.? \d{1,2}\s*)?(?:\([^)\n]{1,24}\))?"
    r"\s*(?:[—–]|--?(?=\s))\s*"
)


_CLAIMED_AS = re.compile(r"claim(?:s|ed|ing)?[ \t]+as[ \t]", re.IGNORECASE)
_DATE_AGENCY = re.compile(
    r"(?:[A-Z][a-z]{2,8}\.? \d{1,2}|[A-Z][\w.’'-]+(?:[ \t][A-Z][\w.’'-]+)?)"
    r"\s*\([^)\n]{1,24}\)\s*(?:[—–]|--?(?=\s))\s*"
)


def _colon_attributions(doc: _Doc, found: list[Attribution]) -> list[Attribution]:
    """``Peskov: Russia remains open to talks.`` - a name, a colon, what was said.

    Headlines and interview transcripts attribute this way.  Only at a paragraph start, with
    a short capitalised noun phrase before the colon that is not a label ("Update:",
    "Watch:") and not already part of another attribution.
    """
    text = doc.text
    out: list[Attribution] = []
    taken = sorted((a.parts[0][0], a.parts[-1][1]) for a in found)
    starts = [t[0] for t in taken]
    for ss, se in doc.sents:
        if ss > 0 and text[ss - 1] != "\n":
            continue
        colon = text.find(":", ss, min(se, ss + 80))
        if colon < 0 or colon + 1 >= se or text[colon + 1] not in " \t\n":
            continue
        toks = doc.tokens(ss, colon)
        words = [t for t in toks if t.is_word]
        if not 1 <= len(words) <= 6 or not words[0].capitalized:
            continue
        if any(
            t.lower in CLAUSE_WORDS or t.lower in doc.lex.np_verbs or t.text.isdigit()
            for t in words
        ):
            continue
        label = " ".join(t.lower for t in words)
        if label in doc.lex.not_speakers or words[-1].lower in doc.lex.not_speakers:
            continue
        if any(not (t.is_word or t.text in ".’'-&") for t in toks):
            continue
        c_start = colon + 1
        c_end = _content_end(text, c_start, se)
        i = bisect_right(starts, c_end) - 1
        if i >= 0 and taken[i][1] > ss:
            continue  # overlaps an attribution found by a reporting verb
        att = _make(
            doc,
            (colon, colon + 1),
            (toks[0].start, toks[-1].end),
            [(c_start, c_end)],
            [(c_start, c_end)],
            cls="speech",
        )
        if att is not None:
            out.append(att)
    return out


# -- "In a CNN poll released Monday, …" ---------------------------------------------------------


def _in_source_attributions(doc: _Doc, found: list[Attribution]) -> list[Attribution]:
    """A sentence opened by "In <document>," attributes the rest to that document: "In a
    statement, the ministry …", "In a national CNN/ORC poll released Monday, 31% of …"."""
    text = doc.text
    out: list[Attribution] = []
    if not doc.lex.source_nouns:
        return out
    taken = {a.parts[0][0] for a in found}
    for ss, se in doc.sents:
        if not text.startswith(doc.lex.in_word, ss):
            continue
        comma = text.find(",", ss, min(se, ss + 120))
        if comma < 0:
            continue
        toks = [t for t in doc.tokens(ss, comma) if t.is_word]
        if len(toks) < 2 or not any(t.lower in doc.lex.source_nouns for t in toks[1:]):
            continue
        if any(t.lower in CLAUSE_WORDS for t in toks[1:]):
            continue
        c_start = comma + 1
        while c_start < se and text[c_start].isspace():
            c_start += 1
        if c_start in taken:
            continue
        if doc.cues_between(c_start, se):
            continue  # "In an interview, Cruz said …": the reporting verb is the attribution
        c_end = _content_end(text, c_start, se)
        cue = (toks[0].start, toks[0].end)
        att = _make(
            doc,
            cue,
            (toks[1].start, toks[-1].end),
            [(c_start, c_end)],
            [(c_start, c_end)],
            cls="source",
        )
        if att is not None:
            out.append(att)
    return out
