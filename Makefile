# gapwatch — make install | make run | make test
# Installs come from requirements.txt, the lock file (every pinned version the suite was run with);
# `make lock` re-resolves it after a dependency change in pyproject.toml, `make upgrade` moves
# every pin to the newest release (run `make test` before committing the new lock).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SITE   ?= config/demo-weiyuan.yaml
UV_VERSION := 0.13.9
IPYCAM_VERSION := 1.3.0
LOCK_ARGS := pyproject.toml --extra test --extra dev --python-version 3.11 -o requirements.txt
# pytest workers: four per core for the suite. Most of its tests wait on servers, subprocesses
# and browsers; with eight workers both cores stay busy to the end (8 December 2026: `make test`
# 4 min 53 s with 8 workers, 5 min 01 s with 6; README, Testing). The unit tests compute, and
# each worker's collection costs about 5 s of CPU: two per core (63-68 s; 3 workers 70 s).
JOBS   ?= 8
UNIT_JOBS ?= 4
# pytest keeps each test module's rewritten assertions as bytecode, unless the environment says
# PYTHONDONTWRITEBYTECODE (as this machine's does): then every worker rewrites all of them on
# every run, 15 s of CPU each before the first test (8.8 s with them kept).
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest

SERVERS_STAMP := tests/servers/node_modules/.installed
NODE_STAMP := node_modules/.installed

.PHONY: install run test lint typecheck unit warm suite long test-all bench lock upgrade clean servers

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv==$(UV_VERSION)

# Bytecode is compiled at install: a service started where .pyc files cannot be written (a
# read-only install, PYTHONDONTWRITEBYTECODE=1) would otherwise compile every module again on
# each start, 4x slower imports (bench/startup.py).
$(STAMP): $(BIN)/python pyproject.toml requirements.txt
	$(BIN)/uv pip sync -q --compile-bytecode --python $(BIN)/python requirements.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q gapwatch
	# A real ONVIF device for the tests (ipycam, a virtual IP camera). Kept apart from the venv
	# because it asks for the GUI build of OpenCV; it runs on the venv's headless one.
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps --target $(VENV)/onvif-device ipycam==$(IPYCAM_VERSION)
	touch $(STAMP)

install: $(STAMP)

# typescript for checking the dashboard's JavaScript, pinned by package-lock.json
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/gapwatch serve --site $(SITE) --demo

lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check gapwatch tests bench sample_streams
	$(BIN)/ruff format --check gapwatch tests bench sample_streams
	node_modules/.bin/tsc --noEmit -p jsconfig.json
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy gapwatch

# Workers that run out of tests take half of another's queue (`--dist worksteal`): a worker
# left with long tests no longer holds up the rest (8 December 2026, the whole suite on 8
# workers: 7 min 05 s with `--dist load`, 5 min 54 s with worksteal; README, Testing).
XDIST = --dist worksteal

# the edit-test loop: everything not marked slow, rtsp, postgres or browser
unit: $(STAMP)
	$(PYTEST) -q -n $(UNIT_JOBS) $(XDIST) -m "not slow and not rtsp and not postgres and not browser"

# stream servers the tests start on loopback (node-media-server: RTMP, HTTP-FLV, WS-FLV)
$(SERVERS_STAMP): tests/servers/package.json tests/servers/package-lock.json
	cd tests/servers && npm ci --no-audit --no-fund --loglevel=error
	touch $(SERVERS_STAMP)

servers: $(SERVERS_STAMP)

# pytest rewrites each test module's assertions on import and keeps the result as bytecode; on
# a fresh checkout every worker would do it at once (3.4 s of CPU each). One collecting pass
# does it first, beside the linters; a collection error is then reported by the run itself.
warm: $(STAMP)
	-@$(PYTEST) -qq --collect-only -p no:xdist >/dev/null 2>&1

# the suite without the long runs, spread over the cores
suite: $(STAMP) $(SERVERS_STAMP) warm
	$(PYTEST) -q -n $(JOBS) $(XDIST) -m "not long"

# the long runs alone: soaks, property runs at length, full-scale scenarios (CI runs them)
long: $(STAMP) $(SERVERS_STAMP)
	$(PYTEST) -q -n $(JOBS) $(XDIST) -m long

# The linters and the type check (about half a minute on one core) run beside the suite.
test: $(STAMP) $(NODE_STAMP) $(SERVERS_STAMP)
	$(MAKE) --no-print-directory -j3 lint typecheck suite

# everything CI runs: `make test`, then the long runs
test-all: test
	$(MAKE) --no-print-directory long

bench: $(STAMP)
	$(BIN)/python bench/coverage.py

lock: $(BIN)/python
	$(BIN)/uv pip compile -q $(LOCK_ARGS)

upgrade: $(BIN)/python
	$(BIN)/uv pip compile -q --upgrade $(LOCK_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules tests/servers/node_modules
