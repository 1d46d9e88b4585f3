"""Language detection: the cheap script/function-word tests decide the languages parley has
lexicons for; only other text pays for py3langid (whose model takes ~0.4 s to load)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pipeline.extract.language as language


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(sample: str) -> str | None:
        raise AssertionError(f"py3langid asked about {sample[:60]!r}")

    monkeypatch.setattr(language, "_langid", refuse)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Why Senators Won’t Back the Plan.\n\nWhen the minister attacked a judge whose "
            "parents were born abroad, voters were outraged.",
            "en",
        ),
        ("Peskov: no talks this week, but they will not rule them out.", "en"),
        ("Песков заявил, что переговоры не ведутся.", "ru"),
        ("Зеленський заявив, що переговори неможливі.", "uk"),
    ],
)
def test_languages_with_lexicons_need_no_model(no_model: None, text: str, expected: str) -> None:
    assert language.detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O ministro disse que as negociações com a Rússia não vão continuar este ano.", "pt"),
        ("Il ministro ha detto che i negoziati con la Russia non sono possibili per ora.", "it"),
        ("Der Minister sagte, dass die Gespräche mit Russland vorerst ausgesetzt sind.", "de"),
    ],
)
def test_other_latin_script_text_goes_to_the_model(text: str, expected: str) -> None:
    assert language.detect_language(text) == expected


def test_hint_wins_and_junk_has_no_language(no_model: None) -> None:
    assert language.detect_language("anything", hint="pt-BR") == "pt"
    assert language.detect_language("12 345 --- !!!") is None
    assert language.detect_language("") is None


@pytest.mark.parametrize("hint", ["../../etc/passwd", "english language", "x" * 40, "e", "é"])
def test_a_hint_not_shaped_like_a_language_code_is_no_hint(no_model: None, hint: str) -> None:
    text = "The minister said that the talks would resume next week in Geneva."
    assert language.detect_language(text, hint=hint) == "en"
    assert language.detect_language("12 345 --- !!!", hint=hint) is None


def test_model_read_through_the_disk_cache_classifies_like_py3langid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import py3langid

    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    samples = [
        "O ministro disse que as negociações com a Rússia não vão continuar este ano.",
        "Il ministro ha detto che i negoziati con la Russia non sono possibili per ora.",
        "Menteri itu mengatakan bahwa perundingan dengan Rusia belum mungkin dilakukan.",
    ]
    try:
        language._identifier.cache_clear()
        built = language._identifier()  # decompresses the model and writes the cache
        (entry,) = tmp_path.glob("langid-*")
        language._identifier.cache_clear()
        cached = language._identifier()  # read back from the file
        assert cached is not built
        for sample in samples:
            assert cached.classify(sample) == built.classify(sample) == py3langid.classify(sample)
        (entry / "ptc.npy").write_bytes(b"not an array")  # corrupt: rebuilt, not an error
        language._identifier.cache_clear()
        assert language._identifier().classify(samples[0])[0] == "pt"
        assert [p.name for p in tmp_path.glob("langid-*")] == [entry.name]
        language._identifier.cache_clear()
        assert language._identifier().classify(samples[1]) == py3langid.classify(samples[1])
    finally:
        language._identifier.cache_clear()


def test_numpy_is_imported_with_one_blas_thread_and_the_environment_restored() -> None:
    import subprocess
    import sys

    probe = (
        "import os\n"
        "from pipeline.extract import language\n"
        "language._identifier()\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'), len(os.listdir('/proc/self/task')))\n"
    )
    blas = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
    env = {k: v for k, v in os.environ.items() if k not in blas}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["None", "1"]
    # A number the user chose is theirs.
    env["OPENBLAS_NUM_THREADS"] = "2"
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split()[0] == "2"
