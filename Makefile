# Two commands on a fresh machine: `make run` and `make test`. Everything the project
# needs is installed from here; model weights go to a cache outside the repository.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODELS_STAMP := $(VENV)/.models
export PLATEWATCH_MODELS__CACHE_DIR ?= $(HOME)/.cache/platewatch/models

.PHONY: run test check bench drill install models browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@n=$$($(BIN)/python -m pip list 2>/dev/null | grep -ciE '^opencv-(contrib-)?python(-headless)? '); \
	  if [ "$$n" != "1" ]; then echo "expected exactly one OpenCV build, found $$n" >&2; exit 1; fi
	touch $(STAMP)

install: $(STAMP)

$(MODELS_STAMP): $(STAMP)
	$(BIN)/platewatch models fetch --pack offline
	$(BIN)/python -m alpr.quantize "$(PLATEWATCH_MODELS__CACHE_DIR)"
	touch $(MODELS_STAMP)

models: $(MODELS_STAMP)

# Browser tests drive Debian's Chromium; Playwright's own browser download cannot work offline.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium and chromium-driver (browser tests will be skipped)" >&2; fi; }

run: $(MODELS_STAMP)
	$(BIN)/platewatch run

test: $(MODELS_STAMP) browser
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(MODELS_STAMP)
	$(BIN)/python -m bench

# Fault drills (loopback only, a few minutes): hostile messages, resends and SIGKILLed matchers
# against the real broker, SQLite and PostgreSQL; figures go to BENCHMARKS.md.
drill: $(STAMP)
	$(BIN)/python -m bench drill

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
