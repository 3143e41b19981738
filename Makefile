# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
NPM_INSTALLED := node_modules/.package-lock.json

.PHONY: run test lint lint-cypher bench clean chromium node

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/commons serve --demo --host $(HOST) --port $(PORT)

# The Neo4j gate (tests/cypher_gate.py) is required here: without Node it fails, not skips.
test: $(VENV)/.installed-test chromium $(NPM_INSTALLED)
	COMMONS_CYPHER_GATE=required $(BIN)/python -m pytest

# The Neo4j gate alone: every dictionary's DDL and the statements sent by a run of the tests
# that reach every statement builder (submission, GraphQL, exploration, indexd, auth, migrations).
CYPHER_RUN ?= tests/test_cypher_gate.py tests/test_cypher_compat.py tests/test_submission_api.py \
	tests/test_graphql_cypher.py tests/test_graphql_mutations.py tests/test_guppy_aggregation.py \
	tests/test_explore_api.py tests/test_indexd_api.py tests/test_auth_policy.py tests/test_migrate.py
lint-cypher: $(VENV)/.installed-test $(NPM_INSTALLED)
	COMMONS_CYPHER_GATE=required $(BIN)/python -m pytest -q $(CYPHER_RUN)

# The dashboard's browser tests drive Debian's chromium through Playwright, which never
# downloads a browser here (these machines may be offline).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Neo4j's own Cypher front-end runs in Node: Debian's nodejs and npm when there is no node,
# then the npm packages package-lock.json pins (again whenever it changes).
node:
	@command -v node >/dev/null && command -v npm >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }

$(NPM_INSTALLED): package.json package-lock.json | node
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(VENV)/.installed-test
	$(BIN)/ruff check engine tests
	$(BIN)/ruff format --check engine tests

bench: $(VENV)/.installed-test
	for b in tests/bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .commons .pytest_cache node_modules
