# Two commands from a fresh clone (README):
#   make quick   create .venv from the lock, then run the pipeline with the quick preset
#   make test    create .venv if needed, then run the default test suite
# More: make paper (paper scale, config.yaml), make lint.

VENV := .venv
BIN := $(VENV)/bin
CORES ?= all

.PHONY: venv quick paper test test-all lint

venv: $(VENV)/.installed

# Byte-compiled on every core afterwards (pip compiles one file after another): every job
# imports torch, so its .pyc files must exist, and PYTHONDONTWRITEBYTECODE may stop imports
# from writing them. The packages' own test suites (3 300 of 11 900 files, never imported
# here) are left out: 44 → 32 s on 2 cores. As with pip, a file written for a newer Python
# (one of torch's test helpers) is skipped.
$(VENV)/.installed: requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --no-compile -r requirements.lock
	$(BIN)/python -m compileall -q -j 0 -x '/tests/' $(VENV)/lib > /dev/null || true
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
