# TipWire task runner: every target builds the virtualenv it needs from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint fmt bench demo clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# The browser tests drive Debian's Chromium (no browser is downloaded by Playwright).
chromium:
	test -x /usr/bin/chromium || (apt-get update -q && apt-get install -y -q chromium)

test: lint chromium
	$(BIN)/pytest -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ctac_pull.py
	$(BIN)/python bench/match_networks.py
	$(BIN)/python bench/match_domains.py
	$(BIN)/python bench/sinkhole_e2e.py
	$(BIN)/python bench/shadowserver_import.py
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) || true
	$(BIN)/python bench/api_load.py

demo: $(STAMP)
	$(BIN)/python -m tipwire.demo

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
