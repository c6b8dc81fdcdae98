# lapas-kiosk: two commands on a fresh machine — `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= $(CURDIR)/demo-data
LOCK   := requirements/dev.txt
# The locks pin every version with hashes, for CPython 3.11 on Linux x86_64 (what the boxes and CI run).
UVPC   := $(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
          --python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" --quiet

.PHONY: run demo-guard test test-fast bench lint venv lock wheel catalogs clean

# The venv is brought to the lock when the lock or pyproject.toml changes (the stamp is newer otherwise): first
# every pinned dependency, hash-checked, then the project itself (editable, no dependencies of its own choosing).
$(STAMP): pyproject.toml setup.py $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	@$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

venv: $(STAMP)

## Start the whole demo: HQ on loopback, sync daemon, printer + scanner simulators, kiosk window.
run: $(STAMP)
	$(BIN)/lapas demo --data-dir $(DATA)

## The same demo for the gate (guard station).
demo-guard: $(STAMP)
	$(BIN)/lapas demo --guard --data-dir $(DATA)

## Run the whole test suite under coverage (starts its own Xvfb when no DISPLAY is set) and print the total.
## The wheel test (tests/test_wheel.py) builds the wheel and installs it per role from the locks.
test: $(STAMP)
	@rm -f .coverage .coverage.*
	$(BIN)/python -m coverage run -m pytest -n 2 --dist loadgroup -q
	@$(BIN)/python -m coverage combine -q
	$(BIN)/python -m coverage report

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not ui and not packaging"

## Every benchmark, one table of figures, goals and ratios; non-zero when a goal is missed.
bench: $(STAMP)
	$(BIN)/python bench/run_all.py

## Style, the import-linter contracts (.importlinter) and the type check.
lint: $(STAMP)
	$(BIN)/ruff check core lapas kiosk hardware sync hq tests bench setup.py
	$(BIN)/lint-imports .importlinter

## Regenerate the per-role locks (requirements/*.txt) from pyproject.toml; commit them with the change.
lock: $(STAMP)
	$(UVPC) --extra kiosk -o requirements/kiosk.txt
	$(UVPC) --extra hq -o requirements/hq.txt
	$(UVPC) --extra dev -o requirements/dev.txt

## The one wheel (code, kv files, templates, fonts, catalogs, images, demo reference) in dist/.
wheel: $(STAMP)
	$(BIN)/python -m build --wheel --no-isolation --outdir dist .

## Re-extract and compile the gettext catalogs (assets/locale) with Babel.
catalogs: $(STAMP)
	$(BIN)/lapas i18n update

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .coverage .coverage.* build dist
