# One-command set-up on a fresh machine. `make app` runs the demo, `make test` the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: setup app test lint browser zoo-table tutorial

setup: $(VENV)/.installed

# torch first, pinned to the CPU wheel this machine carries; a loose torch would pull a CUDA build.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

# Debian's Chromium for the browser tests (never `playwright install`: it downloads browsers).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed: browser tests will be skipped"; fi; }

app: setup
	$(PY) app.py --host $(HOST) --port $(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: setup browser lint
	$(VENV)/bin/pytest -q

# Run docs/tutorial.ipynb and store its outputs (what GitHub shows); the test suite runs it without storing.
tutorial: setup
	$(PY) tests/test_tutorial.py
