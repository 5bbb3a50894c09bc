# 一帮到底 — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

# Local runs default to DEBUG with SQLite and the filesystem broker under var/;
# DATABASE_URL / CELERY_BROKER_URL from the environment override them.
RUN_ENV := DEBUG=$${DEBUG:-1}

.PHONY: setup run test lint format messages clean

# Browser journeys use Debian's Chromium (never a browser build downloaded by a test tool).
/usr/bin/chromium:
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

# What a management command needs to reach the same database as `make run`: DEBUG
# on (so the dev secret key and SQLite apply). django-environ reads .env; a real
# environment variable wins over it. Written once, never overwritten.
.env:
	printf '# Written by make run for local development: manage.py commands read it.\n# Never deploy with this file; production takes its settings from the environment.\nDEBUG=1\n' > $@

run: setup .env
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	$(RUN_ENV) $(BIN)/python manage.py seed_kb
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "一帮到底 serving on http://127.0.0.1:$(PORT)/ (Ctrl-C stops the web server, worker and beat)"
	$(RUN_ENV) exec $(BIN)/honcho start --no-prefix --port $(PORT) -f Procfile

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 SECRET_KEY=lint-only $(BIN)/lint-imports --no-cache
	DEBUG=1 SECRET_KEY=lint-only $(BIN)/mypy helpdesk dispatch requests_app kb

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Tests about the database and the queue run on the real services: PostgreSQL
# and Redis on this machine unless DATABASE_URL / CELERY_BROKER_URL say otherwise.
# DEBUG=0: the suite runs production-like settings even where make run wrote .env.
TEST_ENV := DEBUG=0 SECRET_KEY=$${SECRET_KEY:-test-only-not-a-secret} \
	STATICFILES_BACKEND=django.contrib.staticfiles.storage.StaticFilesStorage \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/yibang} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/15}

test: setup lint /usr/bin/chromium
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

# Translations (maintainers): re-extract every marked UI string into the one
# project catalog, locale/en/LC_MESSAGES/django.po, then compile the .mo that
# ships beside it. New strings arrive with an empty msgstr (changed ones marked
# fuzzy): translate them, run this again, and commit both files;
# helpdesk/tests/test_i18n.py fails while any entry is untranslated or fuzzy, or
# the .mo is stale. Needs GNU gettext (xgettext, msgmerge, msgfmt).
MESSAGES_IGNORE := --ignore='.venv/*' --ignore='var/*' --ignore='bench/*' --ignore='node_modules/*' \
	--ignore='static/*' --ignore='*/tests/*'

messages: setup
	DEBUG=1 $(BIN)/python manage.py makemessages -l en --no-obsolete --add-location=file $(MESSAGES_IGNORE)
	DEBUG=1 $(BIN)/python manage.py compilemessages -l en --ignore='.venv' --ignore='var'

clean:
	rm -rf $(VENV) var/db.sqlite3* var/broker var/staticfiles var/celerybeat-schedule*
