# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench clean docs

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark,llm,docs]'
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

bench: install
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) ./demo-ws ./ground_truth.json ./site
