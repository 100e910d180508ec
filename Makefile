# APM: `make run` (the app with demo data on embedded defaults) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format install migrate demo static ci bench bench-json load clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The npm tools the tests run (axe-core, the Nu HTML checker: tests/js/package.json), again only when
# the lockfile changes. Their install scripts are not run: vnu.jar runs on the system's Java. Without
# npm the accessibility and HTML checks skip (and fail under CI=true).
JS_STAMP := tests/js/node_modules/.installed
$(JS_STAMP): tests/js/package.json tests/js/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/js --ignore-scripts --no-audit --no-fund --loglevel=error && touch $(JS_STAMP); \
	else echo "npm is missing: tests/browser/test_accessibility.py will skip (Debian: apt-get install -y npm)"; fi

install: $(STAMP) $(JS_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy apm teams projects reports
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py setup_demo

# Static files under their hashed names, gzip and brotli copies and the manifest, in STATIC_ROOT
# (var/static): pages name files through the manifest whenever DEBUG is off (tests, gunicorn).
static: $(STAMP)
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# The app with demo data on the embedded defaults: web on http://127.0.0.1:8000 (APM_PORT=8765
# serves on 8765, and links in emails follow), a Celery worker and beat, all in the foreground
# (Ctrl-C stops them). The demo's PM invoices their projects' clients too (APM_INVOICES_BY_PM,
# off by default elsewhere), and its invoices name an invented bank account (none by default).
run: export APM_INVOICES_BY_PM ?= true
run: export APM_COMPANY_BANK_DETAILS ?= Demo Bank plc (invented)|Sort code 00-00-00|Account 00000000
run: demo static
	$(BIN)/honcho start -f Procfile

test: lint static $(JS_STAMP)
	$(BIN)/pytest -p xdist -n 2

bench: $(STAMP)
	$(BIN)/python bench/report_render.py

# The report benchmarks as JSON (README, "Tests"): the department's portfolio report against plain
# WeasyPrint and Chromium cold and warm, then the report of a synthetic department at each size.
BENCH_DEPARTMENT ?= MOD
BENCH_PROJECTS ?= 500,1000
bench-json: $(STAMP)
	$(BIN)/python bench/report_render.py --department $(BENCH_DEPARTMENT) --json
	$(BIN)/python bench/report_scale.py --projects $(BENCH_PROJECTS) --json

# The load test (bench/load/README.md): PostgreSQL on 127.0.0.1:5432 (APM_LOAD_DATABASE_URL),
# its own redis-server, gunicorn with DEBUG=false, a worker and beat, locust headless. Not in `make test`.
LOAD_VENV := bench/out/venv-load
$(LOAD_VENV)/.installed: bench/requirements-load.txt
	test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/pip install --quiet -r bench/requirements-load.txt
	touch $@

load: $(STAMP) $(LOAD_VENV)/.installed
	$(BIN)/python bench/load/run.py $(LOAD_ARGS)

clean:
	rm -rf var/ .pytest_cache .ruff_cache
