"""Loading the YAML lexicons in ``pipeline/extract/data`` and compiling them into fast regexes.

The lexicons are data (reviewable, translatable); this module turns them into one
alternation regex per purpose.  Word lists are compiled as a character trie
(``say|says|said`` → ``sa(?:y(?:s)?|id)``) because Python's ``re`` tries alternatives one by
one at every position: the trie form lets it reject a position after one character, which is
what keeps cue and trigger scanning cheap on 5 KB articles.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from pipeline.extract.diskcache import cache_dir, load_or_build

if TYPE_CHECKING:
    import yaml


def __getattr__(name: str) -> type[yaml.SafeLoader]:
    # ``YAML_LOADER``, imported on first use: with the parsed lexicons in the cache directory
    # (``load``) an extraction process never needs PyYAML (its import is ~10 ms).
    if name == "YAML_LOADER":
        return yaml_loader()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def yaml_loader() -> type[yaml.SafeLoader]:
    """The C loader when libyaml is there (ten times faster); both are the safe loader."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


#: The package's data files, read as plain files: ``importlib.resources`` costs ~5 ms of CPU
#: on its first use in a process (its readers import zipfile and threading), and the package
#: holds C extensions, so it is never imported from a zip archive anyway.
DATA_DIR = Path(__file__).resolve().with_name("data")

_BRACES = re.compile(r"\{([^{}]*)\}")


def expand(pattern: str) -> list[str]:
    """Expand ``{a,b}`` alternatives: ``"say{,s}"`` → ``["say", "says"]`` (nesting not needed)."""
    m = _BRACES.search(pattern)
    if not m:
        return [pattern]
    out: list[str] = []
    for alt in m.group(1).split(","):
        out.extend(expand(pattern[: m.start()] + alt + pattern[m.end() :]))
    return out


def trie_pattern(words: list[str]) -> str:
    """A regex matching exactly ``words`` (escaped), factored as a trie; longest match first.

    The pattern of a large list (the cue lexicon's ~3,000 forms: a tenth of a one-article
    run) is kept in the cache directory, keyed by the words and by this module's source, so
    an edit of the code below never reads an old pattern."""
    directory = cache_dir()
    if directory is None or len(words) < _TRIE_CACHED_FROM:
        return _trie_pattern(words)
    key = hashlib.sha256(
        _source_digest() + json.dumps(words, ensure_ascii=False).encode("utf-8", "surrogatepass")
    ).hexdigest()
    return load_or_build(
        directory,
        "trie",
        key[:32],
        lambda: _trie_pattern(words),
        lambda cached: isinstance(cached, str),
        keep=_CACHE_ENTRIES,
    )


#: Smaller lists are built each time (a cache file costs more than building them).
_TRIE_CACHED_FROM = 200


@cache
def _source_digest() -> bytes:
    return hashlib.sha256(Path(__file__).read_bytes()).digest()


def _trie_pattern(words: list[str]) -> str:
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _render(trie)


def _render(node: dict[str, Any]) -> str:
    # Most nodes have one child and no word ending: such a chain is written out in a loop
    # (a recursive call per letter made the cue lexicon's pattern a tenth of start-up).
    chain: list[str] = []
    while len(node) == 1:
        ((ch, child),) = node.items()
        if not ch:
            return "".join(chain)  # a word ends here and nothing continues it
        chain.append(_char(ch))
        node = child
    ends = "" in node
    branches = [_char(ch) + _render(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return "".join(chain)
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        # Optional continuation, greedy: "says" wins over "say" at the same position.
        body = "(?:" + body + ")?"
    return "".join(chain) + body


_CHARS: dict[str, str] = {}


def _char(ch: str) -> str:
    """One lexicon character as regex: a space matches any run of whitespace (feeds use
    non-breaking spaces and line breaks), an apostrophe matches both ' and ’."""
    out = _CHARS.get(ch)
    if out is None:
        if ch == " ":
            out = r"\s+"
        elif ch in "'’":
            out = "['’]"
        else:
            out = re.escape(ch)
        _CHARS[ch] = out
    return out


@cache
def load(name: str) -> dict[str, Any]:
    """Parse ``data/<name>`` from the package (cached: lexicons are read once per process,
    and parsed once per machine: the parsed data is kept in the cache directory, keyed by the
    file's content)."""
    path = DATA_DIR / name
    raw = path.read_bytes()
    key = hashlib.sha256(b"%s\0%s\0%s" % (_CACHE_FORMAT, name.encode(), raw)).hexdigest()
    return load_or_build(
        cache_dir(),
        "lexicon",
        key[:32],
        lambda: _parse(name, path.read_text(encoding="utf-8")),
        lambda cached: isinstance(cached, dict),
        keep=_CACHE_ENTRIES,
    )


#: Changed when what ``_parse`` returns for the same file changes.
_CACHE_FORMAT = b"1"
#: Parsed lexicon files kept (two per language, and each edit makes a new one).
_CACHE_ENTRIES = 32


def _parse(name: str, text: str) -> dict[str, Any]:
    import yaml

    data = yaml.load(text, Loader=yaml_loader())  # noqa: S506 - a safe loader
    if not isinstance(data, dict):
        raise ValueError(f"lexicon {name} must be a mapping")
    return data


def load_json(raw: str) -> Any:
    """``json.loads(raw)``, parsed by orjson (the learned models' JSON: 0.25 MB read in every
    process, three times faster; floats are read to the same doubles).  What orjson refuses
    and ``json`` reads (NaN, integers beyond 64 bits) goes to ``json``."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def available(name: str) -> bool:
    return (DATA_DIR / name).is_file()


def words(items: list[str]) -> list[str]:
    """Expand and lower-case a list of lexicon entries, dropping duplicates (order kept)."""
    out: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str):
            # YAML reads a bare on/off/yes/no as a boolean: the word would silently be lost.
            raise ValueError(f"lexicon entry {item!r} is not a string (quote it in the YAML)")
        for w in expand(item):
            out[w.lower()] = None
    return list(out)
