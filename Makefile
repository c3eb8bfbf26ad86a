# Every target sets itself up: on a fresh machine `make demo` and `make test` are enough.
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never
# Compiled once at install: with PYTHONDONTWRITEBYTECODE set (as here), every command would
# otherwise compile its imports from source, about a second per run.
export UV_COMPILE_BYTECODE := 1

.PHONY: install demo test bench lint format docs clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/momentum: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	$(BIN)/python -m compileall -q src
	@touch $@

install: $(BIN)/momentum

demo: install
	$(BIN)/momentum demo

test: install
	$(BIN)/pytest -n 2 --dist loadgroup

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

docs: install
	$(BIN)/python -m tests.cli_reference docs/reference/cli.md

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
