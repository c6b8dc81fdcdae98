# lapas-kiosk: two commands on a fresh machine — `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= $(CURDIR)/demo-data

.PHONY: run demo-guard test test-fast bench lint venv catalogs clean

# The venv is rebuilt only when pyproject.toml changes (the stamp is newer otherwise).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

## Start the whole demo: HQ on loopback, sync daemon, printer + scanner simulators, kiosk window.
run: $(STAMP)
	$(BIN)/lapas demo --data-dir $(DATA)

## The same demo for the gate (guard station).
demo-guard: $(STAMP)
	$(BIN)/lapas demo --guard --data-dir $(DATA)

## Run the whole test suite (starts its own Xvfb when no DISPLAY is set).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not ui"

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check kiosk hardware sync hq tests bench

## Re-extract and compile the gettext catalogs (assets/locale) with Babel.
catalogs: $(STAMP)
	$(BIN)/lapas i18n update

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
