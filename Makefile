# tinyq: `make demo` and `make test` work on a fresh machine (they run `setup` first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := build/digits
PYTEST_ARGS ?=

.PHONY: setup toolchains demo test test-fast clean

setup: $(VENV)/.installed toolchains

# Cross compilers, QEMU and the QEMU plugin header from Debian (root; only what is missing).
toolchains:
	bash scripts/install_toolchains.sh

# torch 2.13.0 first: it is the CPU wheel on disk; a bare `torch` requirement would pull a
# multi-GB CUDA build. pyproject.toml keeps torch>=2.4, which 2.13.0 then satisfies.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/tinyq convert examples/digits/digits_cnn.pt --calib examples/digits/calib.npy \
		--target qemu-m4 -o $(DEMO) --force
	$(BIN)/tinyq test $(DEMO) --inputs examples/digits/test_x.npy \
		--labels examples/digits/test_y.npy
	$(BIN)/tinyq run $(DEMO) --target qemu-m4 --inputs examples/digits/test_x.npy \
		--labels examples/digits/test_y.npy

# The whole suite, slow sweeps included: it fits CI's budget on 2 cores (see README).
test: setup
	$(BIN)/tinyq doctor --strict
	$(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -q -n 2 -m "not slow" $(PYTEST_ARGS)

clean:
	rm -rf build .pytest_cache .hypothesis
