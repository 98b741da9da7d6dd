# The README's two commands: `make demo` and `make test`. Both set up everything they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install browser postgres demo test ui clean

help:
	@echo "make demo   install into .venv, then run the pipeline on the bundled sample site"
	@echo "make test   install into .venv, then run every test (with real Elasticsearch and OpenSearch on 127.0.0.1)"
	@echo "make ui     the Dagster UI on http://127.0.0.1:3000"

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "MedRadar needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing MedRadar and its dependencies into $(VENV) (the first time takes a few minutes)…"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(INSTALLED)

demo: install
	$(BIN)/medradar demo

# The browser tests drive Debian's chromium through Playwright; Chinese text needs the Noto CJK
# fonts. Installed with apt-get when missing (as root, or through sudo), skipped when present.
BROWSER_PACKAGES := chromium fonts-noto-cjk
browser:
	@missing=$$(for package in $(BROWSER_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q 'install ok installed' || echo $$package; done); \
	if [ -n "$$missing" ]; then \
		echo "installing" $$missing "for the browser tests…"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The team deployment's tests run Dagster on a real PostgreSQL server (tests/postgres.py starts
# one in a temporary directory): Debian's postgresql, installed with apt-get when missing.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing postgresql for the team deployment's tests…"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	fi

# The cluster tests run against real Elasticsearch and OpenSearch (scripts/search-engine):
# both start in the background while the first tests run, and stop when pytest ends,
# whether it passes or not. Their state (data, logs, ports) is under .engines/test.
# Test directories go under build/pytest: pytest's default /tmp/pytest-of-$USER keeps only the
# last three sessions, so other pytest sessions on the machine would delete a running one's
# (its Dagster instance, its data directory) while it runs.
ENGINE := scripts/search-engine
test: export SEARCH_ENGINE_STATE := $(CURDIR)/.engines/test
test: install browser postgres
	@trap '$(ENGINE) stop elasticsearch; $(ENGINE) stop opensearch' EXIT; \
	$(ENGINE) start elasticsearch --fresh --no-wait && \
	$(ENGINE) start opensearch --nodes 3 --fresh --no-wait && \
	mkdir -p build && $(BIN)/python -m pytest --basetemp=$(CURDIR)/build/pytest

ui: install
	$(BIN)/medradar ui

clean:
	rm -rf $(VENV) .pytest_cache
