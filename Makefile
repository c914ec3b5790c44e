# The two commands: `make run` (serve with demo data) and `make test` (the whole suite).
# Both create .venv with the project installed; nothing else needs installing by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format schema clean-data web

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "GridPoints needs Python 3.11 or newer (PYTHON=$(PYTHON))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The web app (web/): npm ci when node_modules is missing or older than package-lock.json, then
# codegen + i18n check + type check + vite build into web/dist when any source is newer than the
# build stamp. Without npm the API serves the placeholder page and the browser tests skip.
WEB_SOURCES := $(shell find web/src -type f -not -path 'web/src/generated/*' 2>/dev/null) \
	web/index.html web/package.json web/package-lock.json web/vite.config.ts web/tsconfig.json \
	web/scripts/codegen.mjs web/scripts/check-i18n.mjs schema.graphql
WEB_STAMP := web/dist/.build-stamp

web/node_modules/.package-lock.json: web/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the web app is not installed"; exit 0; }; \
		cd web && npm ci --no-audit --no-fund && touch node_modules/.package-lock.json

$(WEB_STAMP): web/node_modules/.package-lock.json $(WEB_SOURCES)
	@command -v npm >/dev/null || { echo "npm not found: the web app is not built"; exit 0; }; \
		cd web && npm run build && touch dist/.build-stamp

web: $(WEB_STAMP)

run: $(STAMP) web
	$(BIN)/gridpoints serve --demo

test: $(STAMP) web
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: $(STAMP)
	$(BIN)/python -m schema.sdl > schema.graphql

clean-data:
	rm -rf .gridpoints
