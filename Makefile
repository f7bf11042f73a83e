# One command to run, one to test. See README.md.
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# Any Python >= 3.12: pyenv's (via .python-version), then the usual names.
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: run test install migrate data lint format messages bench clean

$(VENV)/.installed: requirements.lock
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (found none)." >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	touch $@

# Browser-test tools (axe-core), pinned in package-lock.json; skipped when there is no npm.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: browser accessibility checks need Node.js (npm ci)" >&2; fi

install: $(VENV)/.installed $(if $(wildcard package.json),node_modules/.package-lock.json)

# Regenerate the English catalog from the Japanese source strings (existing translations are
# kept; new strings get an empty msgstr), then compile it. The .mo files are committed.
MESSAGE_IGNORES := --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests --ignore=test-artifacts
messages: install
	$(PY) manage.py makemessages -l en -e html,txt,py $(MESSAGE_IGNORES) --add-location=file --no-wrap
	$(PY) manage.py compilemessages -l en $(MESSAGE_IGNORES)

migrate: install
	$(PY) manage.py migrate --noinput -v0

data: migrate
	$(PY) manage.py load_kumagaya
	$(PY) manage.py load_demo

run: data
	@echo "Serving http://127.0.0.1:$(PORT)/  (demo accounts: see README; e-mail is printed here)"
	DEBUG=1 SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: install
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) var node_modules test-artifacts
