"""The state body a speaker's description names before a role ("Turkey's foreign ministry
spokesman"): found through the bodies grouped by first character exactly as by trying every
body at every word."""

from __future__ import annotations

from pipeline.extract import speakers
from pipeline.extract.gazetteer import Gazetteer
from pipeline.extract.mentions import speaker_words

DESCRIPTIONS = [
    "Turkey's foreign ministry spokesman",
    "the Cambodian defence ministry's spokeswoman",
    "a spokesman for Russia's defense ministry",
    "Iran’s foreign ministry spokesperson Nasser Kanaani",
    "the Ukrainian president's office adviser",
    "Germany's interior ministry's press officer",
    "Israel's prime minister's office said",
    "the Pentagon press secretary",
    "a senior official",
    "ministry",
    "Britain's",
    "the state department's deputy spokesman",
    "Egypt's\tforeign ministry's\tstatement",
]


def _by_every_body(gaz_id: int, language: str, text: str) -> tuple[str | None, str] | None:
    """The search as it was written first: every body, longest first, at every word."""
    words = speaker_words(language)
    parts = text.lower().replace("’", "'").replace("'s ", " 's ").split()
    for i in range(len(parts) - 1):
        rest_at = i + 2 if parts[i + 1] == "'s" else i + 1
        rest = " ".join(parts[rest_at:])
        for body in words.state_bodies:
            if rest.startswith(body + " ") or rest.startswith(body + "'s "):
                found = speakers._state_fields(gaz_id, language, parts[i], body, None)
                if found is not None:
                    return found
    return None


def test_bodies_grouped_by_first_character_keep_their_order() -> None:
    words = speaker_words("en")
    assert words.state_body_set == frozenset(words.state_bodies)
    assert words.state_bodies_by_first is not None
    grouped = [
        body
        for group in words.state_bodies_by_first.values()
        for body, spaced, possessive in group
        if spaced == body + " " and possessive == body + "'s "
    ]
    assert sorted(grouped) == sorted(words.state_bodies)
    for group in words.state_bodies_by_first.values():
        order = [words.state_bodies.index(body) for body, _, _ in group]
        assert order == sorted(order)


def test_body_found_as_by_trying_every_body() -> None:
    gaz = Gazetteer.default()
    speakers._parse(gaz, "the foreign ministry")  # registers the gazetteer by its id
    found = 0
    for text in DESCRIPTIONS:
        expected = _by_every_body(id(gaz), "en", text)
        assert speakers._body_in(id(gaz), "en", text) == expected, text
        found += expected is not None
    assert found >= 3


def test_acronym_regex_tried_only_where_it_can_match() -> None:
    # describe() skips the defined-acronym regex unless a bracket ends the text (or comes
    # before a final newline): on any text the regex itself would then find nothing.
    import random

    from pipeline.extract import mentions

    rng = random.Random(14)
    pieces = ["(", ")", "A", "b", " ", "\t", "\n", ",", "NRC", "(GCNP)", "(TNLA)", "x"]
    skipped = 0
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        if not mentions._ends_in_bracket(text):
            assert mentions._DEFINED_ACRONYM.search(text) is None, repr(text)
            skipped += 1
    assert skipped > 10_000
    words = speaker_words("en")
    council = mentions.describe("the Norwegian Refugee Council (NRC)", words)
    assert council.organization == "Norwegian Refugee Council"
    spokesman = mentions.describe("Kremlin spokesman Dmitry Peskov", words)
    assert spokesman.name == "Dmitry Peskov"
