# Two commands from a fresh clone (README):
#   make quick   create .venv from the lock, then run the pipeline with the quick preset
#   make test    create .venv if needed, then run the default test suite
# More: make paper (paper scale, config.yaml), make lint.

VENV := .venv
BIN := $(VENV)/bin
CORES ?= all

.PHONY: venv quick paper test test-all lint

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

quick: venv
	$(BIN)/snakemake --cores $(CORES) --configfile presets/quick.yaml

paper: venv
	$(BIN)/snakemake --cores $(CORES)

test: venv
	$(BIN)/pytest

test-all: venv
	$(BIN)/pytest -m ""

lint: venv
	$(BIN)/ruff check src tests workflow benchmarks
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint
