# Everything runs inside .venv. torch is pinned first so pip takes the local CPU wheel
# and never resolves a CUDA build on a CPU-only machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= torch==2.13.0
DATA_DIR ?= data/goemotions
DEMO_DIR ?= outputs/demo

.PHONY: install demo test test-all test-slow lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/python train.py experiment=quickstart data.data_dir=$(DATA_DIR) hydra.run.dir=$(DEMO_DIR)
	$(BIN)/python evaluate.py run_dir=$(DEMO_DIR)

# The inner loop: the package units, minutes on 2 cores.
test: install
	$(BIN)/python -m pytest -q -m "not slow" tests/unit

# The full suite, what CI runs: lint, then every test (entry points as subprocesses, reliability, slow, real_lm).
test-all: lint
	$(BIN)/python -m pytest -q

test-slow: install
	$(BIN)/python -m pytest -q -m slow

lint: install
	$(BIN)/ruff check src tests benchmarks train.py evaluate.py

clean:
	rm -rf $(VENV) outputs multirun .cache
