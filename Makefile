# Accord: `make demo` to try it, `make test` to check it. Both set up .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export ACCORD_HOME ?= $(CURDIR)/var

.PHONY: demo test lint bench fuzz serve fmt clean tools

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	ACCORD_DEBUG=1 $(BIN)/accord demo
	@echo "Accord is serving on http://127.0.0.1:8000 (Ctrl-C to stop). Log in with a user above."
	@ACCORD_DEBUG=1 $(BIN)/accord serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/module_sizes.py
	ACCORD_DATABASE_URL= ACCORD_HOME=$$(mktemp -d) $(BIN)/accord check --fail-level WARNING
	ACCORD_DATABASE_URL= ACCORD_HOME=$$(mktemp -d) $(BIN)/accord makemigrations --check --dry-run

# Two processes (pytest-xdist): the suite starts servers, workers and browsers, and waits on them.
test: lint
	$(BIN)/pytest -n 2

# Suricata (bookworm-backports) and bind9-utils, which the export tests load files with (Debian 12,
# as root); without them those tests are skipped, except in CI.
tools:
	bash .ci/tools

bench: $(STAMP)
	$(BIN)/python -m bench

# Schemathesis against /api/schema/, every operation as an administrator and as a partner, 100
# examples each with a new seed every day (make test runs a bounded, fixed-seed version).
fuzz: $(STAMP)
	ACCORD_FUZZ_EXAMPLES=100 ACCORD_FUZZ_SEED=$$(date +%Y%m%d) $(BIN)/pytest tests/test_fuzz.py -n auto -p no:logging

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
