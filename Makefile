# The two commands of the README: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-sqlite test-postgres install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

## Seed a fresh demo database and serve it on http://127.0.0.1:5000
demo: install
	ASSURE360_DEMO=1 $(BIN)/assure360 demo --reset
	ASSURE360_DEMO=1 $(BIN)/assure360 run --host 127.0.0.1 --port 5000

## Every test, on SQLite and then on a throwaway PostgreSQL server
test: install-dev
	scripts/run-tests.sh

test-sqlite: install-dev
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache
