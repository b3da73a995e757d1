# Two commands do all the set-up on a fresh machine:
#   make demo   - virtualenv, package, system tools; then the main job
#   make test   - the same set-up; then ruff, mypy --strict and pytest (what CI runs)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The package with what it runs (the sql extra for the demo's store), and on top of it the
# development tools (pytest, hypothesis, mypy, ruff) that only `make test` needs.
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev
# Root installs system packages directly; anyone else through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: demo test lint typecheck unit system-deps graphviz postgresql bench bench-store clean \
	diagrams bench-duckdb

# The demo keeps its files (a fleet's log, its check, pictures, a job store) in build/demo.
demo: $(STAMP) graphviz
	mkdir -p build
	$(BIN)/jobfsm demo --out build/demo

test: $(DEV) system-deps lint typecheck unit

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV)
	$(BIN)/mypy

unit: $(DEV) system-deps
	$(BIN)/pytest

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "jobfsm needs Python >= 3.10; set PYTHON=python3.x" >&2; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[sql]'
	touch $@

$(DEV): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,sql]'
	touch $@

# Debian packages, each installed only when missing: graphviz's dot draws the diagrams; the
# store's tests and benchmark start their own throwaway PostgreSQL with initdb and pg_ctl, which
# Debian keeps off PATH in /usr/lib/postgresql/<version>/bin.
system-deps: graphviz postgresql

graphviz:
	@command -v dot >/dev/null 2>&1 || { \
		echo "installing graphviz (the dot binary)"; \
		$(APT) update -qq && $(APT) install -y -qq graphviz >/dev/null; }

postgresql:
	@{ command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; } || \
		ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
		echo "installing postgresql (initdb, pg_ctl)"; \
		$(APT) update -qq && $(APT) install -y -qq postgresql >/dev/null; }

# The committed pictures of the lifecycle (a test fails when the DOT or Mermaid goes stale).
diagrams: $(STAMP) graphviz
	$(BIN)/jobfsm render --all-formats diagrams

# Each script prints its table, writes benchmarks/results/*.json and exits 1 when a target is
# missed; every one runs even when an earlier one missed.
bench: $(STAMP)
	@status=0; for script in bench_core bench_check bench_logs bench_tracker; do \
		$(BIN)/python benchmarks/$$script.py || status=1; done; exit $$status

# Validated store transitions per second vs a bare UPDATE + INSERT, and a batch of 10,000
# observations through JobStore.apply vs a raw executemany, on SQLite and PostgreSQL.
bench-store: $(STAMP) postgresql
	@status=0; for script in bench_store bench_apply; do \
		$(BIN)/python benchmarks/$$script.py || status=1; done; exit $$status

# The DuckDB engine against the Python checker on a 10,000,000-line log (JSON Lines and
# Parquet), and a log larger than a 256MB memory limit: some minutes, so not part of bench.
bench-duckdb: $(DEV)
	$(BIN)/python benchmarks/bench_duckdb.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
