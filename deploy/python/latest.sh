#!/usr/bin/env bash
# The newest releases inside pyproject.toml's ranges, not the lock: what someone who installs
# parley as a library gets today.  Builds a separate virtualenv in a copy of the tracked files
# (so the checkout's compiled modules stay those of the locked build), prints which versions
# differ from the lock, then runs the unit tests and one real pipeline test (Kafka -> Beam ->
# Elasticsearch, against the running local services) in it.  Exit status: that of the tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$root/.cache/latest"
python="${PYTHON:-python3}"

rm -rf "$work"
mkdir -p "$work/src"
(cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$work/src")
# A repository of its own, so that tests asking git for the tracked files see the same ones.
git -C "$work/src" init -q && git -C "$work/src" add -A

"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# --upgrade-strategy eager: every dependency at its newest release in range, not just parley.
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --upgrade --upgrade-strategy eager -e "$work/src[dev]"
"$work/venv/bin/python" -m pip check

echo "versions that differ from requirements.lock:"
"$work/venv/bin/python" - "$root/requirements.lock" <<'PY'
import re, sys
from importlib.metadata import distributions

pin = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
locked = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = pin.match(line)
    if m:
        locked.setdefault(norm(m.group(1)), m.group(2))
installed = {norm(d.metadata["Name"]): d.version for d in distributions()}
differ = [(n, locked.get(n, "-"), v) for n, v in sorted(installed.items())
          if n in locked and locked[n] != v]
for name, old, new in differ:
    print(f"  {name}: lock {old} -> newest {new}")
for key in ("apache-beam", "kafka-python", "elasticsearch", "trafilatura", "feedparser"):
    print(f"  [{key} {installed.get(key, 'not installed')}]", end="")
print(f"\n  {len(differ)} package(s) newer than the lock")
PY

cd "$work/src"
# deploy/validate.sh (run by a unit test) uses this virtualenv and the checkout's tool cache
# (linked, not passed as PARLEY_TOOLS_DIR: unit tests drop PARLEY_* variables to stay hermetic).
export PYTHON="$work/venv/bin/python"
mkdir -p "$root/.cache/tools" "$work/src/.cache"
ln -sfn "$root/.cache/tools" "$work/src/.cache/tools"
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider \
  tests/unit tests/integration/pipeline/test_pipeline_seed.py
