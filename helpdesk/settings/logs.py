"""Logging: every line scrubbed of personal data before it is written."""

from .base import env

# Every line is scrubbed of phones, ID numbers, e-mails, tracking tokens and admin
# query strings before it is written (requests_app/logscrub.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # One line per change of the broker's state instead of one traceback per retry (helpdesk/breaker.py).
        "outage": {"()": "helpdesk.breaker.BrokerOutageFilter"},
        "scrub": {"()": "requests_app.logscrub.ScrubFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["outage", "scrub"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "filters": ["require_debug_false", "outage", "scrub"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default config gives "django" handlers of its own: replace them with the scrubbed ones.
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}
