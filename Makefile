# Day Services Planner: `make run` starts the app, `make test` runs every test (as CI does),
# `make check` lints, type-checks and runs the fast tests (no browser, servers or real data) in under two minutes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
SYSTEM_PACKAGES := chromium postgresql redis-server

.PHONY: run test check bench lint screenshot demo-data system-packages clean

run: $(VENV)/.runtime-installed
	$(PY) app.py

test: $(VENV)/.test-installed system-packages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit -q -c pyproject.toml -r app.py gunicorn.conf.py cli dashboard geo data migrations --severity-level medium
	$(PY) -m pytest

# Left out (see tests/conftest.py): browser tests, slow ones (servers, PostgreSQL, subprocesses)
# and those reading ../shared/data. `make test` runs them all.
check: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -m "not browser and not slow and not shared_data"

bench: $(VENV)/.test-installed system-packages
	$(PY) -m benchmarks.run_all

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit -q -c pyproject.toml -r app.py gunicorn.conf.py cli dashboard geo data migrations --severity-level medium

screenshot: $(VENV)/.test-installed system-packages
	$(PY) -m docs.make_screenshot

demo-data: $(VENV)/.runtime-installed
	$(PY) -m data.generate_demo

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-test.txt
	touch $(VENV)/.runtime-installed $@

# Browser tests drive Debian's Chromium (browser downloads are impossible here); store and
# background-job tests start real PostgreSQL and Redis servers themselves.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache instance
