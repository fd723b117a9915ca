# Parley: `make run` starts the product with a demo agency, `make test` runs every check.
# Both set up everything they need: virtualenv, packages, PostgreSQL and Redis (reused on
# 127.0.0.1 when they answer, embedded under .data/ otherwise; see bin/services.py).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Local runs keep the test database between runs; CI passes PYTEST_ARGS=--create-db.
PYTEST_ARGS ?= --reuse-db

.PHONY: run test checks lint messages schema

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	$(BIN)/python bin/run.py

test: $(VENV)/.dev-deps
	$(BIN)/python bin/services.py test -- $(MAKE) --no-print-directory checks

# Needs the PARLEY_* service variables that `make test` provides.
checks: lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python bin/pytest_gate.py -n 2 $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# Regenerate the committed OpenAPI schema after changing an endpoint (a test compares them).
schema:
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py spectacular --urlconf config.urls_schema --file schema.yml --validate

# Refresh the translation catalogs after changing user-facing strings.
messages:
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py makemessages -l de -l pl -l ru --ignore ".venv/*" --ignore ".data/*"
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py compilemessages --ignore ".venv/*"
