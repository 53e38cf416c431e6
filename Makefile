# Herald: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
PY := $(VENV)/bin/python
PYTHON_CANDIDATES := python3.14 python3.13 python3.12 python3 \
	$(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3)
# The first interpreter that is Python 3.12 or newer.
PYTHON ?= $(shell for candidate in $(PYTHON_CANDIDATES); do \
	command -v $$candidate >/dev/null 2>&1 && $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$candidate; break; }; done)

.PHONY: run test install lint check e2e clean

$(VENV)/.installed: requirements.lock
	@test -n "$(PYTHON)" || { echo "Herald needs Python 3.12 or newer; none found on PATH." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py seed_demo
	@echo ""
	@echo "  Herald is running on http://127.0.0.1:8000"
	@echo "  Log in as demo@example.com with the password herald-demo"
	@echo "  A task worker delivers triggers beside it; Ctrl-C stops both."
	@echo ""
	@# The worker runs in the background and is stopped (gracefully, SIGTERM) however the web
	@# server ends. It does not reload on code changes: restart `make run` after editing it.
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=true $(PY) manage.py db_worker --queue-name '*' --interval 0.5 --no-reload & \
	worker=$$!; \
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) node_modules staticfiles
