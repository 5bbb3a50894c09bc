# 一帮到底 — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

# Local runs default to DEBUG with SQLite and the filesystem broker under var/;
# DATABASE_URL / CELERY_BROKER_URL from the environment override them. Static
# files are served gzip-compressed from the collected copy, as in production
# (after editing static/, run collectstatic again, or WHITENOISE_USE_FINDERS=1).
RUN_ENV := DEBUG=$${DEBUG:-1} WHITENOISE_USE_FINDERS=$${WHITENOISE_USE_FINDERS:-0}

.PHONY: setup run test lint format messages screenshots clean css

# Browser journeys use Debian's Chromium (never a browser build downloaded by a test tool).
/usr/bin/chromium:
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# Test and build tools from npm, pinned in package-lock.json and never served:
# axe-core (the accessibility tests inject it into Chromium) and PurgeCSS (make css).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The public pages' Bootstrap subset (committed; helpdesk/tests/test_css.py checks it is fresh).
PUBLIC_CSS := static/vendor/bootstrap/css/bootstrap.public.min.css
css: setup node_modules/axe-core/axe.min.js
	node tools/build_public_css.mjs "$$($(BIN)/python -c 'import crispy_bootstrap5, pathlib; print(pathlib.Path(crispy_bootstrap5.__file__).parent / "templates")')" $(PUBLIC_CSS)

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
	DEBUG=1 SECRET_KEY=lint-only $(BIN)/mypy helpdesk dispatch requests_app kb board

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

test: setup lint /usr/bin/chromium node_modules/axe-core/axe.min.js
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

# The README's pictures (maintainers): browser journeys write docs/screenshots/*.png,
# then optipng shrinks them losslessly. Needs a CJK font for Chromium to draw Chinese.
/usr/share/fonts/truetype/wqy/wqy-microhei.ttc:
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei

/usr/bin/optipng:
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq optipng

screenshots: setup /usr/bin/chromium /usr/share/fonts/truetype/wqy/wqy-microhei.ttc /usr/bin/optipng
	$(TEST_ENV) SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -p no:randomly dispatch/tests/test_screenshots.py
	optipng -quiet -o2 docs/screenshots/*.png

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
	rm -rf $(VENV) node_modules var/db.sqlite3* var/broker var/staticfiles var/celerybeat-schedule*
