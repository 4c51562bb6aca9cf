# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv and install Tally with its pinned dependencies first (idempotent).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install

$(BIN)/tally: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/tally

install: $(BIN)/tally

demo: install
	$(BIN)/tally demo

test: install
	$(BIN)/python -m pytest -q
