# Reverie: `make run` serves on http://127.0.0.1:$(PORT) with a Celery worker; `make test` runs the suite.
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# Django 6 needs Python 3.12 or newer: take the first interpreter that is (pyenv's included).
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3 python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)

.PHONY: install browser run test bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	@test -n "$(PYTHON)" || { echo "Reverie needs Python 3.12 or newer; none was found." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap
	@if [ "$${REVERIE_DEMO:-1}" != "0" ]; then $(PY) manage.py load_demo || \
		echo "The demo workspace was not loaded (see above); Reverie starts without it."; fi
	$(PY) manage.py collectstatic --noinput -v0
	@echo "Reverie: http://127.0.0.1:$(PORT)  (Ctrl-C stops the server and the worker)"
	@$(VENV)/bin/celery -A console worker --beat --loglevel=INFO --concurrency=2 \
		--schedule=$${REVERIE_HOME:-var}/celerybeat-schedule & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn console.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 \
		--access-logfile - --graceful-timeout 10

# The console's browser tests drive Debian's chromium; Playwright never downloads a browser.
browser:
	@command -v $${REVERIE_CHROMIUM:-/usr/bin/chromium} >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium >/dev/null; }

test: install browser
	REVERIE_HOME=$${REVERIE_HOME:-var/test} $(VENV)/bin/pytest -q -n 2 $(PYTEST_ARGS)

bench: install
	$(PY) bench/memory_api.py
	$(PY) bench/console_pages.py

clean:
	rm -rf $(VENV) var
