# Tapewire — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install demo test test-unit test-integration bench lint format up down status migrate clean

help: ## show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with pinned versions

demo: install ## run the trading chain on the embedded stack (synthetic feed)
	$(BIN)/tapewire demo

test: install ## run the whole test suite (unit + integration on the embedded stack)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: install ## unit tests only (no broker, no database)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test-integration: install ## integration tests on the embedded broker and database
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

bench: install ## benchmarks: ratios against baselines measured in the same run
	$(BIN)/python -m benchmarks

lint: install ## ruff + mypy (strict)
	$(BIN)/ruff check streams tests benchmarks
	$(BIN)/ruff format --check streams tests benchmarks
	$(BIN)/mypy

format: install ## apply ruff formatting and fixes
	$(BIN)/ruff format streams tests benchmarks
	$(BIN)/ruff check --fix streams tests benchmarks

up: install ## start the embedded broker + PostgreSQL in the background
	$(BIN)/tapewire dev up

down: install ## stop what `make up` started
	$(BIN)/tapewire dev down

status: install ## show the embedded stack
	$(BIN)/tapewire dev status

migrate: install ## apply sql/ migrations to TAPEWIRE_DATABASE_URL
	$(BIN)/tapewire migrate

clean: ## remove .venv and embedded data
	rm -rf $(VENV) .tapewire .pytest_cache .mypy_cache .ruff_cache
