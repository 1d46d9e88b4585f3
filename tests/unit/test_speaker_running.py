"""Speakers in running wire reporting: a document's issuer, a pronoun after another person
named in the sentence before, names with particles."""

from __future__ import annotations

from functools import cache

from pipeline.extract import StatementExtractor, speakers


@cache
def _extractor() -> StatementExtractor:
    return StatementExtractor()


def _speaker_of(text: str, quote: str) -> tuple[str | None, str | None]:
    for s in _extractor().extract(text, language="en").statements:
        if quote in s.quote.text:
            return s.speaker.name, s.speaker.organization
    raise AssertionError(f"no statement with {quote!r}")


def test_issuer_is_the_capitalised_name_not_what_the_report_said() -> None:
    text = (
        "A report by the Institute for the Study of War said Russian forces had made small "
        "gains near Kupiansk. The report adds that drones had slowed the advance."
    )
    assert _speaker_of(text, "drones had slowed the advance") == (
        None,
        "Institute for the Study of War",
    )


def test_issuer_known_to_the_gazetteer_although_it_reads_as_a_name() -> None:
    text = (
        "A new report by the United Nations said attacks on power plants had left millions "
        "without heating. The report adds that repairs would take months."
    )
    assert _speaker_of(text, "repairs would take months") == (None, "United Nations")


def test_organisation_named_in_passing_is_no_issuer() -> None:
    # the gazetteer knows the agency, but the report is the institute's
    text = (
        "A report by the Royal United Services Institute said Moscow was short of artillery "
        "barrels.\n\nThe authors want monitoring by International Atomic Energy Agency "
        "inspectors at every plant, the report says."
    )
    _, organization = _speaker_of(text, "monitoring by International Atomic Energy Agency")
    assert organization == "Royal United Services Institute"


def test_pronoun_is_the_subject_of_the_sentence_before_not_its_object() -> None:
    text = (
        "Ukrainian President Volodymyr Zelenskyy met U.S. envoy Steve Witkoff in Berlin on "
        "Sunday. He said Ukraine would not give up Donbas."
    )
    assert _speaker_of(text, "Ukraine would not give up Donbas")[0] == "Volodymyr Zelenskyy"


def test_he_is_not_a_woman_named_as_the_subject_before() -> None:
    text = (
        "Moldovan President Maia Sandu met the envoy in Chisinau on Monday. Deputy Prime "
        "Minister Olga Rosca welcomed him at the airport. He said the talks would resume."
    )
    assert _speaker_of(text, "the talks would resume")[0] != "Olga Rosca"


def test_name_with_particles_is_one_name() -> None:
    found = speakers._NAME_SEQ.search("Commission President Ursula von der Leyen spoke.")
    assert found is not None
    assert found.group() == "Commission President Ursula von der Leyen"
