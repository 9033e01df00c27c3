# livingspec: `make spec` builds the living documentation, `make test` runs every gate.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# make spec shows one line per feature (behave -f progress); BEHAVE_ARGS= gives every step.
BEHAVE_ARGS ?= -f progress
# pytest workers (pytest-xdist); SHARD=k/n runs the k-th of n slices of the suite (see README).
WORKERS ?= auto
SHARD ?=

# Concepts that also run against real systems (checked against livingspec.registry by tests/runner/test_registry.py).
REAL_FEATURES := chubby oidc sticky login compression scaling

.PHONY: spec test lint types pytest real bench system clean catalog

spec: $(STAMP) node_modules/.installed
	@echo "== behave: every feature on the embedded target"
	@rm -rf reports/allure-results; status=0; $(BIN)/behave $(BEHAVE_ARGS) $(if $(SHARD),$$($(BIN)/python -m livingspec.runner.shards $(SHARD))) || status=$$?; \
	$(MAKE) --no-print-directory report || exit $$?; exit $$status

# The report from the results at hand: the embedded run, and the real-target run when `make real` left one
# (one environment each); concept pages and tidy evidence first, reading order and no outside request after.
.PHONY: report
report: $(STAMP) node_modules/.installed
	@echo "== allure: building the report"
	@results="reports/allure-results $$(test -d reports/allure-results-real && echo reports/allure-results-real)"; \
	$(BIN)/python -m livingspec.report prepare $$results && \
	npx --no-install allure generate $$results >/dev/null && \
	$(BIN)/python -m livingspec.report finish reports/allure-report/index.html $$results && \
	echo "Report: $(CURDIR)/reports/allure-report/index.html"

test: system $(STAMP) node_modules/.installed
	@$(MAKE) --no-print-directory lint types real spec pytest

lint: $(STAMP)
	@echo "== ruff"
	@$(BIN)/ruff check src steps tests benchmarks environment.py
	@$(BIN)/ruff format --check --quiet src steps tests benchmarks environment.py

types: $(STAMP)
	@echo "== mypy src/ steps/"
	@$(BIN)/mypy

pytest: $(STAMP)
	@echo "== pytest -n $(WORKERS): unit, property, features through pytest-bdd, report in Chromium"
	@$(BIN)/pytest -n $(WORKERS) $(if $(SHARD),--shard $(SHARD)) $(PYTEST_ARGS)

# The same scenarios on the real targets (their Allure results are kept apart from the report's).
real: $(STAMP)
	@folders=$$(for f in $(REAL_FEATURES); do [ -d features/$$f ] && echo features/$$f; done); \
	if [ -n "$$folders" ]; then echo "== behave -D target=real: $$folders"; \
	rm -rf reports/allure-results-real; status=0; \
	$(BIN)/behave -D target=real -f progress $$folders || status=$$?; [ $$status = 0 ] || exit $$status; fi
	@echo "== pytest --target=real: tests that need a real target, and the login scenarios in Chromium through pytest-bdd"
	@$(BIN)/pytest -q --target=real -p no:cacheprovider --alluredir=reports/allure-results-real-pytest \
		tests/compression/test_real_target.py tests/test_features.py -k "test_real_target or test_login__"

# Every step phrase grouped by concept: meaning, parameters, accepted values, an example line.
catalog: $(STAMP)
	@$(BIN)/python -m livingspec.runner.catalog

# Train the speculative target and draft and the GQA uptraining runs from scratch (fixed seed) into models/.
.PHONY: models models-check
models: $(STAMP)
	@$(BIN)/python -m livingspec.training models

# Train everything again from scratch in a scratch folder; fail if a loss is more than 2% from models/manifest.json.
models-check: $(STAMP)
	@$(BIN)/python -m livingspec.training check models

bench: $(STAMP)
	@start=$$(date +%s); for script in benchmarks/*.py; do case $$script in */_*) continue;; esac; \
	echo "== $$script"; $(BIN)/python $$script || exit $$?; done; \
	$(BIN)/python benchmarks/_summary.py --since $$start

# Debian packages for the browser test and the real targets; installed only when root.
system:
	@missing=$$(grep -v '^#' system-packages.txt | while read -r pkg; do \
		[ -n "$$pkg" ] && ! dpkg -s "$$pkg" >/dev/null 2>&1 && echo "$$pkg"; done; true); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then echo "== apt-get install $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $$missing >/dev/null; \
		else echo "== not root: missing Debian packages ($$missing); their tests will skip"; fi; \
	fi

$(STAMP): pyproject.toml
	@echo "== python environment in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "== node packages (Allure 3)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

clean:
	rm -rf reports/allure-results reports/allure-results-pytest reports/allure-report reports/benchmarks
