# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install browser bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Install, migrate, seed the demo account and serve (the embedded SQLite default unless
# DATABASE_URL is set); on PostgreSQL the background-job worker runs beside the web server.
run: install
	PY=$(PY) HOST=$(HOST) PORT=$(PORT) bash scripts/run-dev

# Install (Chromium too, for the browser tests) and run the whole test suite.
# Uses DATABASE_URL when set (CI sets PostgreSQL), else SQLite.
test: install browser
	$(PY) -m pytest

browser:
	@bash scripts/ensure-chromium

# Benchmarks (tools/bench/README.md): creates and drops its own PostgreSQL databases, needs
# Redis and wrk, takes about 13 minutes and prints a table. BENCH_ARGS=--quick for a trial run.
bench: install
	$(PY) -m pip install --quiet -r tools/bench/requirements.txt
	$(PY) -m tools.bench.run $(BENCH_ARGS)
