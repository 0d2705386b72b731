# Sanad — `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` (each has its own test database). 0 runs
# in one process; so does PYTEST_ARGS="-p no:xdist …".
TEST_WORKERS ?= 2

.PHONY: install run serve migrate demo test fuzz client smoke browser screenshots lint format check static messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

migrate: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput

demo: migrate
	DEBUG=1 $(BIN)/python manage.py seed_demo

run: demo
	@echo "Serving Sanad on http://$(HOST):$(PORT)/  (stop with Ctrl-C)"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The suite runs with DEBUG off, as production does, with throw-away keys, on
# TEST_WORKERS processes.
test: install
	SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ACCESS_LOG_KEYS=test:$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))') \
	  $(BIN)/python -m pytest $(if $(findstring no:xdist,$(PYTEST_ARGS)),,-n $(TEST_WORKERS)) $(PYTEST_ARGS)

# Schemathesis against the running app (throw-away database, two agencies' users); see .ci/fuzz.
fuzz: install
	.ci/fuzz

# A Python client generated from the served schema (openapi-python-client) runs a
# partner's journey against the running app; see .ci/client.
client: install
	.ci/client

# The production shape on the loopback: two gunicorn servers, a Celery worker,
# PostgreSQL, Redis and an S3 API (moto), a referral across them (.ci/smoke).
smoke: install
	.ci/smoke

# tests/e2e/ in Debian's Chromium (installed when missing) against the demo data:
# the personas' journeys (also in ar, fa, uk), axe-core accessibility checks in
# English and Arabic, every main page at 390 px. See .ci/browser.
browser: install
	.ci/browser

# The same run, also saving each persona's home page to docs/screenshots/ and
# each step of the registration journey, per language, to docs/screenshots/journeys/.
screenshots: install
	SANAD_SCREENSHOTS=$(CURDIR)/docs/screenshots .ci/browser

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

# bandit over the code (a medium or high finding fails) and pip-audit over the
# installed packages (a known vulnerability fails; "NOT CHECKED" when its
# vulnerability service cannot be reached). See .ci/static.
static: install
	.ci/static

# Rebuild the translation catalogues (needs GNU gettext).
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l ar -l fa -l fr -l uk --no-obsolete
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
