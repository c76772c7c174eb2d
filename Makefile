# OKR Academy: `make run` serves the app, `make test` runs the suite. Both bootstrap .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev migrate courses demo bench soak serve clean translations \
	translations-extract translations-update

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

# the interface's languages: app/translations/<language>/LC_MESSAGES/messages.po, compiled here
# (the .mo files are built, not kept); after changing strings in the code: translations-extract,
# then translations-update, then translate what is new in each messages.po
CATALOGUES := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
translations: $(CATALOGUES:.po=.mo)

app/translations/%/LC_MESSAGES/messages.mo: app/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations-extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg --sort-by-file --no-wrap -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		-o app/translations/messages.pot .

translations-update: $(VENV)/.installed
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-wrap \
		--no-fuzzy-matching --ignore-obsolete

migrate: install
	$(BIN)/flask db upgrade

courses: migrate
	$(BIN)/flask courses import

demo: migrate
	$(BIN)/flask users demo

# the web server and one job consumer (mail, reminders, digests); Ctrl-C stops both
run: courses demo
	@$(BIN)/flask jobs run --workers 1 & consumer=$$!; \
	trap 'kill $$consumer 2>/dev/null; wait $$consumer' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# gunicorn as in production (deploy/gunicorn.conf.py: gthread workers and their limits); one
# worker unless RATELIMIT_STORAGE_URI names a store the workers share
serve: courses
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py --bind $(HOST):$(PORT) 'app:create_app()'

# axe-core, which the browser tests inject to audit accessibility, from the npm registry;
# installed where npm is available (the browser tests skip the audit without it).
AXE_CORE := node_modules/axe-core/axe.min.js
BROWSER_CHECKS := $(if $(shell command -v npm 2>/dev/null),$(AXE_CORE))

$(AXE_CORE): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# on SQLite the suite runs in three processes (pytest-xdist, a test file per process at a time:
# one more than the cores, as the browser journeys and the mail tests spend time waiting); on a
# server database (DATABASE_URL) in one, as every test empties the same tables
TEST_WORKERS ?= $(if $(DATABASE_URL)$(TEST_DATABASE_URL),0,3)

test: install-dev $(BROWSER_CHECKS)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# every budget of DESIGN.md section 7 into BENCHMARKS.md, exit 1 when one is missed; the 10x
# scale takes most of the time: make bench BENCH_ARGS="--only lesson,verify,pages". HTTP load
# comes from wrk when installed (apt-get install wrk); Lighthouse (npm, with the other browser
# checks) drives Chromium at CHROME_PATH, /usr/bin/chromium by default.
bench: install-dev $(BROWSER_CHECKS)
	$(BIN)/python -m bench $(BENCH_ARGS)

# 10 minutes of mixed traffic on 4 gunicorn workers (deploy/gunicorn.conf.py) and PostgreSQL,
# with a few slow-header clients (not part of `make bench`);
# e.g. make soak SOAK_ARGS="--minutes 2 --clients 8", or --server sync for plain sync workers
soak: install-dev
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
