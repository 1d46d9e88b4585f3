from benchmarks.eval_wire import (
    attribute_errors,
    attribute_kind,
    count_attribute_errors,
    render_attribute_table,
)
from benchmarks.statement_scoring import Attribution, SpeakerFacts


def test_attribute_kinds_of_gold_speakers() -> None:
    assert attribute_kind(SpeakerFacts(role="source", official=False)) == "anonymous source"
    assert attribute_kind(SpeakerFacts(name="Ana Petrescu", role="analyst")) == "person with role"
    assert attribute_kind(SpeakerFacts(name="Ana Petrescu")) == "person without role"
    assert (
        attribute_kind(SpeakerFacts(organization="Government of Chile", country="CL"))
        == "country (its government)"
    )
    assert attribute_kind(SpeakerFacts(organization="Ministry of Energy of Chile")) == "ministry"
    assert attribute_kind(SpeakerFacts(organization="Chilean Air Force")) == "military"
    assert (
        attribute_kind(SpeakerFacts(organization="Andes Policy Forum", official=False))
        == "institution, think tank, media"
    )
    assert attribute_kind(SpeakerFacts(role="diplomat", official=False)) == (
        "unnamed person with a role"
    )


def test_attribute_errors_counted_by_kind() -> None:
    gold = [
        Attribution(0, 10, SpeakerFacts(name="Ana Petrescu", role="analyst", official=False)),
        Attribution(
            20, 30, SpeakerFacts(name="Luis Soto", role="minister", country="CL", official=True)
        ),
        Attribution(
            40, 50, SpeakerFacts(name="Eva Lind", role="mayor", country="SE", official=True)
        ),
    ]
    predicted = [
        Attribution(0, 10, SpeakerFacts(name="Ana Petrescu", role="analyst")),
        Attribution(20, 30, SpeakerFacts(name="Luis Soto", role="minister", official=True)),
        Attribution(
            40, 50, SpeakerFacts(name="Eva Lind", role="mayor", country="SE", official=True)
        ),
    ]
    pairs = [(0, 0), (1, 1), (2, 2)]
    wrong = attribute_errors(gold, predicted, pairs)
    assert [g.speaker.name for g, _ in wrong] == ["Ana Petrescu", "Luis Soto"]
    table = count_attribute_errors([(gold[i], predicted[j]) for i, j in pairs])
    row = table["person with role"]
    assert row["found"] == 3
    assert row["official false → null"] == 1
    assert row["country missing"] == 1
    rendered = render_attribute_table(table)
    assert "| person with role | 3 |" in rendered
