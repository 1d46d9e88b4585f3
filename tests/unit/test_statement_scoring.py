"""The wire set's statement scoring (benchmarks/statement_scoring.py): pure functions."""

from __future__ import annotations

from benchmarks.statement_scoring import (
    Attribution,
    SpeakerFacts,
    pair,
    same_organization,
    same_person,
    same_speaker,
    score,
    speaker_kind,
    tally,
)

PESKOV = SpeakerFacts("Dmitry Peskov", "spokesman", "Kremlin", "RU", True)
IRAN = SpeakerFacts(None, None, "Government of Iran", "IR", True)
SOURCE = SpeakerFacts(None, "source", None, None, False)
THINK_TANK = SpeakerFacts(None, None, "International Institute for Strategic Studies", None, False)


def test_people_agree_on_last_name_and_initial() -> None:
    assert same_person("Sergei Lavrov", "Sergey Lavrov")
    assert same_person("Abbas Araghchi", "Araghchi")
    assert same_person("Volodymyr Zelenskiy", "Volodymyr Zelenskyy")
    assert not same_person("Kirill Dmitriev", "Kirill Dmitrenko")
    assert not same_person("Ivan Petrov", "Ivan Popov")
    assert not same_person("Sergei Lavrov", "Dmitry Lavrov")
    assert not same_person("Dmitry Peskov", "Dmitry Medvedev")
    assert not same_person("Dmitry Peskov", None)


def test_organisations_agree_on_content_words_or_acronym() -> None:
    assert same_organization("Ministry of Foreign Affairs of Iran", "Iranian Foreign Ministry")
    assert same_organization("International Institute for Strategic Studies", "IISS")
    assert not same_organization("Kyiv School of Economics", "Government of Ukraine")
    assert not same_organization("Kremlin", None)


def test_speakers() -> None:
    assert same_speaker(PESKOV, SpeakerFacts("Dmitry Peskov"))
    assert not same_speaker(IRAN, SpeakerFacts("Abbas Araghchi", country="IR", official=True))
    assert same_speaker(IRAN, SpeakerFacts(None, None, "Government of Iran", "IR", True))
    assert not same_speaker(IRAN, SpeakerFacts(None, None, "Government of Iran", "IR", None))
    assert same_speaker(SOURCE, SpeakerFacts(None, "diplomat", None, None, False))
    assert not same_speaker(SOURCE, SpeakerFacts("Steve Witkoff", "source", None, None, False))
    assert not same_speaker(THINK_TANK, SpeakerFacts(None, None, "Chatham House", None, False))
    defence = SpeakerFacts(None, None, "Ministry of Defence of Armenia", "AM", True)
    assert same_speaker(defence, SpeakerFacts(None, None, "Government of Armenia", "AM", True))
    assert not same_speaker(defence, SpeakerFacts(None, None, "Government of Armenia", "AZ", True))
    assert speaker_kind(PESKOV) == "person"
    assert speaker_kind(IRAN) == "institution or country"
    assert speaker_kind(SOURCE) == "anonymous"


def test_pairs_need_half_of_the_longer_content_and_are_one_to_one() -> None:
    gold = [Attribution(0, 100, PESKOV), Attribution(200, 240, IRAN)]
    predicted = [
        Attribution(10, 100, PESKOV),  # 90 of 100: found
        Attribution(0, 60, PESKOV),  # the same gold again: only one pair per gold
        Attribution(200, 290, IRAN),  # 40 of 90: less than half of the longer one
    ]
    assert pair(gold, predicted) == [(0, 0)]


def test_counts() -> None:
    gold = [Attribution(0, 100, PESKOV), Attribution(200, 240, IRAN), Attribution(300, 340, SOURCE)]
    predicted = [
        Attribution(0, 100, SpeakerFacts("Dmitry Peskov", country="RU", official=True)),
        Attribution(200, 240, SpeakerFacts(None, None, "Government of Iran", "IR", False)),
        Attribution(500, 540, SOURCE),
    ]
    total = score([(gold, predicted)])
    assert (total.gold, total.predicted, total.found, total.right_speaker) == (3, 3, 2, 1)
    assert (total.official_agree, total.country_agree) == (1, 2)
    assert total.as_dict()["attribution"] == {"precision": 0.333, "recall": 0.333, "f1": 0.333}
    people = tally(gold, predicted, pair(gold, predicted), lambda a: a.speaker.name is not None)
    assert (people.gold, people.predicted, people.found, people.right_speaker) == (1, 0, 1, 1)
