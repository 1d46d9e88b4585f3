# Two entry points for newcomers (see README.md): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PARLEY := $(VENV)/bin/parley
STAMP := $(VENV)/.installed

.PHONY: run test faults smoke install native train lock lock-upgrade latest services-up services-down clean

# Installs exactly what requirements.lock pins (hashes checked, nothing resolved), then parley
# itself, compiled with the locked build tools.  `make lock` refreshes the lock.
$(STAMP): pyproject.toml setup.py requirements.lock
	@$(PYTHON) deploy/python/lock.py check
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	$(COMPILE_BYTECODE)
	touch $(STAMP)

install: $(STAMP)

# Byte code of the package's pure-Python modules, written once here: an editable install
# writes none, and where PYTHONDONTWRITEBYTECODE is set (the container, CI) every process would
# otherwise compile their sources again (~0.11 billion instructions of each `parley extract`).
COMPILE_BYTECODE := $(PY) -m compileall -q parley pipeline ingest sinks

## native: recompile the mypyc extraction modules after editing them (fails if they did not compile)
native: install
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(COMPILE_BYTECODE)
	$(PY) -c 'import sys; from pipeline.extract.native import main; sys.exit(main())'

## train: retrain the shipped statement models (content ends, learned cues) on PolNeAR train (POLNEAR_TRAIN=path, never dev)
train: install
	@test -n "$(POLNEAR_TRAIN)" || { echo "usage: make train POLNEAR_TRAIN=path/to/polnear_train.jsonl.gz"; exit 2; }
	$(PARLEY) train statements --data $(POLNEAR_TRAIN)
	$(PARLEY) train cues --data $(POLNEAR_TRAIN)

## run: set up and start the whole monitor on this machine (Ctrl-C or `parley down` stops it)
run: install
	$(PARLEY) --log-format console up

## test: set up, start Kafka and Elasticsearch, then lint, type-check and run every test (fault suite included)
test: install services-up
	$(PY) deploy/python/lock.py check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	bash deploy/validate.sh
	$(VENV)/bin/pytest tests

## faults: only the fault-injection suite (private Kafka and Elasticsearch it kills and restarts; ~10 min)
faults: install services-up
	$(VENV)/bin/pytest tests/faults

## smoke: a newcomer's path: `parley up` twice on the same data directory, alerts each time, dispatcher killed
smoke: install
	$(PY) tests/smoke/newcomer.py

## lock: re-resolve requirements.lock after editing pyproject.toml's dependencies (keeps other pins)
lock:
	test -x $(VENV)/bin/uv || ($(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet "uv>=0.9,<1")
	$(PY) deploy/python/lock.py lock

## lock-upgrade: move every pin to the newest release inside pyproject.toml's ranges
lock-upgrade:
	test -x $(VENV)/bin/uv || ($(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet "uv>=0.9,<1")
	$(PY) deploy/python/lock.py lock --upgrade

## latest: test with the newest releases in range, in a separate virtualenv (CI runs it too)
latest: install services-up
	bash deploy/python/latest.sh

services-up: install
	$(PARLEY) services up
	$(PARLEY) setup

services-down: install
	$(PARLEY) services down

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
