"""Regex programs kept in the cache directory: the same regex as ``re.compile``, read back
without compiling, and compiled as usual whenever the cache cannot serve."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from pipeline.extract import regex_cache
from pipeline.extract.regex_cache import compile_cached

PATTERN = r"(?<![\w-])(?:t(?:alks(?P<h0_0>)|ruce(?P<h1_0>))|c(?:ease-?fire(?P<h2_0>)))(?![\w-])"
TEXTS = [
    "Ceasefire talks resumed; the truce held. TALKS, cease-fire, retruce, talks-",
    "",
    "kein Treffer hier",
]


def _behaviour(regex: re.Pattern[str]) -> list[object]:
    out: list[object] = [regex.pattern, regex.flags, regex.groups, dict(regex.groupindex)]
    for text in TEXTS:
        out += [(m.span(), m.lastgroup, m.groups()) for m in regex.finditer(text)]
        out.append(regex.sub("#", text))
    return out


@pytest.mark.parametrize("flags", [0, re.IGNORECASE, re.IGNORECASE | re.DOTALL])
def test_read_back_regex_behaves_as_re_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: int
) -> None:
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    expected = _behaviour(re.compile(PATTERN, flags))
    assert _behaviour(compile_cached(PATTERN, flags)) == expected
    assert len(list(tmp_path.glob("regex-*.pickle"))) == 1

    # Read back: neither the parser nor the compiler of ``re`` runs.
    def refuse(*args: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr("re._parser.parse", refuse)
    monkeypatch.setattr("re._compiler._code", refuse)
    assert _behaviour(compile_cached(PATTERN, flags)) == expected


def test_each_pattern_and_flags_has_its_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    compile_cached(PATTERN)
    compile_cached(PATTERN, re.IGNORECASE)
    lower = compile_cached("talks")
    assert len(list(tmp_path.glob("regex-*.pickle"))) == 3
    assert lower.search("TALKS") is None
    assert compile_cached(PATTERN, re.IGNORECASE).search("TALKS") is not None


def test_corrupt_or_foreign_entries_are_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    expected = _behaviour(re.compile(PATTERN))
    compile_cached(PATTERN)
    (entry,) = tmp_path.glob("regex-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert _behaviour(compile_cached(PATTERN)) == expected
    # A program the engine refuses (here: truncated to five code words) is not used.
    program = regex_cache._program(PATTERN, 0)
    broken = (program[0], program[1], program[2][:20], *program[3:])
    monkeypatch.setattr(regex_cache, "_program", lambda pattern, flags: broken)
    entry.unlink()
    assert _behaviour(compile_cached(PATTERN)) == expected


def test_program_in_the_earlier_list_form_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Entries written before the code words were kept as bytes hold a list of ints: refused,
    # compiled again, and the entry rewritten in the current form.
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    compile_cached(PATTERN)
    (entry,) = tmp_path.glob("regex-*.pickle")
    program = pickle.loads(entry.read_bytes())
    assert isinstance(program[2], bytes)
    words = regex_cache._engine_compile(PATTERN, program)
    assert _behaviour(words) == _behaviour(re.compile(PATTERN))
    as_list = (*program[:2], list(memoryview(program[2]).cast("I")), *program[3:])
    entry.write_bytes(pickle.dumps(as_list))
    assert _behaviour(compile_cached(PATTERN)) == _behaviour(re.compile(PATTERN))
    assert isinstance(pickle.loads(entry.read_bytes())[2], bytes)


def test_off_without_cache_directory_or_engine_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_CACHE_DIR", "")
    assert _behaviour(compile_cached(PATTERN)) == _behaviour(re.compile(PATTERN))
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(regex_cache, "_PARTS", None)
    assert _behaviour(compile_cached(PATTERN)) == _behaviour(re.compile(PATTERN))
    assert not list(tmp_path.glob("regex-*"))


def test_a_wrong_pattern_is_reported_as_re_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    with pytest.raises(re.error, match="missing \\)"):
        compile_cached("(talks")


def test_patterns_compiled_at_start_up_are_preloaded_into_re_by_the_next_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(regex_cache, "_preloaded", {})
    # patterns no earlier test compiled (re's cache is per process)
    patterns = [(f"{PATTERN}|start-up-{id(tmp_path)}", 0), (f"(?i)nur{id(tmp_path)}", re.DOTALL)]
    expected = [_behaviour(re.compile(p, f)) for p, f in patterns]
    regex_cache.remember()
    (entry,) = tmp_path.glob("re-cache-*.pickle")
    written = entry.stat().st_mtime_ns

    # The next process: re's cache empty, the file preloaded, then the modules' re.compile.
    monkeypatch.setattr(regex_cache, "_preloaded", {})
    re.purge()
    regex_cache.preload()

    def refuse(*args: object) -> None:
        raise AssertionError("compiled again")

    with monkeypatch.context() as m:
        m.setattr("re._parser.parse", refuse)
        m.setattr("re._compiler._code", refuse)
        assert [_behaviour(re.compile(p, f)) for p, f in patterns] == expected
        regex_cache.remember()  # nothing new: the file is left as it is
    assert entry.stat().st_mtime_ns == written

    re.compile(f"new-{id(tmp_path)}")
    regex_cache.remember()
    assert entry.stat().st_mtime_ns != written
    assert len(list(tmp_path.glob("re-cache-*.pickle"))) == 1


@pytest.mark.parametrize(
    "content",
    [b"not a pickle", pickle.dumps({"a": 1}), pickle.dumps([("x", 0, ("y", 0, [], 0, {}, ()))])],
)
def test_a_broken_preload_file_leaves_re_to_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(regex_cache, "_preloaded", {})
    (tmp_path / f"re-cache-{regex_cache._PRELOAD_KEY}.pickle").write_bytes(content)
    re.purge()
    regex_cache.preload()
    assert not regex_cache._preloaded
    assert re.compile("x").match("x")


def test_rewrites_are_read_back_and_keyed_by_their_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("PARLEY_CACHE_DIR", str(cache))
    source = tmp_path / "rules.py"
    source.write_text("version 1", encoding="utf-8")
    calls: list[tuple[object, ...]] = []

    def made(source_path: Path) -> regex_cache.Rewrites:
        rewrites = regex_cache.Rewrites(source_path)

        @rewrites
        def joined(parts: list[str], sep: str, *, tail: str = "") -> str:
            calls.append((tuple(parts), sep, tail))
            return sep.join(parts) + tail

        made.joined = joined  # type: ignore[attr-defined]
        return rewrites

    first = made(source)
    assert made.joined(["a", "b"], "|", tail="$") == "a|b$"  # type: ignore[attr-defined]
    assert made.joined(["a", "b"], "|", tail="$") == "a|b$"  # type: ignore[attr-defined]
    assert len(calls) == 1
    first.save()
    assert len(list(cache.glob("rewrites-*.pickle"))) == 1

    made(source)  # another process: read back, not computed
    assert made.joined(["a", "b"], "|", tail="$") == "a|b$"  # type: ignore[attr-defined]
    assert made.joined(["a", "b"], "|") == "a|b"  # type: ignore[attr-defined]
    assert len(calls) == 2

    source.write_text("version 2", encoding="utf-8")  # the code changed: computed again
    made(source)
    assert made.joined(["a", "b"], "|", tail="$") == "a|b$"  # type: ignore[attr-defined]
    assert len(calls) == 3


def test_the_preload_file_belongs_to_one_version_of_the_package(tmp_path: Path) -> None:
    # Another version's patterns are never read at start-up: the file's key changes with
    # any file of the package or of its data directory, not with anything else.
    package = tmp_path / "extract"
    (package / "data").mkdir(parents=True)
    (package / "__pycache__").mkdir()
    source = package / "triggers.py"
    source.write_text("HEADS = 'talks'\n", encoding="utf-8")
    lexicon = package / "data" / "triggers.en.yaml"
    lexicon.write_text("heads: {}\n", encoding="utf-8")
    stamp = regex_cache._code_stamp(package)
    assert regex_cache._code_stamp(package) == stamp
    (package / "__pycache__" / "triggers.cpython-311.pyc").write_bytes(b"\0")
    assert regex_cache._code_stamp(package) == stamp
    source.write_text("HEADS = 'negotiations'\n", encoding="utf-8")
    changed = regex_cache._code_stamp(package)
    assert changed != stamp
    lexicon.write_text("heads: {talks: []}\n", encoding="utf-8")
    assert regex_cache._code_stamp(package) != changed
    assert regex_cache._code_stamp(tmp_path / "missing") == ""
