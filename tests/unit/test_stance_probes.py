"""The stance probe battery (benchmarks/data/stance_probes.yaml): well formed, and the negative
kinds stay mostly right (a guard against a change that loses a whole kind of outcome)."""

from __future__ import annotations

from benchmarks import stance_probes


def test_every_probe_marks_one_head_inside_its_text() -> None:
    probes = stance_probes.load()
    assert len(probes) > 150
    boundary = stance_probes.load(section="boundary")
    assert len(boundary) > 150 and {p.expected for p in boundary} == {"neutral", "positive"}
    for p in probes + boundary:
        assert 0 <= p.start < p.end <= len(p.text)
        assert "[" not in p.text and "]" not in p.text
        assert p.text[p.start : p.end].strip() == p.text[p.start : p.end]


def test_the_negative_kinds_are_mostly_right() -> None:
    outcomes = stance_probes.run([p for p in stance_probes.load() if p.expected == "negative"])
    right = sum(o.passed for o in outcomes)
    assert right >= 0.9 * len(outcomes), [o.probe.text for o in outcomes if not o.passed]
