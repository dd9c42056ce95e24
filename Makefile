# Posko LBK. `make run` and `make test` work on a fresh Debian machine with Python 3.11+.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Debian libraries: WeasyPrint (pango, harfbuzz-subset for fast font subsetting), gettext
# for the message catalogues, Noto fonts for letters.
APT_RUN := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext fonts-noto-core
# Tests also drive a real browser and read PDFs; Redis tests start their own redis-server; the
# topology test (make test-cluster) also runs nginx and a PostgreSQL primary and standby.
APT_TEST := chromium poppler-utils redis-server nginx postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast test-cluster setup setup-test apt-run apt-test migrate demo check lint fmt messages check-messages hooks clean e2e bench

run: setup migrate demo
	DEBUG=true $(PY) manage.py runall 127.0.0.1:8000

setup: apt-run $(VENV)/.installed

setup-test: apt-test $(VENV)/.installed-test

apt-run:
	@$(call apt_install,$(APT_RUN))

apt-test: apt-run
	@$(call apt_install,$(APT_TEST))

# Installs only what is missing; `apt-get update` once, before the first install.
define apt_install
missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
if [ -n "$$missing" ]; then \
  echo "apt-get install:$$missing"; \
  $(SUDO) apt-get update -qq && \
  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
fi
endef

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install -q -e ".[test]"
	touch $@

migrate: setup
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py createcachetable

demo: migrate
	DEBUG=true $(PY) manage.py loaddata fixtures/master.json
	# Sulawesi Selatan's places, so a newcomer can add a kelurahan or desa there (the whole
	# country: `manage.py load_places`, a few seconds).
	DEBUG=true $(PY) manage.py load_places --province 73
	DEBUG=true $(PY) manage.py seed_demo

# The whole suite; honours DATABASE_URL (SQLite in memory by default).
# Two workers: the machine has two cores (JOBS=0 runs in one process).
JOBS ?= 2
test: setup-test
	$(PY) -m pytest -n $(JOBS) --dist loadgroup $(PYTEST_ARGS)

# The suite without the browser tests (tests/e2e), for quick local runs; CI runs `make test`.
test-fast: setup-test
	$(PY) -m pytest -n $(JOBS) --dist loadgroup --ignore=tests/e2e $(PYTEST_ARGS)

# The topology test: PostgreSQL primary + streaming standby, Redis, S3 (moto), an SMTP sink,
# two gunicorn nodes behind nginx, all on loopback in a temporary folder; a journey through the
# load balancer and a web node killed mid-burst (tests/cluster/topology.py). Needs root (it
# runs PostgreSQL as the postgres user). Not part of `make test`.
test-cluster: setup-test
	$(PY) tests/cluster/topology.py

e2e: setup-test
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

# The benchmark suite (issue 12): data sets of 1,000 and BENCH_CASES cases in PostgreSQL
# (BENCH_DATABASE_URL, the server where it may create databases), gunicorn on loopback, wrk for
# throughput. Prints the table and writes docs/BENCHMARKS.md. BENCH_ARGS passes more options
# (manage.py bench --help), e.g. BENCH_ARGS=--regenerate.
BENCH_CASES ?= 100000
BENCH_SEED ?= 1
BENCH_ARGS ?=
APT_BENCH := wrk
bench: setup
	@$(call apt_install,$(APT_BENCH))
	DEBUG=true $(PY) manage.py bench --cases $(BENCH_CASES) --seed $(BENCH_SEED) $(BENCH_ARGS)

# The static checks CI runs before the tests: ruff (lint and format) and mypy (the typed core:
# engine, invariants, access rules, services; pyproject.toml [tool.mypy]).
check: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true SECRET_KEY=mypy-only $(VENV)/bin/mypy

# check, plus bandit; pip-audit needs the PyPI advisory service: when it cannot be reached
# (offline CI) it is skipped with a note; when reached, a known vulnerability fails lint.
lint: check
	$(VENV)/bin/bandit -q -c pyproject.toml -r lbk accounts cases referrals notifications attachments ops
	@if $(PY) -c 'import urllib.request as u; u.urlopen("https://pypi.org/pypi/pip/json", timeout=5)' >/dev/null 2>&1; then \
	  $(VENV)/bin/pip-audit --skip-editable --progress-spinner off; \
	else echo "pip-audit skipped: pypi.org not reachable"; fi

fmt: setup-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# locale/id/LC_MESSAGES/django.po is the source of the Indonesian text: translators edit it
# (Poedit, Weblate). This target adds new source strings to it (untranslated, or fuzzy when
# gettext guesses from a similar string), drops strings no longer in the source, and compiles
# the .mo. Locations are file names only (--add-location=file): a translator still sees where
# a string is used, and moving code within a file does not rewrite the catalogue.
MAKEMESSAGES_ARGS := -l id --add-location=file --no-obsolete -i '.venv/*' -i 'tests/*' -i 'staticfiles/*'
messages: setup
	DEBUG=true $(PY) manage.py makemessages $(MAKEMESSAGES_ARGS)
	DEBUG=true $(PY) manage.py compilemessages -l id -i .venv

# The catalogue is complete and compiled (the pre-commit hook runs this).
check-messages: setup-test
	$(PY) -m pytest -q -p no:randomly tests/test_i18n.py

# The pre-commit hooks of .pre-commit-config.yaml (local hooks: ruff, the catalogue check).
hooks: setup-test
	$(VENV)/bin/pre-commit install

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
