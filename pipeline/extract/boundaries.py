"""Where indirect content ends: a linear-chain CRF over the places it could end.

The rules give indirect content ("Putin said that …") the rest of the sentence; news often
goes on after the reported words (", which …", " in an interview on Sunday", " – even though
…"), and PolNeAR's annotators end the content there.  Deciding that is learned: the places
where the content could end (before a comma, a dash, a bracket, a clause or adjunct word) form
a short sequence, each labelled C (content goes on), E (content ends here) or O (after the
end); the features are the words around the place, how far it is from the start and the end,
quotes and cues nearby, and what the rules found (kind of statement, cue class).  A CRF over
these few places costs microseconds per statement, where one over every token of an article
would not fit the speed budget.

The weights are trained by ``parley train statements`` (``pipeline/extract/training.py``) on
PolNeAR train, with a fixed configuration, and ship as ``data/boundaries.<lang>.json``; without
that file the rules' boundaries stand.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from pipeline.extract.lexicon import DATA_DIR, load_json
from pipeline.extract.tokens import DETERMINERS, PERSONAL_PRONOUNS, PREPOSITIONS, Token, wordset

LABELS = ("C", "E", "O")
_C, _E, _O = 0, 1, 2
#: Places considered per content: the first ones (contents rarely end after the eighth).
MAX_PLACES = 8
MIN_WORDS = 3
#: Shorter contents are left as the rules end them: on PolNeAR they are rarely cut short, and
#: skipping them spares most of the model's work (12 before the eleventh round; 8 costs
#: +0.08 % instructions on typical articles and ends 4 more dev contents exactly).
MIN_CONTENT_WORDS = 8

# Where content may end: before punctuation that opens an addition ("…, which", "… – even
# though", "…; the FBI …").  Words alone ("and", "after") were places too at first; the model
# almost never ended content there, and leaving them out spares the work on most contents.
CUT_PUNCT = frozenset({",", ";", ":", "—", "–", "-", "(", ")", "--"})
#: Any of these characters in a content span makes it worth looking at.
CUT_CHARS = ",;:—–-()"
# Words whose own identity is a feature (others are reduced to their shape).
CUT_WORDS = wordset(
    """and but or which who whose where when while as after before during in on at by for
    with without to from since until because though although amid following despite through
    including unlike like than saying adding noting according citing even if so last this
    whether nor not yet"""
)
_CLOSED = DETERMINERS | PREPOSITIONS | PERSONAL_PRONOUNS | CUT_WORDS


def _shape(tok: Token) -> str:
    low = tok.lower
    if low in _CLOSED or not tok.is_word:
        return low
    if tok.text[:1].isdigit():
        return "#num"
    if tok.text[:1].isupper():
        return "#cap"
    if low.endswith("ing"):
        return "#ing"
    if low.endswith("ed"):
        return "#ed"
    if low.endswith("ly"):
        return "#ly"
    return "#low"


def _bucket(n: int) -> str:
    if n <= 3:
        return str(n)
    if n <= 5:
        return "4-5"
    if n <= 8:
        return "6-8"
    if n <= 12:
        return "9-12"
    if n <= 20:
        return "13-20"
    return "21+"


_VERBISH = wordset(
    """is was are were be been has have had will would can could should may might must
    do does did said says say"""
)


def _verbish(tok: Token) -> bool:
    low = tok.lower
    return low in _VERBISH or (
        tok.is_word and len(low) > 4 and low.endswith("ed") and tok.text.islower()
    )


def _raw_places(
    toks: list[Token], quotes: list[tuple[int, int]], cue_starts: list[int]
) -> tuple[int, list[tuple[int, str, str, str, str, str, str, str, str, bool, bool, bool, bool]]]:
    """The word count of the content and, per place where it could end before its last
    token: (end, cut word, next, previous, next word, words before, words after, segment
    length, cues after, verb before, verb in the segment, last segment, quote opens).  One
    computation for training (``places``) and for the compiled model (``BoundaryModel``)."""
    n = len(toks)
    total = 0
    for t in toks:
        if t.is_word:
            total += 1
    out: list[tuple[int, str, str, str, str, str, str, str, str, bool, bool, bool, bool]] = []
    if total < MIN_CONTENT_WORDS:
        return total, out
    # Candidate places: before token i (content would end with token i - 1).
    cand: list[int] = []
    words = 0
    for i in range(n - 1):
        if toks[i].is_word:
            words += 1
        if words < MIN_WORDS or len(cand) >= MAX_PLACES - 1:
            continue
        nxt = toks[i + 1]
        if nxt.lower in CUT_PUNCT:
            pos = nxt.start
            inside = False
            for qs, qe in quotes:
                if qs < pos < qe - 1:
                    inside = True  # never inside quoted words
            if not inside:
                cand.append(i + 1)
    verb_before = False
    words = 0
    k = 0
    for c_index in range(len(cand)):
        i = cand[c_index]
        while k < i:
            if toks[k].is_word:
                words += 1
            if _verbish(toks[k]):
                verb_before = True
            k += 1
        tok = toks[i]
        prev = toks[i - 1]
        stop = cand[c_index + 1] if c_index + 1 < len(cand) else n
        seg_verb = False
        for j in range(i + 1, stop):
            if _verbish(toks[j]):
                seg_verb = True
                break
        pos = tok.start
        cue_after = 0
        for c in cue_starts:
            if c > pos:
                cue_after += 1
        if i + 1 < n:
            after = toks[i + 1]
            t_next = _shape(after)
            next_word = after.lower if after.is_word else ""
        else:
            t_next = "#end"
            next_word = ""
        opens = False
        for qs, _ in quotes:
            if pos <= qs <= tok.end + 2:
                opens = True
        out.append(
            (
                prev.end,
                tok.lower,
                t_next,
                _shape(prev),
                next_word,
                _bucket(words),
                _bucket(total - words),
                _bucket(stop - i),
                _CUES_AFTER[min(cue_after, 2)],
                verb_before,
                seg_verb,
                stop == n,
                opens,
            )
        )
    return total, out


_CUES_AFTER = ("0", "1", "2")


def places(
    toks: list[Token],
    end: int,
    quotes: list[tuple[int, int]],
    cue_starts: list[int],
    kind: str,
    cue_class: str,
) -> tuple[list[int], list[list[str]]]:
    """The places where content ``toks`` (ending at ``end``) could end, and their features
    as CRFsuite attributes (training).  The last place is always ``end`` itself (the rules'
    boundary).  ``quotes`` are the quote spans (marks included) and ``cue_starts`` the cue
    offsets inside the content."""
    total, raw = _raw_places(toks, quotes, cue_starts)
    common = ["k=" + kind, "cls=" + cue_class]
    ends: list[int] = []
    feats: list[list[str]] = []
    for pe, here, nxt, prev, nword, wb, rb, sb, ca, vb, vs, last, qo in raw:
        f = [
            "bias",
            "t=" + here,
            "n=" + nxt,
            "p=" + prev,
            "tn=" + here + "|" + nxt,
            "w=" + wb,
            "r=" + rb,
            "s=" + sb,
            "ca=" + ca,
            "vb=" + ("1" if vb else "0"),
            "vs=" + ("1" if vs else "0"),
            "tvs=" + here + ("|v" if vs else "|-"),
            "last=" + ("1" if last else "0"),
            *common,
        ]
        if nword:
            f.append("nw=" + nword)
        if qo:
            f.append("qo")
        ends.append(pe)
        feats.append(f)
    ends.append(end)
    feats.append(["bias", "final", "w=" + _bucket(total), *common])
    return ends, feats


_Weights = tuple[float, float, float]
_ZERO: _Weights = (0.0, 0.0, 0.0)
_TEMPLATES = ("t", "n", "p", "tn", "w", "r", "s", "ca", "vb", "vs", "tvs", "last", "k", "cls", "nw")


class BoundaryModel:
    """The CRF's weights: state features per attribute and label, label transitions, and the
    marginal probability of E a place needs before content is cut there (``threshold``: a
    cut the model is unsure of costs as much as a missed one gains, so only sure ones).

    For speed the attributes are kept per template and value ("t=and" under "t", "and"), so
    that scoring a place looks up strings the tokenizer already made instead of building and
    hashing new ones."""

    def __init__(
        self,
        weights: dict[str, list[float]],
        transitions: list[list[float]],
        threshold: float = 0.5,
    ) -> None:
        self.weights = weights
        self.transitions = transitions
        self.threshold = threshold
        self._exp_trans = [[math.exp(w) for w in row] for row in transitions]
        tables: dict[str, dict[str, _Weights]] = {name: {} for name in _TEMPLATES}
        for attr, w in weights.items():
            name, sep, value = attr.partition("=")
            if sep and name in tables:
                tables[name][value] = (w[0], w[1], w[2])
        self._t = tables
        self._bias = self._constant("bias")
        self._final = self._constant("final")
        self._qo = self._constant("qo")

    def _constant(self, attr: str) -> _Weights:
        w = self.weights.get(attr)
        return (w[0], w[1], w[2]) if w is not None else _ZERO

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoundaryModel:
        if list(data.get("labels") or []) != list(LABELS):
            raise ValueError(f"boundary model labels must be {LABELS}")
        weights = {str(k): [float(x) for x in v] for k, v in data["weights"].items()}
        transitions = [[float(x) for x in row] for row in data["transitions"]]
        return cls(weights, transitions, float(data.get("threshold", 0.5)))

    def best_end(
        self,
        toks: list[Token],
        end: int,
        quotes: list[tuple[int, int]],
        cue_starts: list[int],
        kind: str,
        cue_class: str,
    ) -> int:
        """Where the content ``toks`` ends: at the first place whose probability of ending
        it reaches the threshold, else at ``end`` (the rules' boundary)."""
        total, raw = _raw_places(toks, quotes, cue_starts)
        if not raw:
            return end
        t = self._t
        t_t, t_n, t_p, t_tn, t_w = t["t"], t["n"], t["p"], t["tn"], t["w"]
        t_r, t_s, t_ca, t_vb, t_vs = t["r"], t["s"], t["ca"], t["vb"], t["vs"]
        t_tvs, t_last, t_nw = t["tvs"], t["last"], t["nw"]
        c0, c1, c2 = self._bias
        w = t["k"].get(kind, _ZERO)
        c0, c1, c2 = c0 + w[0], c1 + w[1], c2 + w[2]
        w = t["cls"].get(cue_class, _ZERO)
        c0, c1, c2 = c0 + w[0], c1 + w[1], c2 + w[2]
        scores: list[_Weights] = []
        for _, here, nxt, prev, nword, wb, rb, sb, ca, vb, vs, last, qo in raw:
            # Unrolled sums of unboxed floats: tuples of floats are native values compiled.
            s0, s1, s2 = c0, c1, c2
            w = t_t.get(here, _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_n.get(nxt, _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_p.get(prev, _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_tn.get(here + "|" + nxt, _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_w.get(wb, _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_r.get(rb, _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_s.get(sb, _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_ca.get(ca, _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_vb.get("1" if vb else "0", _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_vs.get("1" if vs else "0", _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_tvs.get(here + ("|v" if vs else "|-"), _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            w = t_last.get("1" if last else "0", _ZERO)
            s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            if nword:
                w = t_nw.get(nword, _ZERO)
                s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            if qo:
                w = self._qo
                s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
            scores.append((s0, s1, s2))
        w = self._final
        s0, s1, s2 = c0 + w[0], c1 + w[1], c2 + w[2]
        w = t_w.get(_bucket(total), _ZERO)
        scores.append((s0 + w[0], s1 + w[1], s2 + w[2]))
        probs = self._end_probabilities(scores)
        for k in range(len(raw)):
            if probs[k] >= self.threshold:
                return raw[k][0]
        return end

    def end_probabilities(self, feats: list[list[str]]) -> list[float]:
        """P(label E) at each place of a sequence of CRFsuite attributes."""
        scores: list[_Weights] = []
        for f in feats:
            s = _ZERO
            for attr in f:
                w = self.weights.get(attr)
                if w is not None:
                    s = (s[0] + w[0], s[1] + w[1], s[2] + w[2])
            scores.append(s)
        return self._end_probabilities(scores)

    def _end_probabilities(self, scores: list[_Weights]) -> list[float]:
        """Forward-backward over the three labels, normalised at every step."""
        n = len(scores)
        t = self._exp_trans
        t00, t01, t02 = t[0][0], t[0][1], t[0][2]
        t10, t11, t12 = t[1][0], t[1][1], t[1][2]
        t20, t21, t22 = t[2][0], t[2][1], t[2][2]
        states: list[_Weights] = []
        for s0, s1, s2 in scores:
            top = max(s0, s1, s2)
            states.append((math.exp(s0 - top), math.exp(s1 - top), math.exp(s2 - top)))
        alphas: list[_Weights] = []
        a0, a1, a2 = states[0]
        alphas.append((a0, a1, a2))
        for k in range(1, n):
            e0, e1, e2 = states[k]
            b0 = e0 * (a0 * t00 + a1 * t10 + a2 * t20)
            b1 = e1 * (a0 * t01 + a1 * t11 + a2 * t21)
            b2 = e2 * (a0 * t02 + a1 * t12 + a2 * t22)
            z = b0 + b1 + b2
            a0, a1, a2 = b0 / z, b1 / z, b2 / z
            alphas.append((a0, a1, a2))
        out = [0.0] * n
        r0, r1, r2 = 1.0, 1.0, 1.0
        for k in range(n - 1, -1, -1):
            a0, a1, a2 = alphas[k]
            z = a0 * r0 + a1 * r1 + a2 * r2
            out[k] = a1 * r1 / z if z > 0 else 0.0
            if k > 0:
                e0, e1, e2 = states[k]
                c0 = t00 * e0 * r0 + t01 * e1 * r1 + t02 * e2 * r2
                c1 = t10 * e0 * r0 + t11 * e1 * r1 + t12 * e2 * r2
                c2 = t20 * e0 * r0 + t21 * e1 * r1 + t22 * e2 * r2
                z = c0 + c1 + c2
                r0, r1, r2 = c0 / z, c1 / z, c2 / z
        return out

    def best_place(self, feats: list[list[str]]) -> int:
        """Index of the first place of a sequence of CRFsuite attributes whose probability
        of ending the content reaches the threshold; the last place when none does."""
        n = len(feats)
        probs = self.end_probabilities(feats)
        for k in range(n - 1):
            if probs[k] >= self.threshold:
                return k
        return n - 1


@cache
def model_for(language: str) -> BoundaryModel | None:
    """The shipped model of a language (``data/boundaries.<lang>.json``), or None."""
    name = f"boundaries.{language}.json"
    try:
        raw = (DATA_DIR / name).read_text("utf-8")
    except (FileNotFoundError, OSError):
        return None
    return BoundaryModel.from_json(load_json(raw))
