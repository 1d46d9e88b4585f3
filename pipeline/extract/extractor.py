"""``StatementExtractor``: text in, statements (who said what) and triggers out.

The extractor is built once per process (lexicons compiled, gazetteer loaded) and is then a
pure function of its input, cheap enough to call per article in a Beam ``DoFn``.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from pipeline.extract.attribution import Attribution, find_attributions
from pipeline.extract.boundaries import model_for
from pipeline.extract.cue_model import model_for as cue_model_for
from pipeline.extract.cues import CueLexicon
from pipeline.extract.language import detect_language
from pipeline.extract.model import (
    ExtractionResult,
    Span,
    Speaker,
    Statement,
    StatementKind,
    Trigger,
)
from pipeline.extract.speakers import SpeakerResolver
from pipeline.extract.triggers import TriggerFinder

if TYPE_CHECKING:
    from pipeline.extract.gazetteer import Gazetteer

#: Above this size the text is cut (at a paragraph break when possible): news articles are
#: 2-20 KB, a 5 MB "article" is a crawler accident, and bounded input bounds every record's
#: cost (worst case ~1 s for adversarial text, see tests/unit/test_extract_robustness.py).
MAX_TEXT_CHARS = 100_000


class StatementExtractor:
    """Extract statements and triggers from one article at a time.

    ``gazetteer`` resolves speakers to known officials and organisations; without one the
    default gazetteer shipped with parley is used (``Gazetteer.default()``), and when that is
    not importable speakers keep what the article itself says about them.
    """

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        *,
        max_chars: int = MAX_TEXT_CHARS,
        default_language: str = "en",
        learned_boundaries: bool = True,
        learned_cues: bool = True,
    ) -> None:
        if gazetteer is None:
            gazetteer = _default_gazetteer()
        self.gazetteer = gazetteer
        self.max_chars = max_chars
        self.default_language = default_language
        #: indirect content ends where the learned model says (``boundaries``), else where
        #: the rules end it
        self.learned_boundaries = learned_boundaries
        #: words outside the cue lexicon cue the attributions the learned cue model keeps
        #: (``cue_model``), else they cue nothing
        self.learned_cues = learned_cues

    def extract(
        self, text: str, *, title: str | None = None, language: str | None = None
    ) -> ExtractionResult:
        """Statements and triggers of ``text``; offsets index ``text`` as given.

        ``title`` only helps language detection (headlines are not attributed statements: a
        headline's "X: Y" is an editor's summary).  ``language`` overrides detection.
        """
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        if len(text) > self.max_chars:
            cut = text.rfind("\n", 0, self.max_chars)
            text = text[: cut if cut > self.max_chars // 2 else self.max_chars]
        lang = detect_language(text if text.strip() else (title or ""), hint=language)
        result = ExtractionResult(language=lang)
        if not text.strip():
            return result
        cue_lang = lang if lang and CueLexicon.for_language(lang) else None
        lex = CueLexicon.for_language(cue_lang)
        attributions: list[Attribution] = []
        if lex is not None:
            model = model_for(cue_lang or "") if self.learned_boundaries else None
            cue_model = cue_model_for(cue_lang or "") if self.learned_cues else None
            attributions = find_attributions(text, lex, model, cue_model)
        resolver = SpeakerResolver(text, self.gazetteer, cue_lang or lang)
        statements: list[Statement] = []
        for att in attributions:
            speaker = resolver.resolve(att.speaker)
            parts = tuple(Span(text[s:e], s, e) for s, e in att.parts)
            cue = Span(text[att.cue[0] : att.cue[1]], att.cue[0], att.cue[1])
            kind: StatementKind = att.kind  # type: ignore[assignment]
            statements.append(Statement(kind, parts, cue, speaker))
        finder = TriggerFinder.for_language(lang or self.default_language)
        if finder is not None:
            result.triggers = finder.find(text, statements)
            _attach(statements, result.triggers)
        result.statements = statements
        return result


def _default_gazetteer() -> Gazetteer | None:
    try:
        from pipeline.extract.gazetteer import Gazetteer
    except ImportError:
        return None
    return Gazetteer.default()


def unresolved(mention: tuple[int, int] | None, text: str) -> Speaker:
    """A speaker known only by its mention."""
    if mention is None:
        return Speaker(None)
    return Speaker(Span(text[mention[0] : mention[1]], mention[0], mention[1]))


def _attach(statements: list[Statement], triggers: list[Trigger]) -> None:
    """Give each statement the triggers inside its quote (triggers are in text order)."""
    starts = [t.start for t in triggers]
    for st in statements:
        found: list[Trigger] = []
        for part in st.parts:
            i = bisect.bisect_left(starts, part.start)
            while i < len(triggers) and triggers[i].start < part.end:
                if triggers[i].end <= part.end:
                    found.append(triggers[i])
                i += 1
        st.triggers = found
