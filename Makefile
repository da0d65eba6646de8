# Giao Ban: set-up, run and test. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := webapp:create_app

# The first Python >= 3.12 found: on PATH, then pyenv's installed versions.
PYTHON ?= $(shell for p in python3.12 python3.13 python3 \
	  $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -V); do \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)

.PHONY: run demo test coverage serve venv test-deps translations messages clean help

help:
	@echo "make run    - set up and serve on http://127.0.0.1:$(PORT)"
	@echo "make demo   - as run, on a demo database filled with a year of Hanoi"
	@echo "make test   - install the test dependencies, run ruff, then the whole suite with line coverage"
	@echo "make coverage - the same with branch coverage (slower: Python's tracer, not sys.monitoring)"
	@echo "make serve  - production: gunicorn workers plus the scheduler process"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (python3.12 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

venv: $(VENV)/.installed translations

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -d webapp/translations

# The scheduler (reminders, notices' e-mails) runs as its own process beside the server and
# stops with it. Without MAIL_SERVER, e-mails are written as .eml files under instance/outbox/.
WITH_SCHEDULER = $(BIN)/flask scheduler run & SCHEDULER=$$!; trap 'kill $$SCHEDULER 2>/dev/null' EXIT INT TERM;

run: venv
	$(BIN)/flask db upgrade
	$(BIN)/flask setup --dataset $${UNITS_DATASET:-legacy}
	$(WITH_SCHEDULER) $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

demo: venv
	DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/instance/demo.sqlite} $(MAKE) --no-print-directory _demo

_demo:
	$(BIN)/flask db upgrade
	$(BIN)/flask setup --dataset $${UNITS_DATASET:-legacy}
	$(BIN)/flask demo generate --year $$( [ "$${UNITS_DATASET:-legacy}" = 2025 ] && echo 2025 || echo 2019 ) --if-empty
	$(WITH_SCHEDULER) $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test-deps: $(VENV)/.installed-test translations

# Lint first (ruff, with import sorting), then the suite with line coverage (.coveragerc):
# SQLite always; PostgreSQL too when TEST_DATABASE_URL names a server. TEST_WORKERS pytest-xdist
# workers share it out, a module's tests on one engine to one worker (tests/conftest.py); each
# worker makes its own databases. TEST_WORKERS=0 runs it in one process.
# Line coverage through sys.monitoring (Python 3.12+) costs about a third of the suite's time,
# branch coverage through the tracer about twice it (measured on two of the suite's files:
# 15.6 s without, 20.6 s and 29.0 s with); `make coverage` measures branches.
COVERAGE ?= --cov --cov-report=term:skip-covered
export COVERAGE_CORE ?= sysmon
TEST_WORKERS ?= 2
coverage:
	$(MAKE) test COVERAGE="--cov --cov-branch --cov-report=term:skip-covered" COVERAGE_CORE=ctrace

test: test-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -p no:cacheprovider $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadscope) $(COVERAGE) $(PYTEST_ARGS)

serve: venv
	$(BIN)/flask db upgrade
	$(BIN)/flask setup --dataset $${UNITS_DATASET:-legacy}
	$(WITH_SCHEDULER) \
	$(BIN)/gunicorn --workers $${WORKERS:-4} --bind 127.0.0.1:$(PORT) 'webapp:create_app()'

clean:
	rm -rf $(VENV)

# Re-extract the UI's strings and merge them into the catalogs (then translate the new ones).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations --no-fuzzy-matching
