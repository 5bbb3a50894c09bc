"""Settings for the side-by-side benchmark: the portal's own settings plus the baseline views.

Everything that matters for speed (DEBUG off, PostgreSQL, CONN_MAX_AGE, the
middleware, the cached template loader) comes unchanged from
helpdesk.settings; only the URLconf grows the /bench/ baseline routes, so the
real pages and the baseline are served by the same gunicorn workers.
"""

from helpdesk.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The minimal-form baseline's table (bench/models.py).
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405

# The load generator is the only client; its logging would cost more than the pages.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# The rate limits stay on, so their cost is measured, but one load generator on
# one address must never trip them.
RATELIMIT_SUBMIT = "100000000/h"
RATELIMIT_LOOKUP = "100000000/h"
