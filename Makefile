# Quire: `make run` serves the API with a demo account; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export QUIRE_DATABASE_URL ?= sqlite:///./quire.db
# Hosted invoice pages (/i/{token}) and the links in emails point here; set it to the URL customers reach.
export QUIRE_PUBLIC_URL ?= http://$(HOST):$(PORT)

.PHONY: run install install-test install-bench test test-sqlite bench bench-billing bench-console lock clean

# Every install is held to the versions in constraints.txt (the set CI last passed with), so a release
# upstream cannot change a fresh clone's behaviour under it; `make lock` moves them forward on purpose.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --constraint constraints.txt

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt $(VENV)/.installed
	$(PIP_INSTALL) -e ".[test]"
	touch $@

install: $(VENV)/.installed

# Also Debian's chromium + chromium-driver for tests/browser (apt-get; instant once installed). Outside CI a
# machine where that cannot be done only warns, and those tests skip; with CI=true it fails.
install-test: $(VENV)/.installed-test
	bash scripts/ensure-browser

$(VENV)/.installed-bench: pyproject.toml constraints.txt $(VENV)/.installed
	$(PIP_INSTALL) -e ".[bench]"
	touch $@

install-bench: $(VENV)/.installed-bench

run: install
	$(BIN)/quire migrate
	$(BIN)/quire demo --host $(HOST) --port $(PORT)
	$(BIN)/quire serve --host $(HOST) --port $(PORT) --no-migrate

# SQLite always; PostgreSQL at QUIRE_TEST_DATABASE_URL (skipped locally if absent, mandatory with CI=true).
test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-sqlite: install-test
	$(BIN)/python -m pytest -k "not postgresql" $(PYTEST_ARGS)

# All workloads on SQLite and PostgreSQL, uvicorn/granian, and the django-silver peer (bench/peer/.venv,
# installed on first use); BENCH_ARGS=--quick for the under-2-minutes subset. See docs/performance.md.
bench: install-bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# A billing run over 100,000 schedules on PostgreSQL with two workers, then again (docs/billing-engine.md#scale).
bench-billing: install-bench
	$(BIN)/python bench/billing_run.py $(BILLING_ARGS)

# Console page latency (p50/p90/p99 and CPU per page) with 10,000 invoices on SQLite (docs/console.md#latency).
bench-console: install-bench
	$(BIN)/python bench/console.py $(CONSOLE_ARGS)

# Newest versions pyproject.toml allows, resolved in a scratch virtualenv, written to constraints.txt.
# Then `make clean test` and commit both if it passes.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e ".[test,bench]"
	{ echo "# Versions every install uses (Makefile: --constraint). Written by \`make lock\`; do not edit by hand."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) quire.db quire.db-wal quire.db-shm .quire-demo.json .pytest_cache
