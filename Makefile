# streetline: `make run` starts everything on embedded defaults, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PYTEST_ARGS ?=
VENDOR := webhooks/static/vendor

.PHONY: help system-deps install run chat test migrate lock bench bench-full clean

help:
	@grep -hE '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(VENV)/.installed: requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 needed ($(PYTHON))"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "uv==0.13.9"
	$(UV) pip sync --python $(PY) -q requirements.lock
	touch $@

install: $(VENV)/.installed $(VENDOR)/.built ## create .venv and install the locked dependencies

system-deps: ## the Debian packages tests and run need (installs them as root, else says the command)
	@scripts/system-deps.sh

$(VENDOR)/.built: | system-deps  # npm comes from there, also under make -j

lock: ## regenerate requirements.lock from pyproject.toml (uv pip compile)
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock -q

run: system-deps install nlu-train ## start Redis, migrate, load demo content, run web + worker + NLU (honcho)
	$(PY) -m tools.run

chat: install ## a terminal phone that texts the running app (SMS or WhatsApp)
	$(PY) -m tools.chat

migrate: install ## apply migrations to DATABASE_URL (default: SQLite under var/)
	$(PY) -m bot.cli migrate

test: system-deps install nlu-train ## the whole suite: starts its own PostgreSQL, Redis and Rasa server
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install nlu-train ## every benchmark in bench/ at short sizes, each with its ratio to its floor (bench/all.py)
	$(PY) bench/all.py

bench-full: install nlu-train ## every benchmark at its own default sizes (long: tens of minutes)
	BENCH_FULL=1 $(PY) bench/all.py

clean:
	rm -rf var .pytest_cache

include $(wildcard mk/*.mk)
