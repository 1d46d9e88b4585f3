"""Lexicon data files: entries are strings, and YAML's booleans are caught, not lost."""

from __future__ import annotations

import pytest
import yaml

from pipeline.extract import lexicon


def test_a_bare_yaml_boolean_is_an_error_not_a_lost_word() -> None:
    entries = yaml.load("[said, on, no]", Loader=lexicon.YAML_LOADER)
    with pytest.raises(ValueError, match="quote it"):
        lexicon.words(entries)
    assert lexicon.words(["said", "on", "no", "Said"]) == ["said", "on", "no"]


def test_bundled_lexicons_load() -> None:
    from pipeline.extract.cues import CueLexicon
    from pipeline.extract.triggers import TriggerFinder

    for language in ("en", "ru", "uk"):
        assert CueLexicon.for_language(language) is not None
    for language in ("en", "ru", "uk", "de", "fr", "es"):
        assert TriggerFinder.for_language(language) is not None
