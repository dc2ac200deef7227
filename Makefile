# One entry point for developers and CI. Every target creates what it needs.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PYTHON3 ?= python3
RUNTIME := handler.py organisations_handler.py github_client collectors datalogger policy

.PHONY: setup test lint unit docs serve-docs demo fan-out bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

## The whole suite: static checks, the docs build, every test (pytest's summary closes the log).
test: setup lint docs unit

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check $(RUNTIME) tests bench scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit --quiet --recursive --configfile pyproject.toml $(RUNTIME)

unit: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" $(PY) -m pytest

## The site ships mermaid from node_modules (scripts/mkdocs_hooks.py), so it works offline.
## NO_MKDOCS_2_WARNING hides Material's end-of-life banner (docs/architecture.md says why we stay).
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

## The docs at http://127.0.0.1:8000 (DOCS_ADDR=host:port to change), rebuilt on every edit.
DOCS_ADDR ?= 127.0.0.1:8000
serve-docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --strict --dev-addr $(DOCS_ADDR)

## A first run on a built-in sample organisation: no GitHub App, no AWS account.
demo: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" $(PY) scripts/demo.py

## Many organisations on the local machine: the state machine's steps in-process (not Step Functions).
fan-out: $(VENV)/.installed
	$(PY) scripts/fan_out.py $(FAN_OUT_ARGS)

## Requests, wall time and memory at organisation scale (N=2000 by default).
bench: $(VENV)/.installed
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules .serverless .requirements-cache output site .pytest_cache .mypy_cache .ruff_cache
