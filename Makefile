# Suqiu: `make run` for the demo, `make test` for the suite. Nothing but Python 3.11 and make needed.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The demo listens on this machine only: its accounts' password is in the README.
# `make run BIND_ADDRESS=0.0.0.0` (with ALLOWED_HOSTS naming this machine) to let other machines in.
BIND_ADDRESS ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: run test check lint format install install-dev messages clean bench
.DEFAULT_GOAL := run

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Suqiu needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed once, again whenever pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-run
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

## run: set up, migrate, load the demo county (kept on re-runs), serve with a worker and beat
# The laptop demo signs in without an authenticator app; production requires one of commission
# staff and administrators (docs/security.md). `TWO_FACTOR_REQUIRED=true make run` to see it.
# It is a DEBUG run: it generates its keys once and keeps them in var/ (production refuses to
# start without them, and never writes one).
run: export TWO_FACTOR_REQUIRED ?= false
run: export DEBUG ?= true
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py demo_county
	$(BIN)/python manage.py demo_cases
	@echo ""
	@echo "  Suqiu is starting at  http://$(BIND_ADDRESS):$(PORT)/   (staff sign-in: http://$(BIND_ADDRESS):$(PORT)/accounts/login/)"
	@case "$(BIND_ADDRESS)" in 127.*|localhost|::1) ;; *) echo "  Listening on $(BIND_ADDRESS): other machines reach it at this machine's address (name it in ALLOWED_HOSTS), and anyone who does can sign in with the demo's published password.";; esac
	@echo "  Stop with Ctrl-C. Data is kept in var/. Two-factor sign-in required: $$TWO_FACTOR_REQUIRED (demo)."
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" BIND_ADDRESS=$(BIND_ADDRESS) $(BIN)/honcho start --procfile Procfile --port $(PORT)

## test: the whole suite (SQLite and the file broker by default; DATABASE_URL / REDIS_URL for the real ones)
test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

## check: lint, format, Django's checks, migrations and translations up to date
# Local tools, like `make run`: a DEBUG run's keys from var/ unless the environment has its own.
check messages: export DEBUG ?= true
check: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run

## bench: the benchmark (bench/README.md): a generated province in PostgreSQL, workloads W1–W6,
## figures to bench/results/. BENCH_ARGS="--cases 20000" for a smoke run.
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## messages: refresh the Chinese catalogue from the source (needs GNU gettext), then compile it
messages: install-dev
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=static --ignore=staticfiles --ignore=tests
	$(BIN)/python -c "import polib; polib.pofile('locale/zh_Hans/LC_MESSAGES/django.po').save_as_mofile('locale/zh_Hans/LC_MESSAGES/django.mo')"

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
