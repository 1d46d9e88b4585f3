"""Speaker resolution (placeholder until the gazetteer lands)."""

from __future__ import annotations

from typing import Any

from pipeline.extract.model import Span, Speaker


class SpeakerResolver:
    def __init__(self, text: str, gazetteer: Any, language: str | None) -> None:
        self.text = text

    def resolve(self, mention: tuple[int, int] | None) -> Speaker:
        if mention is None:
            return Speaker(None)
        return Speaker(Span(self.text[mention[0] : mention[1]], mention[0], mention[1]))
