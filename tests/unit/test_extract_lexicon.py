"""Lexicon data files: entries are strings, and YAML's booleans are caught, not lost."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

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


def test_trigger_alternatives_grouped_by_first_letter_match_the_same() -> None:
    import re

    from pipeline.extract.triggers import _by_first_letter

    body = r"peace\s+talks(?P<a>)|talks(?P<b>)|peace(?P<c>)|truce(?P<d>)"
    grouped = _by_first_letter(body, 0)
    assert grouped == (
        r"p(?:e(?:a(?:c(?:e\s+talks(?P<a>)|e(?P<c>)))))|t(?:a(?:lks(?P<b>))|r(?:uce(?P<d>)))"
    )
    text = "peace talks, a truce, talks on peace"
    for flags in (0, re.IGNORECASE):
        plain = [(m.span(), m.lastgroup) for m in re.finditer(body, text, flags)]
        ours = [
            (m.span(), m.lastgroup) for m in re.finditer(_by_first_letter(body, flags), text, flags)
        ]
        assert ours == plain
    assert (
        _by_first_letter("Talks(?P<a>)|talks(?P<b>)", re.IGNORECASE)
        == "t(?:a(?:l(?:k(?:s(?P<a>)|s(?P<b>)))))"
    )
    # Not a plain first letter: it may match where the others do, so it keeps its place and
    # only the alternatives between such ones are grouped.
    assert _by_first_letter("(?:a|b)c(?P<x>)", 0) == "(?:a|b)c(?P<x>)"
    for body, expected in (
        (r"\s*open(?P<a>)|often(?P<b>)", r"\s*open(?P<a>)|o(?:ften(?P<b>))"),
        ("s?talks(?P<a>)|sea(?P<b>)", "s?talks(?P<a>)|s(?:ea(?P<b>))"),
        (
            "seat(?P<a>)|truce(?P<b>)|(?:s|t)ea(?P<c>)|sea(?P<d>)|tea(?P<e>)|teas(?P<f>)",
            "s(?:eat(?P<a>))|t(?:ruce(?P<b>))|(?:s|t)ea(?P<c>)|s(?:ea(?P<d>))"
            "|t(?:e(?:a(?:(?P<e>)|s(?:(?P<f>)))))",
        ),
    ):
        assert _by_first_letter(body, 0) == expected
        for text in ("open often seat sea teas tea truce", " often  seats teas"):
            plain = [(m.span(), m.lastgroup) for m in re.finditer(body, text)]
            assert [(m.span(), m.lastgroup) for m in re.finditer(expected, text)] == plain


def test_bundled_trigger_patterns_start_with_a_letter() -> None:
    """Heads and left governors are grouped by first letter (``_by_first_letter``), which
    only works for alternatives that start with a plain letter: one pattern that starts with
    a lookbehind, a class or an optional part cuts the groups where it stands and makes the
    scan slower without changing a single result.  Put lookbehinds after the first word
    instead."""
    from pipeline.extract.triggers import _split_alternatives, _tagged

    for language in ("en", "ru", "uk", "de", "fr", "es"):
        data = lexicon.load(f"triggers.{language}.yaml")
        patterns = [e["pattern"] for entries in data["heads"].values() for e in entries]
        patterns += [g["pattern"] for g in data["governors"] if g.get("side", "left") == "left"]
        for pattern in patterns:
            for alt in _split_alternatives(_tagged(pattern, "x")):
                assert alt[:1].isalpha() and alt[1:2] not in ("?", "*", "+", "{"), (
                    f"{language}: {alt!r}"
                )


def test_grouped_head_scan_finds_what_the_plain_alternation_finds() -> None:
    """The head scan (alternatives multiplied out and grouped by their first letters, each
    match starting at the character before the head) against the heads as one plain
    alternation of whole words, on the annotated documents and the seed article: the same
    matches, of the same entries."""
    import json
    import re
    from pathlib import Path

    from pipeline.extract.triggers import TriggerFinder, _lower_pattern

    data = lexicon.load("triggers.en.yaml")
    entries = [e["pattern"] for entries in data["heads"].values() for e in entries]
    body = "|".join(f"(?:{_lower_pattern(p)})(?P<e{i}>)" for i, p in enumerate(entries))
    plain = re.compile(r"(?<![\w-])(?:" + body.replace(" ", r"\s+") + r")(?![\w-])")
    finder = TriggerFinder(data)
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    texts = [
        json.loads(line)["text"]
        for line in (fixtures / "triggers" / "dev.jsonl").read_text("utf-8").splitlines()
    ]
    texts.append((fixtures / "seed-article.txt").read_text(encoding="utf-8"))
    for text in texts:
        lowered = text.lower()
        finder._lowered = lowered
        want = [(m.start(), m.end(), int(str(m.lastgroup)[1:])) for m in plain.finditer(lowered)]
        assert list(finder._scan_heads(text)) == want


def test_head_scan_skips_heads_glued_to_letters_outside_ascii() -> None:
    """A letter outside ASCII is a word character: a head right after one ("éceasefire") is
    inside a word, and the scan goes on from the next character, so that a head starting
    within that false match ("éceasefire talks" still holds "talks") is found as the plain
    alternation of whole words finds it."""
    import random
    import re

    from pipeline.extract.triggers import TriggerFinder, _lower_pattern

    data = lexicon.load("triggers.en.yaml")
    entries = [e["pattern"] for entries in data["heads"].values() for e in entries]
    body = "|".join(f"(?:{_lower_pattern(p)})(?P<e{i}>)" for i, p in enumerate(entries))
    plain = re.compile(r"(?<![\w-])(?:" + body.replace(" ", r"\s+") + r")(?![\w-])")
    finder = TriggerFinder(data)
    base = (
        "The ceasefire talks in Geneva stalled; peace talks resumed after a truce, and a "
        "prisoner exchange was agreed as the negotiations on a peace plan went on. "
    )
    rng = random.Random(7)
    glued = "éжßñ"
    checked = 0
    for _ in range(200):
        chars = list(base * 2)
        for k in range(len(chars)):
            if chars[k] == " " and rng.random() < 0.3:
                chars[k] = rng.choice(glued + "“’—")
        text = "".join(chars)
        lowered = text.lower()
        finder._lowered = lowered
        want = [(m.start(), m.end(), int(str(m.lastgroup)[1:])) for m in plain.finditer(lowered)]
        assert list(finder._scan_heads(text)) == want, text
        checked += len(want)
    assert checked > 200


def test_parsed_lexicons_are_read_back_from_the_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    text = (Path(lexicon.__file__).parent / "data" / "triggers.en.yaml").read_text("utf-8")
    parsed = yaml.load(text, Loader=lexicon.YAML_LOADER)
    load = lexicon.load.__wrapped__  # past the per-process cache
    assert load("triggers.en.yaml") == parsed
    (entry,) = tmp_path.glob("lexicon-*.pickle")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(yaml, "load", refuse)
    assert load("triggers.en.yaml") == parsed
    monkeypatch.undo()
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    entry.write_bytes(b"not a pickle")
    assert load("triggers.en.yaml") == parsed


def test_trie_pattern_matches_exactly_its_words_longest_first() -> None:
    words = ["say", "says", "said", "according to", "won't", "a.b"]
    regex = re.compile(f"(?:{lexicon.trie_pattern(words)})$")
    for word in words:
        assert regex.match(word)
    assert regex.match("according \u00a0\n to") and regex.match("won’t")
    for other in ["sa", "sayss", "according", "aXb", ""]:
        assert not regex.match(other)
    assert re.match(lexicon.trie_pattern(["say", "says"]), "says").group() == "says"
    assert lexicon.trie_pattern(["peace", "peace talks", "pact"]) == (r"p(?:act|eace(?:\s+talks)?)")


def test_a_large_trie_pattern_is_read_back_from_the_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    words = [f"w{i}x{i % 7}" for i in range(lexicon._TRIE_CACHED_FROM)]
    built = lexicon._trie_pattern(words)
    assert lexicon.trie_pattern(words) == built
    (entry,) = tmp_path.glob("trie-*.pickle")
    entry.write_bytes(pickle.dumps("a stale pattern"))  # what a read would now return
    assert lexicon.trie_pattern(words) == "a stale pattern"
    entry.write_bytes(b"not a pickle")
    assert lexicon.trie_pattern(words) == built
    # another word list, or another version of the code, has its own entry
    assert lexicon.trie_pattern([*words, "more"]) == lexicon._trie_pattern([*words, "more"])
    monkeypatch.setattr(lexicon, "_source_digest", lambda: b"edited code")
    assert lexicon.trie_pattern(words) == built
    assert len(list(tmp_path.glob("trie-*.pickle"))) == 3
    # small lists never touch the directory
    lexicon.trie_pattern(["say", "said"])
    assert len(list(tmp_path.glob("trie-*.pickle"))) == 3


def test_pattern_rewriting_respects_escapes_classes_and_group_names() -> None:
    from pipeline.extract.triggers import _group_end, _lower_pattern, _split_alternatives

    assert _split_alternatives(r"a|b(?:c|d)|[|(]e|\|f|(?P<G>g|h)") == [
        "a",
        "b(?:c|d)",
        "[|(]e",
        r"\|f",
        "(?P<G>g|h)",
    ]
    assert _split_alternatives("") == [""]
    assert _group_end(r"(?:a|\)|[)]b)c|d") == 13
    with pytest.raises(ValueError):
        _group_end("(?:a|b")
    assert _lower_pattern(r"Minsk\S+(?P<Hx>)|[A-Z]\W|ΟΔΟΣ") == r"minsk\S+(?P<Hx>)|[a-z]\W|οδοσ"
    assert _lower_pattern(r"talks\s+(?:on|in)") == r"talks\s+(?:on|in)"


def test_a_head_takes_its_twin_category_in_texts_with_the_twin_words() -> None:
    from pipeline.extract.triggers import TriggerFinder

    data = {
        "language": "en",
        "heads": {
            "peace_plan": [{"pattern": "peace\\s+plan"}],
            "security_guarantees": [
                {"pattern": "security\\s+guarantees"},
                {
                    "pattern": "inspection",
                    "in_texts_with": {"pattern": "reactor", "category": "peace_plan"},
                },
            ],
        },
    }
    finder = TriggerFinder(data)
    plain = "The peace plan and the security guarantees foresee an inspection."
    nuclear = "The peace plan foresees an inspection of the Reactor."
    assert [t.category for t in finder.find(plain) if t.text == "inspection"] == [
        "security_guarantees"
    ]
    assert [t.category for t in finder.find(nuclear) if t.text == "inspection"] == ["peace_plan"]
