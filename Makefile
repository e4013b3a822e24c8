# The README's two commands: `make demo` and `make test`. Both create the virtual environment
# and install what is needed on a fresh clone (only Python 3.11+ and make required).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck bench-quick bench clean help

help:
	@echo "make demo   - set up and run the bundled instance"
	@echo "make test   - set up and run the test suite"
	@echo "make lint / typecheck / bench-quick / bench / clean"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "placement needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/placement solve instances/tiny-budget

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check placement tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy placement

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
