# PINE developer commands. `make run` sets up and runs the app; `make test` runs the tests.
# Both need only Python 3.11+: uv comes from PATH or is installed once into var/uv, and without
# DATABASE_URL / REDIS_URL the devstack (tools/devstack.py) starts embedded PostgreSQL and Redis.

VENV := .venv
PYTHON := $(VENV)/bin/python
export UV_PYTHON ?= python3
export UV_PYTHON_DOWNLOADS ?= never
export UV_PROJECT_ENVIRONMENT := $(VENV)

# uv from PATH when it works; otherwise a private copy in var/uv, installed once with pip
# (into a target directory, or a venv: neither needs root nor a writable user site).
UV := $(shell uv --version >/dev/null 2>&1 && echo uv)
ifeq ($(UV),)
UV := var/uv/bin/uv
UV_DEP := $(UV)
endif

GOVUK_FRONTEND_VERSION := 6.6.0
SASS_VERSION := 1.108.2
GOVUK_DIR ?= static/govuk

.DEFAULT_GOAL := help
.PHONY: help install run test check lint lock assets clean

help:
	@echo "make run      set up .venv, start PINE with demo data (PORT=8000)"
	@echo "make test     set up .venv, run the tests (ARGS='-k something' goes to pytest)"
	@echo "make check    quick loop: lint, migrations check, the tests without the browser and API-schema ones"
	@echo "make lint     check style, common mistakes (ruff) and the import layers (lint-imports)"
	@echo "make install  create or update .venv from uv.lock"
	@echo "make lock     update uv.lock and export requirements*.txt (pip route)"
	@echo "make assets   rebuild static/govuk from the govuk-frontend npm package (needs Node.js)"
	@echo "make clean    remove var/ (embedded database, Redis, Celery beat state)"

install: $(UV_DEP)
	@$(UV) sync --frozen

run: install
	$(PYTHON) -m tools.devstack run

test: install
	$(PYTHON) -m tools.devstack test $(ARGS)

var/uv/bin/uv:
	@echo "uv is not on PATH: installing it into var/uv (once)"
	@mkdir -p var/uv/bin
	python3 -m pip install --quiet --disable-pip-version-check --target var/uv/pkg uv \
	  || { rm -rf var/uv/pkg && python3 -m venv var/uv/pkg && var/uv/pkg/bin/pip install --quiet uv; }
	ln -sf ../pkg/bin/uv var/uv/bin/uv
	$@ --version

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# The tests' settings need no services to check the models against the migrations.
check: lint
	DJANGO_SETTINGS_MODULE=tests.settings $(PYTHON) manage.py makemigrations --check --dry-run
	$(PYTHON) -m tools.devstack test -m "not browser and not schema" $(ARGS)

lock: $(UV_DEP)
	$(UV) lock
	$(UV) export --frozen --no-hashes --no-emit-project --no-dev --quiet -o requirements.txt
	$(UV) export --frozen --no-hashes --no-emit-project --group dev --quiet -o requirements-dev.txt

# Developers only: the app serves the committed files and never needs Node.js.
assets:
	@command -v npm >/dev/null || { echo "make assets needs Node.js and npm" >&2; exit 1; }
	set -e; out="$(abspath $(GOVUK_DIR))"; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; cd "$$tmp"; \
	npm init -y >/dev/null; \
	npm install --silent --no-audit --no-fund govuk-frontend@$(GOVUK_FRONTEND_VERSION) sass@$(SASS_VERSION); \
	echo '@use "pkg:govuk-frontend" with ($$govuk-font-family: (arial, sans-serif), $$govuk-assets-path: "/static/govuk/assets/");' > pine.scss; \
	npx sass --pkg-importer=node --style=compressed --no-source-map pine.scss "$$out/govuk-frontend.min.css"; \
	sed -e 's|//# sourceMappingURL=[^ ]*$$||' node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js > "$$out/govuk-frontend.min.js"; \
	for url in $$(grep -o '/static/govuk/assets/[^")]*' "$$out/govuk-frontend.min.css" | sort -u); do \
	  rel=$${url#/static/govuk/assets/}; mkdir -p "$$out/assets/$$(dirname "$$rel")"; \
	  cp "node_modules/govuk-frontend/dist/govuk/assets/$$rel" "$$out/assets/$$rel"; \
	done; \
	echo "rebuilt $(GOVUK_DIR) from govuk-frontend $(GOVUK_FRONTEND_VERSION)"

clean:
	rm -rf var
