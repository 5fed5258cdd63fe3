# Serverless OnCall — the two commands: `make run` (local stack) and `make test` (everything CI runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
# sam validate runs offline, but the SAM CLI wants a region and credentials to exist.
SAM_ENV := AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline SAM_CLI_TELEMETRY=0

.PHONY: run test deps build lint unit integration e2e system-packages clean bench bench-route bench-console openapi screenshots

run: $(VENV)/.local-deps ## Start the local stack (Ctrl-C stops it)
	$(BIN)/oncall local

# pytest-xdist: one worker per core. The end-to-end tests run after the others: their local stacks are real
# processes with real-time waits, and sharing the cores with moto-heavy integration tests slows both. They run
# a file per worker (--dist loadfile): a file's tests share one local stack and build on each other's state.
PYTEST_WORKERS ?= auto

# Build and lint run side by side (separate outputs: .aws-sam/ and build/translated-template.json): the build
# mostly waits on pip and file copies, the lint on one core; together they save ~20 s of a CI run.
test: deps ## Build (what sam deploy uploads, checked), lint, then the unit, integration and end-to-end tests
	$(MAKE) --no-print-directory -j2 --output-sync=target build lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests/unit tests/integration
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile tests/e2e

# Everything `make test` needs, installed in parallel (pip, npm and apt mostly wait on the network).
deps:
	$(MAKE) --no-print-directory -j4 $(VENV)/.dev-deps $(SAM_VENV)/.deps $(CHECKOV_VENV)/.deps node_modules/.deps system-packages

unit: $(VENV)/.dev-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests/unit

integration: $(VENV)/.dev-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests/integration

e2e: $(VENV)/.dev-deps system-packages
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile tests/e2e

bench: $(VENV)/.dev-deps ## Benchmark report (not tests): cold start, warm cost, cost model, storm, latency, route logic
	$(BIN)/python bench/run.py

bench-console: $(VENV)/.dev-deps ## Console: group-list render CPU (100 groups, warm), first-load bytes
	$(BIN)/python bench/console_render.py

screenshots: $(VENV)/.dev-deps system-packages ## Regenerate docs/console/*.png (desktop 1280 px, phone 360 px) from a local stack
	$(BIN)/python -m tests.e2e.console_screenshots docs/console

bench-route: $(VENV)/.dev-deps ## Route logic per alert, warm: cached templates vs compiling on every render
	$(BIN)/python bench/route_logic.py

# sam build (python3.13, arm64) into .aws-sam/build, unchecked-hash bytecode, aarch64-only native libraries, and
# every handler imported on read-only mounts in a runtime-like Python 3.13 (tools/build_check.py says how).
build: $(VENV)/.local-deps $(SAM_VENV)/.deps
	$(BIN)/python -m tools.build_check

# The import contracts (pyproject.toml [tool.importlinter]: the domain's layers, no CLI or moto in it, botocore
# only behind storage and platform.aws), then the SAM source, and what CloudFormation will see: the template
# translated offline by the SAM translator (tools/translated_lint.py fails on a dependency cycle), linted by
# cfn-lint and scanned by checkov too.
TRANSLATED := build/translated-template.json
lint: $(VENV)/.dev-deps $(SAM_VENV)/.deps $(CHECKOV_VENV)/.deps node_modules/.deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=cli:local:layers/common $(BIN)/lint-imports
	$(BIN)/cfn-lint template.yaml
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint
	$(BIN)/python -m tools.translated_lint template.yaml $(TRANSLATED)
	$(BIN)/cfn-lint $(TRANSLATED)
	$(CHECKOV_VENV)/bin/checkov -f template.yaml -f $(TRANSLATED) --framework cloudformation --compact --quiet --skip-download
	npx --no-install asl-validator --json-path statemachines/escalation.asl.json

openapi: $(VENV)/.local-deps ## Regenerate docs/openapi.json (a test fails when it differs from the served one)
	PYTHONPATH=layers/common $(BIN)/python -m tools.openapi docs/openapi.json

# ------------------------------------------------------------------------------------------ installs
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.local-deps: $(BIN)/python requirements-local.txt requirements-cli.txt layers/common/requirements.txt pyproject.toml
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

# checkov pins its own dependencies too (a security scan of template.yaml; suppressions are in the template).
$(CHECKOV_VENV)/.deps: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q -r requirements-checkov.txt
	touch $@

node_modules/.deps: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian packages for the end-to-end tests: a real Alertmanager, and headless Chromium with its driver for the
# console's browser tests. One apt-get call (parallel apt-get runs would fight over apt's locks). Without
# root/apt those tests SKIP loudly (and fail under CI=true).
SYSTEM_PACKAGES := prometheus-alertmanager:prometheus-alertmanager chromium:chromium chromedriver:chromium-driver
system-packages:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do command -v "$${pair%%:*}" >/dev/null || missing="$$missing $${pair#*:}"; done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
	    --no-install-recommends $$missing) >/dev/null 2>&1 || echo "!!! apt-get install$$missing FAILED !!!"; \
	else echo "!!! SKIP: not root (or no apt):$$missing not installed; their end-to-end tests will SKIP !!!"; fi

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) node_modules .oncall-local .pytest_cache .ruff_cache .aws-sam build
