# Two commands on a fresh machine: `make run` and `make test`. Everything else hangs off `setup`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Installs come from the locks, never from a fresh resolution: requirements-dev.lock (runtime + the
# dev extra, every file's sha-256) for the venv and CI, requirements.lock (runtime only, the same
# versions) for the Docker image. `make lock` regenerates both from pyproject.toml.
LOCK := requirements-dev.lock
RUNTIME_LOCK := requirements.lock
# uv never fetches a Python of its own here: the venv's interpreter is the one.
UV := UV_PYTHON_DOWNLOADS=never $(BIN)/uv
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet \
  --custom-compile-command 'make lock'

.PHONY: setup lock run test test-postgres lint format token demo bench clean i18n screenshots
.PHONY: backup restore chaos fuzz

# 1. uv itself, at the version and hashes the lock pins (pip bootstraps it, checking the hashes);
# 2. `uv pip sync`: exactly the lock, hashes required, anything else in the venv removed;
# 3. the project itself, editable, without dependencies, built by the locked setuptools.
$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	awk '/^uv==/ {p = 1; print; next} p && /^[[:space:]]/ {print; next} {p = 0}' $(LOCK) \
	  > $(VENV)/uv-requirement.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
	  -r $(VENV)/uv-requirement.txt
	$(UV) pip sync -q --python $(BIN)/python --require-hashes $(LOCK)
	$(UV) pip install -q --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

# Regenerate the locks after changing dependencies in pyproject.toml. Versions already locked are
# kept where they still fit; `make lock LOCK_ARGS=--upgrade` moves everything to the newest.
lock: setup
	$(UV) pip compile pyproject.toml --extra dev $(LOCK_FLAGS) $(LOCK_ARGS) -o $(LOCK)
	$(UV) pip compile pyproject.toml -c $(LOCK) $(LOCK_FLAGS) -o $(RUNTIME_LOCK)

run: setup
	$(BIN)/python -m cli.devstack

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The same suite against PostgreSQL (CI has one on 127.0.0.1:5432, database `test`, trust auth).
test-postgres: setup
	MERITFLOW_TEST_DATABASE_URL=$${MERITFLOW_TEST_DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/test} \
	  $(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The console's catalogs: extract every marked string, update both catalogs (no fuzzy guesses), then
# compile; translate the new Indonesian entries in between (tests/web/test_catalogs.py checks).
i18n: setup
	$(BIN)/pybabel extract -F web/babel.cfg -k N_ --no-location --omit-header -w 100 \
	  -o web/translations/messages.pot .
	$(BIN)/pybabel update -w 100 --no-fuzzy-matching -i web/translations/messages.pot -d web/translations
	$(BIN)/pybabel compile -d web/translations

ROLE ?= agency_hr
SUB ?= dev-user
AGENCY ?=
token: setup
	@$(BIN)/python -m cli.token --role '$(ROLE)' --sub '$(SUB)' $(if $(AGENCY),--agency '$(AGENCY)')

# The training rulebook (minutes), against `make run`; DEMO_ARGS=--timers adds a 3-minute escalation.
demo: setup
	$(BIN)/python -m cli.demo $(DEMO_ARGS)

# The console's main pages in both languages, as docs/screenshots/*.png (the README shows them).
screenshots: setup
	MERITFLOW_DOCS_SHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/browser/test_promotion_pages.py tests/browser/test_selection_pages.py

# Property-based fuzzing of every API operation once per principal (tests/fuzz), the long profile:
# random draws, FUZZ_EXAMPLES cases per operation, generation mode and principal (CI runs the same
# test bounded, 1 each, as part of the suite). The counts per principal go to data/fuzz-report.txt.
FUZZ_EXAMPLES ?= 10
fuzz: setup
	mkdir -p data && rm -f data/fuzz-report.txt
	MERITFLOW_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) MERITFLOW_FUZZ_RANDOM=1 \
	  MERITFLOW_FUZZ_REPORT=$(CURDIR)/data/fuzz-report.txt \
	  $(BIN)/python -m pytest -q tests/fuzz $(PYTEST_ARGS); status=$$?; \
	  grep -h '^principal=' data/fuzz-report.txt; exit $$status

# Every benchmark in one run and issue 15's targets beside the numbers (bench/suite.py); e.g.
# make bench BENCH_ARGS=--postgres, or BENCH_ARGS="--deployment URL --temporal HOST:PORT".
bench: setup
	$(BIN)/python -m bench.suite $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache .import_linter_cache

# Backup and restore of the configured database (README, "Backup and restore"): SQLite's online
# backup API, or pg_dump on PostgreSQL. `make restore FROM=<path>` replaces the database: stop the
# stack first.
TO ?=
FROM ?=
backup: setup
	$(BIN)/python -m cli.backup backup $(if $(TO),--to '$(TO)')

restore: setup
	@test -n '$(FROM)' || { echo 'usage: make restore FROM=data/backups/meritflow-<time>.sqlite3'; exit 2; }
	$(BIN)/python -m cli.backup restore '$(FROM)' --yes

# Fault injection, the long profile (CI runs the short one inside the suite): promotions and a
# selection walked while the worker, Temporal, the API (and PostgreSQL's connections) are killed.
chaos: setup
	MERITFLOW_CHAOS_PROFILE=long $(BIN)/python -m pytest -q -s tests/e2e/test_faults.py $(PYTEST_ARGS)
