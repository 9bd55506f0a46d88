# Each target creates .venv by itself; nothing needs to be installed beforehand
# except python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo cluster-demo test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	# The stock pip of older Pythons cannot resolve lxml[html-clean]: upgrade it first.
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[dev,bench]'
	touch $@

## demo: start the bundled offline demo site, crawl it, archive to archive/demo.db, export JSONL
demo: $(VENV)/.installed
	$(BIN)/qilucrawl demo --db archive/demo.db --out archive/demo.jsonl

## cluster-demo: the demo site, three Scrapyd nodes on 127.0.0.2-4 (folders in build/cluster-demo/),
## a backfill scheduled across them, the shards merged and compared with a single-process backfill
cluster-demo: $(VENV)/.installed-dev
	$(BIN)/python -m qilucrawl.cli.cluster_demo --dir build/cluster-demo

## test: the whole test suite (what CI runs)
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

## bench: every benchmark, each next to its baseline from the same run
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench

## lint: ruff (rules and format) and mypy, configured in pyproject.toml; CI runs it before the tests
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check qilucrawl tests bench
	$(BIN)/ruff format --check qilucrawl tests bench
	$(BIN)/mypy

## clean: remove what the build and `make demo` made; never an archive, export or site of yours
# (archive/qilucrawl.db, the README's cron archive, and everything else in archive/ stay).
DEMO_FILES := archive/demo.db archive/demo.db-wal archive/demo.db-shm archive/demo.db-journal \
              archive/demo.db.lock archive/demo.jsonl archive/demo.jsonl.manifest.json
clean:
	rm -rf $(VENV) build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -f $(DEMO_FILES) archive/.demo.jsonl.*.part
