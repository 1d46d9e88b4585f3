"""The PolNeAR convention adapter of ``benchmarks/eval_polnear.py`` (applied to predictions)."""

from __future__ import annotations

import re

from benchmarks.eval_polnear import (
    content_after_cue,
    cue_to_polnear,
    relative_to_polnear,
    source_to_polnear,
    to_polnear,
)


def _span(text: str, part: str) -> tuple[int, int]:
    m = re.search(rf"\b{re.escape(part)}\b", text)
    assert m is not None
    return m.span()


def test_content_widened_over_quote_marks_and_that() -> None:
    text = "He said that “the talks failed” yesterday."
    start, end = _span(text, "the talks failed")
    assert text[slice(*to_polnear(text, start, end))] == "that “the talks failed”"


def test_content_in_a_relative_clause_starts_at_the_pronoun() -> None:
    text = "Trump backed the bill, which he said was the best hope for reform."
    start = text.index("was the best")
    got = relative_to_polnear(text, start, _span(text, "he"), _span(text, "said"))
    assert text[got:].startswith("which he said was")


def test_which_before_a_clause_of_its_own_stays_out_of_the_content() -> None:
    text = "The mayor spoke at a town hall, at which she said the bridge would reopen in May."
    start = text.index("the bridge")
    got = relative_to_polnear(text, start, _span(text, "she"), _span(text, "said"))
    assert got == start
    # "that" often opens an outer content, and the object-gap relative keeps its pronoun
    text = "It is a plan that she said the council should drop."
    start = text.index("the council")
    got = relative_to_polnear(text, start, _span(text, "she"), _span(text, "said"))
    assert text[got:].startswith("that she said")
    text = "It is a plan which she said was too costly."
    start = text.index("was too")
    got = relative_to_polnear(text, start, _span(text, "she"), _span(text, "said"))
    assert text[got:].startswith("which she said")


def test_relative_pronoun_needs_nothing_but_speaker_and_cue_before_the_content() -> None:
    text = "Trump backed the bill, which he later said in Ohio was the best hope."
    start = text.index("was the best")
    assert relative_to_polnear(text, start, _span(text, "he"), _span(text, "said")) == start
    plain = "The bill, he said, was the best hope."
    start = plain.index("was the best")
    assert relative_to_polnear(plain, start, _span(plain, "he"), _span(plain, "said")) == start
    assert relative_to_polnear(plain, start, None, _span(plain, "said")) == start


def test_appositive_source_takes_its_closing_comma() -> None:
    text = "David Simas, the political director, said the race was close."
    start, end = _span(text, "David Simas, the political director")
    cue = text.index("said")
    assert text[slice(*source_to_polnear(text, start, end, cue))] == (
        "David Simas, the political director,"
    )


def test_appositive_source_takes_its_closing_comma_before_an_adverb() -> None:
    text = "Maria Lopez, the county clerk, on Friday rejected the count, saying it was late."
    start, end = _span(text, "Maria Lopez, the county clerk")
    for cue in ("rejected", "saying"):
        widened = source_to_polnear(text, start, end, text.index(cue))
        assert text[slice(*widened)] == "Maria Lopez, the county clerk,"
    titled = "Ann Reed, host of “Morning Talk,” also argued the rule was unfair."
    start, end = _span(titled, "Ann Reed, host of “Morning Talk")
    widened = source_to_polnear(titled, start, end, titled.index("argued"))
    assert titled[slice(*widened)] == "Ann Reed, host of “Morning Talk,”"


def test_source_without_an_appositive_keeps_its_end() -> None:
    text = "Lopez, however, rejected the count. Lopez on Friday, angry, rejected it."
    start, end = _span(text, "Lopez")
    assert source_to_polnear(text, start, end, text.index("rejected")) == (start, end)
    after = text.index("rejected")
    assert source_to_polnear(text, after + 30, after + 35, after) == (after + 30, after + 35)


def _cue(text: str, cue: str) -> str:
    return text[slice(*cue_to_polnear(text, *_span(text, cue)))]


def test_cue_takes_in_a_particle() -> None:
    assert _cue("The mayor called out the council for its delay.", "called") == "called out"
    assert _cue("The governor fired back at his critics on Monday.", "fired") == "fired back at"
    assert _cue("The judge struck down the law.", "struck") == "struck down"
    # "back" as a time word and a hyphenated word after the cue are not particles.
    assert _cue("The mayor said back in 2019 that it was over.", "said") == "said"
    assert _cue("The mayor said down-ballot races matter.", "said") == "said"


def test_cue_takes_in_an_adverb_before_that_or_the_end() -> None:
    assert _cue("The senator said repeatedly that he would run.", "said") == "said repeatedly"
    assert _cue("“Who pays?” she asked rhetorically.", "asked") == "asked rhetorically"
    assert _cue("She said only that the talks went on.", "said") == "said"
    assert _cue("He mentioned later in the speech a new plan.", "mentioned") == "mentioned"


def test_cue_of_an_issued_statement_runs_to_the_participle() -> None:
    text = "The union issued a statement Friday saying the strike would go on."
    assert _cue(text, "issued") == "issued a statement Friday saying"
    assert _cue("The union issued a warning to members.", "issued") == "issued"


def test_cue_takes_in_the_feeling_expressed() -> None:
    text = "Several donors expressed concern that the race was slipping away."
    assert _cue(text, "expressed") == "expressed concern"
    text = "The chairwoman voiced support for the new rules on Tuesday."
    assert _cue(text, "voiced") == "voiced support for"
    assert _cue("He expressed his thanks to the crowd.", "expressed") == "expressed"


def test_cue_respond_to_twitter_and_by_gerund() -> None:
    text = "The company did not respond to a request for comment."
    assert _cue(text, "did not respond") == "did not respond to"
    assert _cue("The coach wrote on Twitter that he was leaving.", "wrote") == "wrote on Twitter"
    text = "The minister responded by saying the figures were wrong."
    assert _cue(text, "saying") == "responded by saying"
    text = "The policy is often defended by arguing that it saves money."
    assert _cue(text, "arguing") == "arguing"


def test_content_starts_after_the_widened_cue() -> None:
    text = "The union issued a statement saying that the strike would go on."
    cue = cue_to_polnear(text, text.index("issued"), text.index("issued") + len("issued"))
    start = text.index("a statement")
    new = content_after_cue(text, start, len(text) - 1, cue)
    assert text[new : len(text) - 1] == "that the strike would go on"
    text = "Several donors expressed concern about the race."
    cue = cue_to_polnear(text, text.index("expressed"), text.index("expressed") + 9)
    assert text[content_after_cue(text, text.index("concern"), len(text) - 1, cue) :] == "the race."
    # A content after the cue is left alone.
    text = "The mayor said the budget would be balanced."
    cue = (text.index("said"), text.index("said") + 4)
    assert content_after_cue(text, text.index("the budget"), len(text) - 1, cue) == text.index(
        "the budget"
    )
