"""Language of an article: script and function-word heuristics first, py3langid as fallback.

The languages parley has lexicons for are told apart cheaply: Cyrillic text is Ukrainian when
it uses і/ї/є/ґ more than Russian's ы/э/ъ/ё, Latin text is English when English function words
are frequent.  Only other Latin-script (or mixed) text goes to py3langid, on a bounded sample,
because classifying a whole 5 KB article with it costs ~0.8 ms - more than the rest of the
extraction (see benchmarks/bench_extract.py).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.extract.diskcache import cache_dir
from pipeline.extract.tokens import wordset

_SAMPLE = 800  # enough words for the function-word test; py3langid gets the same sample
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_UK_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RU_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")
_WORD = re.compile(r"[A-Za-z][A-Za-z]*")  # = [A-Za-z]+, but found by its first letter
_EN_FUNCTION_WORDS = wordset(
    """the of and to in is that for on with was as by it he said at from his are be has have
    an were this who whose which not but or they we will would been had their its after
    about than more she her"""
)

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def detect_language(text: str, *, hint: str | None = None) -> str | None:
    """ISO 639-1 code of ``text``, or None when there is nothing to go by.

    ``hint`` (the record's declared language) wins when given: feeds know their language.
    """
    if hint:
        code = hint.strip().lower().split("-")[0].split("_")[0]
        # The hint comes from the input record: only a code's shape names data files and
        # cache entries, anything else is read as no hint ("../x" or a million distinct
        # strings must neither reach a path nor grow the per-language caches).
        if _LANGUAGE_CODE.fullmatch(code):
            return code
    sample = _sample(text)
    if not sample.strip():
        return None
    # Counting every letter is the costly part: without Cyrillic only whether there is any
    # Latin letter matters.
    if _CYRILLIC.search(sample) is None:
        cyrillic = 0
        latin = 1 if _LATIN.search(sample) else 0
    else:
        latin = len(_LATIN.findall(sample))
        cyrillic = len(_CYRILLIC.findall(sample))
    if not latin and not cyrillic and not any(c.isalpha() for c in sample):
        return None  # punctuation, digits, junk: nothing to identify (and no model to load)
    if cyrillic > latin:
        uk = len(_UK_ONLY.findall(sample))
        ru = len(_RU_ONLY.findall(sample))
        if uk > ru:
            return "uk"
        if ru > uk:
            return "ru"
        return _langid(sample) or "ru"
    if latin:
        words = _WORD.findall(sample)
        if words:
            hits = sum(map(_EN_FUNCTION_WORDS.__contains__, map(str.lower, words)))
            # English prose has ~25-35 % function words from this list; other Latin-script
            # languages almost none (a few shared forms like "in", "is", "has").
            if hits / len(words) >= 0.12 and len(words) >= 5:
                return "en"
            if len(words) < 5 and hits:
                return "en"
    return _langid(sample)


def _sample(text: str) -> str:
    if len(text) <= _SAMPLE:
        return text
    # Skip a possible boilerplate head: take the middle of long texts as well.
    half = _SAMPLE // 2
    mid = len(text) // 2
    return text[:half] + " " + text[mid : mid + half]


def _langid(sample: str) -> str | None:
    identifier = _identifier()
    if identifier is None:  # pragma: no cover - a declared dependency
        return None
    lang, _ = identifier.classify(sample)
    return str(lang) if lang else None


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier, its model kept decompressed in parley's cache directory.

    py3langid decompresses its 4.5 MB xz model on first use: ~0.4 s in every process that
    meets one text of a language parley does not tell apart itself.  Kept as ``.npy`` files
    (the two large tables, memory-mapped) and a small pickle, it loads in ~0.01 s.  Built
    through py3langid's own loader and constructor; should they change, its plain
    ``classify`` is used."""
    try:
        with _one_blas_thread():
            import py3langid
            from py3langid import langid
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        model = Path(langid.MODEL_DIR) / langid.MODEL_FILE
        stat = model.stat()
        version = getattr(py3langid, "__version__", "?")
        key = hashlib.sha256(
            f"{sys.version}\0{version}\0{model}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
        ).hexdigest()[:32]
        ptc, pc, classes, nextmove, row, output = _model_tables(model, key)
        return langid.LanguageIdentifier(ptc, pc, classes, nextmove, output, tk_row=row)
    except Exception:  # noqa: BLE001 - py3langid internals moved: use its own loading
        return _PlainIdentifier()


_MODEL_FILES = ("ptc.npy", "nextmove.npy", "small.pickle")
_BLAS_THREADS = "OPENBLAS_NUM_THREADS"
#: The variables OpenBLAS takes its number of threads from (the first one set wins).
_BLAS_THREAD_SETTINGS = (_BLAS_THREADS, "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """numpy (py3langid's) imported with one OpenBLAS thread, unless the user chose a number.

    At import OpenBLAS starts a thread per core that then busy-waits after every product:
    the import takes ~50 ms instead of 90-150 ms on two cores, and the waiting threads no
    longer take CPU from the extraction; the classifier's one small product per text does
    not need them.  Only the first import of numpy in the process reads the setting; the
    environment is restored for child processes."""
    if "numpy" in sys.modules or any(name in os.environ for name in _BLAS_THREAD_SETTINGS):
        yield
        return
    os.environ[_BLAS_THREADS] = "1"
    try:
        yield
    finally:
        os.environ.pop(_BLAS_THREADS, None)


def _model_tables(model: Path, key: str) -> tuple[Any, ...]:
    """(ptc, pc, classes, nextmove, row, output) of py3langid's model, from the cache
    directory when it holds them, else decompressed and stored there."""
    import numpy as np

    directory = cache_dir()
    target = directory / f"langid-{key}" if directory is not None else None
    if target is not None:
        with contextlib.suppress(Exception):
            ptc = np.load(target / "ptc.npy", mmap_mode="r")
            nextmove = np.load(target / "nextmove.npy", mmap_mode="r")
            with (target / "small.pickle").open("rb") as fh:
                pc, classes, row, output = pickle.load(fh)  # noqa: S301 - our own cache
            # memoryview: indexed like py3langid's array.array, without copying the map
            return ptc, pc, classes, memoryview(nextmove), row, output
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(model)
    if target is not None:
        with contextlib.suppress(OSError):
            _store_model(target, ptc, np.asarray(nextmove), pc, classes, row, output)
    return np.asarray(ptc), np.asarray(pc), classes, nextmove, row, output


def _store_model(target: Path, ptc: Any, nextmove: Any, *small: Any) -> None:
    """Write the tables into a new directory and rename it into place (atomic: a concurrent
    process sees all files or none); older model directories are removed."""
    import numpy as np

    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".langid-", dir=target.parent))
    try:
        np.save(tmp / "ptc.npy", ptc)
        np.save(tmp / "nextmove.npy", nextmove)
        with (tmp / "small.pickle").open("wb") as fh:
            pickle.dump(small, fh, protocol=pickle.HIGHEST_PROTOCOL)
        if target.exists():  # unreadable (we are rebuilding): replace it
            shutil.rmtree(target, ignore_errors=True)
        os.rename(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in target.parent.glob("langid-*"):
        if old == target:
            continue
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


class _PlainIdentifier:
    def classify(self, sample: str) -> tuple[str, float]:
        import py3langid

        lang, score = py3langid.classify(sample)
        return str(lang), float(score)
