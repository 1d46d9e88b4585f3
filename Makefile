# Two entry points for newcomers (see README.md): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PARLEY := $(VENV)/bin/parley
STAMP := $(VENV)/.installed

.PHONY: run test faults install native train services-up services-down lint typecheck unit integration clean

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## native: recompile the mypyc extraction modules after editing them (stale builds are not used)
native: install
	$(PY) -m pip install --quiet --no-deps -e .

## train: retrain the shipped statement-boundary model on PolNeAR train (POLNEAR_TRAIN=path, never dev)
train: install
	@test -n "$(POLNEAR_TRAIN)" || { echo "usage: make train POLNEAR_TRAIN=path/to/polnear_train.jsonl.gz"; exit 2; }
	$(PARLEY) train statements --data $(POLNEAR_TRAIN)

## run: set up and start the whole monitor on this machine (Ctrl-C or `parley down` stops it)
run: install
	$(PARLEY) --log-format console up

## test: set up, start Kafka and Elasticsearch, then lint, type-check and run every test (fault suite included)
test: install services-up
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	bash deploy/validate.sh
	$(VENV)/bin/pytest tests

## faults: only the fault-injection suite (private Kafka and Elasticsearch it kills and restarts; ~10 min)
faults: install services-up
	$(VENV)/bin/pytest tests/faults

services-up: install
	$(PARLEY) services up
	$(PARLEY) setup

services-down: install
	$(PARLEY) services down

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
