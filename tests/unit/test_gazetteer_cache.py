"""The compiled-gazetteer cache: same tables as a fresh build, rebuilt when data changes."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.extract.gazetteer import Gazetteer, cache_dir, load_cached


def _tables(g: Gazetteer) -> tuple[object, ...]:
    return (
        g._person,
        g._org,
        g._country,
        g._role,
        g._scan,
        g.persons,
        g.organizations,
        g.dropped,
    )


def test_cached_gazetteer_equals_fresh_build(tmp_path: Path) -> None:
    fresh = Gazetteer.load(())
    first = load_cached((), tmp_path)
    assert len(list(tmp_path.glob("gazetteer-*.pickle"))) == 1
    second = load_cached((), tmp_path)
    assert second is not first  # read back from the file
    assert _tables(second) == _tables(fresh)
    assert second.person("Peskov") == fresh.person("Peskov")
    text = "Kremlin spokesman Dmitry Peskov told reporters in Moscow."
    assert second.find_mentions(text) == fresh.find_mentions(text)
    # plain tuples: read back without a call each (a named tuple is rebuilt through its class)
    assert all(type(e) is tuple for bucket in second._scan.values() for e in bucket)


def test_extension_change_makes_a_new_entry(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    extra = tmp_path / "extra.yaml"
    extra.write_text("persons:\n- name: Jane Example\n  role: minister\n", encoding="utf-8")
    assert load_cached([extra], cache).person("Jane Example") is not None
    extra.write_text("persons:\n- name: John Example\n  role: minister\n", encoding="utf-8")
    changed = load_cached([extra], cache)
    assert changed.person("John Example") is not None
    assert changed.person("Jane Example") is None
    assert len(list(cache.glob("gazetteer-*.pickle"))) == 2


def test_corrupt_or_unwritable_cache_falls_back(tmp_path: Path) -> None:
    load_cached((), tmp_path)
    (entry,) = tmp_path.glob("gazetteer-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert load_cached((), tmp_path).person("Peskov") is not None
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert load_cached((), blocker / "sub").person("Peskov") is not None


def test_old_entries_are_pruned(tmp_path: Path) -> None:
    for i in range(12):
        stale = tmp_path / f"gazetteer-stale{i:02d}.pickle"
        stale.write_bytes(b"")
        os.utime(stale, (i, i))
    load_cached((), tmp_path)
    left = sorted(p.name for p in tmp_path.glob("gazetteer-*.pickle"))
    assert len(left) == 8
    assert "gazetteer-stale11.pickle" in left
    assert "gazetteer-stale04.pickle" not in left


def test_cache_dir_from_environment(tmp_path: Path) -> None:
    assert cache_dir({"PARLEY_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert cache_dir({"PARLEY_CACHE_DIR": ""}) is None
    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "parley"
