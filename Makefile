# Serverless OnCall — the two commands: `make run` (local stack) and `make test` (everything CI runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
# sam validate runs offline, but the SAM CLI wants a region and credentials to exist.
SAM_ENV := AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline SAM_CLI_TELEMETRY=0

.PHONY: run test lint unit integration e2e alertmanager clean bench bench-route

run: $(VENV)/.local-deps ## Start the local stack (Ctrl-C stops it)
	$(BIN)/oncall local

test: lint alertmanager $(VENV)/.dev-deps ## Lint, then the unit, integration and end-to-end tests
	$(BIN)/pytest

unit: $(VENV)/.dev-deps
	$(BIN)/pytest tests/unit

integration: $(VENV)/.dev-deps
	$(BIN)/pytest tests/integration

e2e: $(VENV)/.dev-deps alertmanager
	$(BIN)/pytest tests/e2e

bench: $(VENV)/.dev-deps ## Benchmark report (not tests): cold start, warm cost, cost model, storm, latency, route logic
	$(BIN)/python bench/run.py

bench-route: $(VENV)/.dev-deps ## Route logic per alert, warm: cached templates vs compiling on every render
	$(BIN)/python bench/route_logic.py

lint: $(VENV)/.dev-deps $(SAM_VENV)/.deps node_modules/.deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint
	npx --no-install asl-validator --json-path statemachines/escalation.asl.json

# ------------------------------------------------------------------------------------------ installs
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.local-deps: $(BIN)/python requirements-local.txt layers/common/requirements.txt pyproject.toml
	$(BIN)/pip install -q -r requirements-local.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev-deps: $(VENV)/.local-deps requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# The SAM CLI pins older boto3/pydantic than the app, so it gets a venv of its own.
$(SAM_VENV)/.deps: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q -r requirements-sam.txt
	touch $@

node_modules/.deps: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# A real Alertmanager for the end-to-end test (Debian package). Without root/apt the test SKIPs loudly
# (and fails under CI=true).
alertmanager:
	@if command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    prometheus-alertmanager) >/dev/null 2>&1 || echo "!!! apt-get install prometheus-alertmanager FAILED !!!"; \
	else echo "!!! SKIP: not root (or no apt): prometheus-alertmanager not installed; its e2e test will SKIP !!!"; fi

clean:
	rm -rf $(VENV) $(SAM_VENV) node_modules .oncall-local .pytest_cache .ruff_cache .aws-sam
