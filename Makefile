# Firesafe platform: every command a developer or CI needs. Python comes from the machine
# (3.11); uv manages the workspace and its lock file.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3.11
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
ROLE ?= city_admin
SCOPE ?= city

.PHONY: env run token test test-real lint infra-up infra-down bench validate-deploy

env: ## create or update .venv from uv.lock (installs uv itself when missing)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --all-packages --frozen --quiet

run: env ## the whole platform in one process on http://127.0.0.1:8000 (SQLite, in-process bus)
	@$(UV) run --frozen python -m gateway

token: env ## a development JWT: make token ROLE=city_admin SCOPE=city
	@$(UV) run --frozen python -m firesafe_kit.auth.devtoken --role $(ROLE) --scope $(SCOPE)

test: env ## the suite; FIRESAFE_TEST_BACKENDS=real runs it on PostgreSQL and Kafka
	@$(UV) run --frozen pytest $(PYTEST_ARGS)

test-real: ## shorthand for the real backends (needs make infra-up)
	@FIRESAFE_TEST_BACKENDS=real $(MAKE) --no-print-directory test

lint: env
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .
	@$(UV) run --frozen mypy -p firesafe_kit -p gateway -p registry -p inspection -p duty_roster -p alerts

infra-up: ## PostgreSQL, Redis and Kafka on loopback (installed when missing)
	@bash deploy/local/infra.sh up

infra-down:
	@bash deploy/local/infra.sh down

validate-deploy:
	@bash deploy/validate.sh

bench: env ## benchmarks (need make infra-up): outbox relay vs raw aiokafka
	@$(UV) run --frozen python -m bench
