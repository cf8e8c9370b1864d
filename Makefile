# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench bench-full bench-all clean screenshots vendor-js docs

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark,llm,reports,docs]'
	touch $@

install: $(BIN)/.installed

demo: install
	rm -rf ./demo-ws ./ground_truth.json
	$(BIN)/cxloop demo ./demo-ws --records 200000 --seed 7

lint: install
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

screenshots: install  ## the dashboard's main pages (zh) under docs/screenshots/, on a fresh demo workspace
	CXLOOP_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest tests/browser/test_screenshots.py -q

vendor-js:  ## re-vendor ECharts and axe-core from npm (versions in tools/vendor_js.sh)
	tools/vendor_js.sh

# DuckDB vs a Spark lake vs the scripts a user would write, 1M rows (<= 30 min on 2 cores); bench-full: 10M
bench: install
	nice -n 10 $(BIN)/python -m benchmarks.bench_lake

bench-full: install
	nice -n 10 $(BIN)/python -m benchmarks.bench_lake --rows 10000000 --repeat 1 --memory 8g

bench-all: install
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) ./demo-ws ./ground_truth.json ./site
