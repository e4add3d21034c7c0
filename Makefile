# gapwatch — make install | make run | make test
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SITE   ?= config/demo-weiyuan.yaml

.PHONY: install run test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/gapwatch serve --site $(SITE) --demo

lint: $(STAMP)
	$(BIN)/ruff check gapwatch tests bench sample_streams
	$(BIN)/ruff format --check gapwatch tests bench sample_streams

typecheck: $(STAMP)
	$(BIN)/mypy gapwatch

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python bench/coverage.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
