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

## Seed a fresh demo database and serve it on http://127.0.0.1:$(PORT) (make demo PORT=5050)
PORT ?= 5000
DEMO_ENV := ASSURE360_DEMO=1 PUBLIC_BASE_URL=http://127.0.0.1:$(PORT)
demo: install
	$(DEMO_ENV) $(BIN)/assure360 demo --reset
	$(DEMO_ENV) $(BIN)/assure360 run --host 127.0.0.1 --port $(PORT)

## Every test, on SQLite and then on a throwaway PostgreSQL server
test: install-dev
	scripts/run-tests.sh

test-sqlite: install-dev
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache
