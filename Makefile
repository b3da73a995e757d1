# Two commands do all the set-up on a fresh machine:
#   make demo   - virtualenv, package, system tools; then the main job
#   make test   - the same set-up; then ruff, mypy --strict, pytest and the documentation built
#                 with --strict (what CI runs)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The package with what it runs (the sql extra for the demo's store), and on top of it the
# development tools (pytest, hypothesis, mypy, ruff) and the documentation tools (mkdocs and its
# plugins) that only `make test` needs; `make docs` alone adds only the documentation tools.
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev
DOCS   := $(VENV)/.installed-docs
# The modelarts extra (Huawei Cloud's SDK), which the watch benchmark needs.
MODELARTS := $(VENV)/.installed-modelarts
# Root installs system packages directly; anyone else through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: demo test lint typecheck unit docs docs-strict system-deps graphviz postgresql chromium java \
	bench bench-store bench-watch bench-duckdb clean diagrams

# The demo keeps its files (a fleet's log, its check, pictures, a job store) in build/demo.
demo: $(STAMP) graphviz
	mkdir -p build
	$(BIN)/jobfsm demo --out build/demo

test: $(DEV) system-deps lint typecheck unit docs-strict

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV)
	$(BIN)/mypy

unit: $(DEV) system-deps
	$(BIN)/pytest

# The documentation site (docs/mkdocs.yml) into build/site. --strict turns every warning into a
# failure: a broken link or anchor, a page left out of the navigation, an API reference that does
# not resolve.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --quiet --config-file docs/mkdocs.yml

docs: $(DOCS)
	$(MKDOCS)

docs-strict: $(DOCS)
	$(MKDOCS) --strict

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "jobfsm needs Python >= 3.10; set PYTHON=python3.x" >&2; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[sql]'
	touch $@

$(DEV): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,sql,docs]'
	touch $@ $(DOCS)

$(DOCS): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

$(MODELARTS): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[sql,modelarts]'
	touch $@

# Debian packages, each installed only when missing: graphviz's dot draws the diagrams; the
# store's tests and benchmark start their own throwaway PostgreSQL with initdb and pg_ctl, which
# Debian keeps off PATH in /usr/lib/postgresql/<version>/bin; the interactive page's test drives
# a headless Chromium through its chromedriver; Spark (jobfsm.spark's tests, check --engine spark)
# runs on the distribution's Java.
system-deps: graphviz postgresql chromium java

graphviz:
	@command -v dot >/dev/null 2>&1 || { \
		echo "installing graphviz (the dot binary)"; \
		$(APT) update -qq && $(APT) install -y -qq graphviz >/dev/null; }

postgresql:
	@{ command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; } || \
		ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
		echo "installing postgresql (initdb, pg_ctl)"; \
		$(APT) update -qq && $(APT) install -y -qq postgresql >/dev/null; }

chromium:
	@{ test -x /usr/bin/chromium && test -x /usr/bin/chromedriver; } || { \
		echo "installing chromium and chromium-driver (the page's browser test)"; \
		$(APT) update -qq && $(APT) install -y -qq chromium chromium-driver >/dev/null; }

java:
	@command -v java >/dev/null 2>&1 || { \
		echo "installing default-jre-headless (the java that Spark runs on)"; \
		$(APT) update -qq && $(APT) install -y -qq default-jre-headless >/dev/null; }

# The committed pictures of the lifecycle (a test fails when the DOT or Mermaid goes stale).
diagrams: $(STAMP) graphviz
	$(BIN)/jobfsm render --all-formats diagrams

# Each script prints its table, writes benchmarks/results/*.json and exits 1 when a target is
# missed; every one runs even when an earlier one missed.
bench: $(STAMP) $(MODELARTS)
	@status=0; for script in bench_core bench_check bench_logs bench_tracker bench_watch; do \
		$(BIN)/python benchmarks/$$script.py || status=1; done; exit $$status

# A watch cycle over 10,000 jobs of the fake ModelArts: the time split HTTP / reading / judgment /
# store (some 15 s).
bench-watch: $(MODELARTS)
	$(BIN)/python benchmarks/bench_watch.py

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
