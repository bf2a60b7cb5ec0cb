# Shoptet Hub — every target installs what it needs on a fresh Debian 12 (root or sudo).
#
#   make demo    set up, start the embedded database, migrate, import a sandbox shop, start the dashboard
#                (hub serve) and a worker in the background, print how to connect and the dashboard password
#   make test    set up, run `make lint`, then the test suite on a throw-away cluster
#   make lint    set up, check formatting (ruff format --check), lint (ruff check) runner/ bench/ tests/,
#                and type-check runner/ (mypy); ruff and mypy come from the dev extras in pyproject.toml
#   make bench   set up, run the benchmarks (figures appended to bench/RESULTS.md);
#                BENCH_SCALE=1 generates the seeds' full size (default 0.1) for the query benchmark

SHELL := /bin/bash
PG_MAJOR := 15
APT_PACKAGES := postgresql-$(PG_MAJOR) postgresql-$(PG_MAJOR)-partman postgresql-client-$(PG_MAJOR) pgbackrest
# chromium + chromium-driver: only the dashboard's browser test (tests/test_dashboard_browser.py), headless;
# installed by `make test` (browser-packages), not by `make demo` (a large download it does not need)
BROWSER_PACKAGES := chromium chromium-driver
VENV := .venv
PY := $(VENV)/bin/python
HUB := $(VENV)/bin/hub
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STAMP := $(VENV)/.installed
BENCH_SCALE ?= 0.1
LINT_PATHS := runner bench tests

.PHONY: setup system-packages browser-packages venv demo test bench lint db-start db-stop clean

setup: system-packages venv

# apt packages: installed only when a file they ship is missing
system-packages:
	@missing=""; \
	[ -x /usr/lib/postgresql/$(PG_MAJOR)/bin/pg_ctl ] || missing="$$missing postgresql-$(PG_MAJOR)"; \
	[ -f /usr/share/postgresql/$(PG_MAJOR)/extension/pg_partman.control ] || missing="$$missing postgresql-$(PG_MAJOR)-partman"; \
	command -v psql >/dev/null || missing="$$missing postgresql-client-$(PG_MAJOR)"; \
	command -v pgbackrest >/dev/null || missing="$$missing pgbackrest"; \
	python3 -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# the browser test's chromium and chromium-driver (BROWSER_PACKAGES): make test only
browser-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# virtualenv with the package in editable mode; re-installed when pyproject.toml changes
venv: $(STAMP)
$(STAMP): pyproject.toml
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

demo: setup
	$(HUB) db start
	$(HUB) db migrate
	@# ends with the dashboard's URL and password; `hub serve` and `hub worker` keep running in the background
	$(PY) -m runner.demo

# lint first: a format, lint or type finding fails the run (CI runs `make test`).
# PYTEST_WORKERS pytest-xdist workers, each with its own throw-away cluster, a whole test file per
# worker (--dist loadfile: module fixtures stay in one process); the suite mostly waits (workers,
# sandboxes, servers), so two workers on two cores take far less time than one. 0: one process.
PYTEST_WORKERS ?= 2
test: setup browser-packages lint
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: setup
	BENCH_SCALE=$(BENCH_SCALE) $(PY) -m bench

# config in pyproject.toml ([tool.ruff], [tool.mypy]); `.venv/bin/ruff format runner bench tests` fixes the format
lint: setup
	@echo "lint: ruff format --check $(LINT_PATHS)"
	@$(VENV)/bin/ruff format --check $(LINT_PATHS)
	@echo "lint: ruff check $(LINT_PATHS)"
	@$(VENV)/bin/ruff check $(LINT_PATHS)
	@echo "lint: mypy (runner/)"
	@$(VENV)/bin/mypy
	@echo "lint: ok"

db-start: setup
	$(HUB) db start

db-stop: setup
	$(HUB) db stop

clean:
	-[ -x $(HUB) ] && $(HUB) db stop
	rm -rf $(VENV) .pytest_cache build *.egg-info
