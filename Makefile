# The two commands of the README: `make demo` and `make test` (`make docs` builds the documentation site, offline).
# Both create .venv when missing, and install the
# npm packages of package-lock.json (exact versions, no install scripts) into node_modules when it is missing or
# older than the lock: the Spectral linter of the API, axe-core, and the NL Design System CSS the page serves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NPM_STAMP := node_modules/.installed-stamp

.PHONY: install demo test docs bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,docs]'
	touch $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(NPM_STAMP)

install: $(STAMP) $(NPM_STAMP)

demo: $(STAMP) $(NPM_STAMP)
	$(BIN)/sto demo

test: $(STAMP) $(NPM_STAMP)
	$(BIN)/python -m pytest

# The site from docs/ (MkDocs, Material theme) into build/site/; the reference pages are generated from the code.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run

clean:
	rm -rf var .pytest_cache
