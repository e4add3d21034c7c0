# gapwatch — make install | make run | make test
# Installs come from requirements.lock (every pinned version that the suite was run with);
# `make lock` re-resolves it after a dependency change in pyproject.toml, `make upgrade` moves
# every pin to the newest release (run `make test` before committing the new lock).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SITE   ?= config/demo-weiyuan.yaml
UV_VERSION := 0.13.9
LOCK_ARGS := pyproject.toml --extra test --extra dev --python-version 3.11 -o requirements.lock
# pytest workers: xdist spreads the suite over the machine's cores
JOBS   ?= auto

.PHONY: install run test lint typecheck unit suite bench lock upgrade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv==$(UV_VERSION)

$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/gapwatch serve --site $(SITE) --demo

lint: $(STAMP)
	$(BIN)/ruff check gapwatch tests bench sample_streams
	$(BIN)/ruff format --check gapwatch tests bench sample_streams
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy gapwatch

# the edit-test loop: everything not marked slow, rtsp, postgres or browser
unit: $(STAMP)
	$(BIN)/pytest -q -n $(JOBS) -m "not slow and not rtsp and not postgres and not browser"

# the whole suite, spread over the cores
suite: $(STAMP)
	$(BIN)/pytest -q -n $(JOBS)

test: lint typecheck suite

bench: $(STAMP)
	$(BIN)/python bench/coverage.py

lock: $(BIN)/python
	$(BIN)/uv pip compile -q $(LOCK_ARGS)

upgrade: $(BIN)/python
	$(BIN)/uv pip compile -q --upgrade $(LOCK_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
