# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi

.PHONY: install run test fuzz lint typecheck translations screenshots

$(STAMP): setup.cfg constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The build backend comes from constraints.txt too: no isolated, unpinned build env.
	$(BIN)/python -m pip install --quiet -c constraints.txt setuptools wheel
	$(BIN)/python -m pip install --quiet --no-build-isolation -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The embedded default: SQLite under instance/, jobs and the relay on a worker thread,
# the demo tenant.
run: install
	$(FLASK) jifen db upgrade
	$(FLASK) jifen demo
	$(FLASK) jifen serve

# The README's pictures of each theme on a phone, from the browser tests.
screenshots: install
	$(BIN)/pytest -q -p no:cacheprovider tests/browser/test_themes.py
	mkdir -p docs/screenshots
	cp build/screenshots/readme/theme-*-home-*.png docs/screenshots/

lint: install typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# mypy cannot follow setup.cfg's package_dir mapping through the editable install, so it
# checks a tree of links that lays the folders out under their import names.
typecheck: install
	mkdir -p build/typecheck
	ln -sfn ../../platform build/typecheck/jifen
	ln -sfn ../../plugins build/typecheck/jifen_plugins
	ln -sfn ../../themes build/typecheck/jifen_themes
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -n 2 --dist loadgroup

# A longer, exploratory schemathesis run over every API operation on both databases
# (random seeds; `make test` runs a short derandomized one).
fuzz: install
	JIFEN_FUZZ_EXAMPLES=$${JIFEN_FUZZ_EXAMPLES:-200} $(BIN)/pytest -n 2 -s tests/test_api_fuzz.py

# After changing a message the code shows (see platform/i18n.py): extract the ids, merge
# them into each catalog, translate what is new in the .po files, then compile (the .mo
# files are committed, so a fresh clone runs without this step).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --no-default-keywords --no-location \
		--sort-output --omit-header -o platform/translations/messages.pot .
	$(BIN)/pybabel update -i platform/translations/messages.pot -d platform/translations \
		--width 100 --ignore-obsolete
	$(BIN)/pybabel compile -d platform/translations --statistics
