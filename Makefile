# papertide: `make run` sets up and serves on 127.0.0.1:8000, `make test` sets up and runs the tests.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
# axe-core, the accessibility checker the browser tests inject into every page type (from npm, pinned).
AXE_CORE = 4.14.1
AXE_STAMP = var/node/.axe-core-$(AXE_CORE)

.PHONY: setup run test test-postgres lint bench clean chromium axe

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: pip takes the CPU build that lies on this machine's disk.
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# Serves with the worker beside it, so new papers get embedded for semantic search while the site runs.
run: setup
	$(BIN)/papertide migrate --no-input
	$(BIN)/papertide ingest startup
	$(BIN)/papertide worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; $(BIN)/papertide serve

test: setup chromium axe
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# The type check runs beside the SQLite suite: one core each (a minute off a fresh clone's make test).
	$(BIN)/mypy papertide & mypy=$$!; $(BIN)/pytest; tests=$$?; wait $$mypy; types=$$?; \
		test $$tests = 0 && test $$types = 0
	$(MAKE) --no-print-directory test-postgres

# The same suite against PostgreSQL with pgvector (from the PyPI package pgserver), started and stopped here.
test-postgres: setup
	@url=$$($(BIN)/python tests/postgres_server.py start var/pgtest) && \
	echo "PostgreSQL run: $$url" && \
	DATABASE_URL="$$url" PAPERTIDE_SECRET_KEY=test-only $(BIN)/pytest -p no:cacheprovider; \
	status=$$?; $(BIN)/python tests/postgres_server.py stop var/pgtest; exit $$status

# Browser tests drive Debian's chromium (Playwright's own browser download cannot work offline).
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium is not installed and cannot be installed here: browser tests will skip"

# axe-core from npm into var/node (ignored); without npm the accessibility test skips and says why.
axe: $(AXE_STAMP)

$(AXE_STAMP):
	@if command -v npm >/dev/null; then \
		npm install --no-save --no-audit --no-fund --silent --prefix var/node axe-core@$(AXE_CORE) && \
		rm -f var/node/.axe-core-* && touch $@; \
	else echo "npm is not installed: the axe-core accessibility test will skip"; fi

lint: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/import_listings.py

clean:
	rm -rf $(VENV) var
