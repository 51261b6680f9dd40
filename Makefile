# Two commands on a fresh machine: `make run` and `make test`. Everything else hangs off `setup`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-postgres lint format token demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/python -m infra.devstack

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

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

ROLE ?= agency_hr
SUB ?= dev-user
AGENCY ?=
token: setup
	@$(BIN)/python -m infra.cli token --role '$(ROLE)' --sub '$(SUB)' $(if $(AGENCY),--agency '$(AGENCY)')

# The training rulebook (minutes), against `make run`; DEMO_ARGS=--timers adds a 3-minute escalation.
demo: setup
	$(BIN)/python -m infra.demo $(DEMO_ARGS)

bench: setup
	$(BIN)/python -m bench.promotion_decisions
	$(BIN)/python -m bench.promotion_period
	$(BIN)/python -m bench.selection_scale
	$(BIN)/python -m bench.audit_ledger

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
