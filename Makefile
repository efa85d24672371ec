# Lá Chắn — the two set-up commands are `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEMO_ENV := DEBUG=1 LACHAN_EMBEDDED=1
DEMO_PEOPLE ?= 20000
DEMO_SEED ?= 2021

.PHONY: demo test install browsers migrate demo-data serve worker lint bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	touch $@

# In a git checkout (not a tarball), commit messages are checked by .githooks/commit-msg (unless hooks are set up
# otherwise already).
install: $(VENV)/.installed
	@if [ -e .git ] && command -v git >/dev/null 2>&1 && [ -z "$$(git config core.hooksPath)" ]; then \
	  git config core.hooksPath .githooks; fi

# Debian's Chromium and ChromeDriver for the browser tests, the poster font and pdftoppm (root on the CI
# machine; each skipped if present).
browsers:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "Install Chromium for browser tests: sudo apt-get install chromium chromium-driver"; fi; }
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; \
	  else echo "Install the poster font (Vietnamese glyphs): sudo apt-get install fonts-dejavu-core"; fi; }
	@command -v pdftoppm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	  else echo "Install pdftoppm to check PDFs in the browser tests: sudo apt-get install poppler-utils"; fi; }

migrate: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput -v0

demo-data: migrate
	$(DEMO_ENV) $(PY) manage.py demo_setup --people $(DEMO_PEOPLE) --seed $(DEMO_SEED)

# One command: install, prepare SQLite, generate the demo province, serve on http://127.0.0.1:8000
demo: demo-data
	$(DEMO_ENV) $(PY) manage.py serve --host 127.0.0.1 --port 8000

serve: install
	$(DEMO_ENV) $(PY) manage.py serve --host 127.0.0.1 --port 8000

worker: install
	$(PY) manage.py worker

# The whole test suite (SQLite by default; DATABASE_URL=postgres://… for PostgreSQL), in parallel processes
# (pytest-xdist; each worker its own test database). A file's tests stay in one worker (--dist loadfile): some
# build module-scoped data. PYTEST_WORKERS=0 runs in one process; PYTEST_ARGS adds options or paths.
PYTEST_WORKERS ?= auto
test: install browsers
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check lachan tests
	$(VENV)/bin/lint-imports

bench: install
	LACHAN_ALLOW_DEV_SECRET=1 $(PY) manage.py bench_foundation $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
