# The README's two commands: `make demo` and `make test`. Both create the virtual environment
# and install what is needed on a fresh clone (only Python 3.11+ and make required).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test report lint typecheck bench-quick bench bench-scale clean help bytecode

help:
	@echo "make demo   - set up and run the bundled instance"
	@echo "make test   - set up and run the test suite"
	@echo "make report - the England report (HTML, Markdown, JSON) into build/report/"
	@echo "make lint / typecheck / bytecode / bench-quick / bench / bench-scale / clean"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "placement needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null 2>&1 || true
	@touch $(STAMP)

# Bytecode for the package, written ahead: where PYTHONDONTWRITEBYTECODE is set (as on CI and
# in containers) Python never caches it, and compiling every module again cost each command
# about a fifth of its CPU. Only changed files are compiled; a stale one is still read from source.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 placement > /dev/null

# The bundled England instance, per area: the optimum (tier shares per function, the one-size
# baselines, the price of uniform structure), then the options side by side, each also
# optimised under its own overrides, with a hex map of each option in build/demo-maps/.
DEMO ?= instances/england-2024
demo: bytecode
	$(BIN)/placement solve $(DEMO)
	$(BIN)/placement compare $(DEMO) --scenario status-quo --scenario delegation-2025 \
		--scenario reform-aco --scenario reform-split --scenario regions-as-connectors \
		--optimise --maps build/demo-maps

# Two worker processes (CI has two cores); each test file runs whole on one of them, so
# module fixtures, the browser session and the Dask cluster tests are not split.
TEST_WORKERS ?= 2
test: bytecode
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# The England report: structure per function, maps, both prices, the options compared.
REPORT_OUT ?= build/report
report: bytecode
	$(BIN)/placement report $(DEMO) --output $(REPORT_OUT)

lint: $(STAMP)
	$(BIN)/ruff check placement tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy placement

# Benchmarks (README "Benchmarks"). bench-quick: a few minutes, into build/bench-quick/.
# bench: the full run (about 1.5 hours on 2 cores), into benchmarks/results/$(BENCH_RUN)/.
# bench-scale: issue 15's instances, the engine beside HiGHS alone (about an hour), into
# $(SCALE_OUT)-s$(SCALE_SEED)/ and $(SCALE_OUT)-gap/; SCALE_SEED=2 for held-out instances.
# All resume: a rerun skips the runs already in each results.csv.
BENCH_RUN   ?= $(shell date +%Y-%m-%d)
BENCH_OUT   ?= benchmarks/results/$(BENCH_RUN)
QUICK_OUT   ?= build/bench-quick
BENCH_LIMIT ?= 60
SCALE_SEED  ?= 1
SCALE_OUT   ?= benchmarks/results/$(BENCH_RUN)-scale

bench-quick: $(STAMP)
	$(BIN)/placement bench orlib-gap --families gap1,gap4,gap8,gap12 --instances '*_1,*_2' \
		--time-limit 30 --threads 1 --output $(QUICK_OUT)/orlib-gap
	$(BIN)/placement bench synthetic --sizes 50x5,500x5,5000x5,2000x50 --time-limit 30 \
		--threads 1 --output $(QUICK_OUT)/synthetic
	$(BIN)/python -m benchmarks.build_throughput --sizes 1000x5,20000x5,100000x5 --repeats 3 \
		--output $(QUICK_OUT)/build-throughput

bench: $(STAMP)
	$(BIN)/python -m benchmarks.build_throughput --repeats 5 --output $(BENCH_OUT)/build-throughput
	-$(BIN)/placement bench orlib-gap --time-limit $(BENCH_LIMIT) --threads 1 \
		--output $(BENCH_OUT)/orlib-gap
	-$(BIN)/placement bench synthetic --time-limit $(BENCH_LIMIT) --threads 1 \
		--output $(BENCH_OUT)/synthetic
	-$(BIN)/placement bench england --time-limit $(BENCH_LIMIT) --threads 1 \
		--output $(BENCH_OUT)/england

bench-scale: $(STAMP)
	-$(BIN)/placement bench scale --solvers highs,engine:highs --time-limit 60 --threads 1 \
		--rel-gap 1e-4 --instance-seed $(SCALE_SEED) \
		--families scale-50000x5,scale-200000x5,scale-20000x50,england-per-area \
		--output $(SCALE_OUT)-s$(SCALE_SEED)
	-$(BIN)/placement bench scale --solvers highs,cp-sat,portfolio,engine:highs \
		--time-limit 30 --threads 2 --families D,E --output $(SCALE_OUT)-gap

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
