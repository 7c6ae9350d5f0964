# Two commands on a fresh machine with Python 3.11 and make:
#   make demo   creates .venv, installs spt, runs the offline demo
#   make test   creates .venv, installs the test extras, runs lint, types and the suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
# The demo keeps its embedded database inside the checkout, apart from a real install.
DEMO_DATA := $(CURDIR)/.demo/pgdata

.PHONY: demo test lint typecheck unit test-tools install install-dev lock clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "spt needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python requirements.lock pyproject.toml
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	@touch $@

$(VENV)/.dev: $(BIN)/python requirements-dev.lock pyproject.toml
	$(PIP) install -r requirements-dev.lock
	$(PIP) install --no-deps -e .
	@touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

demo: $(VENV)/.runtime
	SPT_DATABASE__DATA_DIR=$(DEMO_DATA) $(BIN)/spt demo

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev
	$(BIN)/mypy

# Prometheus and promtool for the observability tests (Debian's package when missing).
test-tools:
	./scripts/test-tools

unit: $(VENV)/.dev test-tools
	$(BIN)/pytest

test: lint typecheck unit

# Re-pin every dependency from pyproject.toml (needs the package registry).
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check .
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^spt @' > requirements.lock
	.lock-venv/bin/pip install --quiet --disable-pip-version-check '.[test]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^spt @' > requirements-dev.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache .pytest_cache
