# Buddying: `make run` starts the service on SQLite with demo data; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Development server settings: debug on, embedded SQLite, tasks in-process (no Redis needed).
RUN_ENV := DEBUG=1

.PHONY: help run serve test test-browser lint fmt typecheck bench migrations-check services chromium pdf-libs node assets venv dev clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed
dev: $(VENV)/.installed-dev

pdf-libs: ## Install the Debian libraries WeasyPrint needs for PDF packs (Pango, HarfBuzz, a font) if missing
	@(ldconfig -p | grep -q 'libpango-1.0.so' && ldconfig -p | grep -q 'libpangoft2-1.0.so' \
		&& ldconfig -p | grep -q 'libharfbuzz-subset.so' && test -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf) \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)

node: ## Install Node.js and npm from Debian if missing
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)

node_modules/.installed: package.json package-lock.json | node
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/build/app.css: node_modules/.installed static/scss/app.scss
	npm run -s build:css

assets: static/build/app.css ## Install front-end packages (npm, lock file) and build the stylesheet

run: venv assets pdf-libs ## Start the service on http://127.0.0.1:8000 with demo data (SQLite, no other service)
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000

serve: venv ## Production on one machine: gunicorn, a Celery worker and beat together (README: Production); Ctrl-C stops all
	$(PY) deploy/serve.py

services: ## Start PostgreSQL and Redis on 127.0.0.1 if they are down
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && exit 0; sleep 1; done; echo "PostgreSQL or Redis did not start" >&2; exit 1

chromium: ## Install Debian's Chromium and ChromeDriver for the browser tests if missing
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

# Two `make test` at once each take a free slot (a lock file): slot 0 uses pytest.ini's databases (PostgreSQL
# buddying, Redis db 15), slot N uses buddying_N and Redis db 15-N, so neither run touches the other's data.
# A DATABASE_URL or REDIS_URL already set is used as it is.
test: dev assets services chromium pdf-libs migrations-check lint typecheck ## Run every test (PostgreSQL, Redis, Chromium) plus lint, type and migration checks
	@for slot in 0 1 2 3 4 5 6 7; do \
		exec 9>"$${TMPDIR:-/tmp}/buddying-make-test-$$slot.lock"; \
		if flock -n 9; then \
			suffix=$$([ $$slot = 0 ] || echo "_$$slot"); \
			export DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/buddying$$suffix}"; \
			export REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/$$((15 - slot))}"; \
			echo "make test: slot $$slot: $$DATABASE_URL, $$REDIS_URL"; \
			exec $(PY) -m pytest; \
		fi; \
	done; echo "make test: eight runs are going already" >&2; exit 1

test-browser: dev assets services chromium ## Run only the browser journeys
	$(PY) -m pytest -m browser

lint: dev ## Ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: dev ## Format and autofix with Ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# django-stubs' plugin imports buddying.settings: DEBUG=1 lets them load with no other variable set.
typecheck: dev ## Static type check (mypy with django-stubs) of every app, the tests, bench and deploy; the engine strictly
	$(RUN_ENV) $(VENV)/bin/mypy

migrations-check: venv ## Fail if models changed without a migration
	$(RUN_ENV) $(PY) manage.py makemigrations --check --dry-run

bench: dev services ## Run the benchmarks and print figures against their baselines
	$(PY) bench/run_all.py

clean: ## Remove the virtualenv, node_modules, built assets and the SQLite database
	rm -rf $(VENV) node_modules static/build staticfiles db.sqlite3
