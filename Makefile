# Pitstop. `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
WORKERS ?= 3
STAMP := $(VENV)/.installed

.PHONY: install run test test-postgres test-browser bench bench-stock bench-billing lint messages clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Pitstop needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Static files are collected again only when they (or the installed packages) changed.
STATIC_STAMP := var/static/.collected
$(STATIC_STAMP): $(STAMP) $(shell find pitstop/static -type f 2>/dev/null)
	$(PY) manage.py collectstatic --no-input -v 0
	@touch $(STATIC_STAMP)

run: install $(STATIC_STAMP)
	$(PY) manage.py prepare_demo
	@echo
	@echo "Pitstop is serving on http://127.0.0.1:$(PORT)  (Ctrl+C stops it)"
	$(VENV)/bin/gunicorn config.wsgi --bind 127.0.0.1:$(PORT) --workers $(WORKERS) --threads 2 \
		--access-logfile - --graceful-timeout 10 --timeout 300

test: install
	$(PY) -m pytest -q

# The same suite against PostgreSQL (DATABASE_URL, default: the local server, user postgres).
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pitstop} $(PY) -m pytest -q -m "not browser"

test-browser: install
	$(PY) -m pytest -q -m browser tests/browser

bench: install
	$(PY) bench/search_bench.py

# The stock ledger on PostgreSQL: 50,000 parts, 2,000,000 movements (database pitstop_bench).
bench-stock: install
	$(PY) bench/stock_bench.py

# Settling a 40-line work order; closing a day of 1,000 settlements (SQLite, or DATABASE_URL).
bench-billing: install
	$(PY) bench/settle_bench.py
	$(PY) bench/close_bench.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

# Re-extract and compile the translation catalogues (needs GNU gettext; the .mo files are committed).
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) var
