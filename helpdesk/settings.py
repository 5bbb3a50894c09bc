"""Django settings for 一帮到底, read from the environment (django-environ).

Every value that differs between a laptop, CI and production comes from an
environment variable; the defaults serve `make run` on a fresh machine
(SQLite and kombu's filesystem broker under var/, DEBUG on).
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
# Directories the local defaults write to. Reading settings writes nothing: the
# helpdesk app creates these when Django starts (helpdesk.apps.HelpdeskConfig).
LOCAL_DIRS: list[Path] = [VAR_DIR]

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))

DEBUG = env.bool("DEBUG", default=False)

# A secret key default exists only for local development.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdef")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "helpdesk.apps.YibangAdminConfig",
    "helpdesk.apps.HelpdeskConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "captcha",
    # Only for its system checks (a cache the limits cannot count in is an error).
    "django_ratelimit",
    "requests_app",
    # Before dispatch: its `seed_demo` extends dispatch's with a request on the board.
    "board",
    "dispatch",
    "kb",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "requests_app.display.display",
            ],
        },
    },
]

WSGI_APPLICATION = "helpdesk.wsgi.application"

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: WAL lets readers go on
    # while one writes, IMMEDIATE takes the write lock up front (no upgrade
    # deadlocks), and the busy timeout makes a writer wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostgreSQL streaming replica for read-only, lag-tolerant reads (/stats/, the
# dashboard, exports, Open311 GET lists) inside `replica_reads()`; everything else,
# and those reads whenever the replica is unreachable, go to the primary
# (helpdesk/db_router.py). Unset: no replica alias, every query on the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    # Fail fast when it is down (libpq's minimum is 2 s); the breaker then skips it.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2)
    )
    DATABASES["replica"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests see the replica as the test database itself (no second test database).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["helpdesk.db_router.ReplicaRouter"]
# Seconds the replica's breaker sends reads to the primary after a failure before one read probes it again.
DATABASE_REPLICA_RETRY_SECONDS = env.float("DATABASE_REPLICA_RETRY_SECONDS", default=5.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
# Rate limits and lookup lock-outs are counted here, so every process must see
# the same cache: Redis in production (CACHE_URL=redis://...), files under
# var/cache/ otherwise (shared by `make run`'s web workers, the worker and
# beat; no table to create, and reading it never writes to SQLite). A
# per-process cache (locmem, dummy) with DEBUG off is a system check error.
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Fail soft and fast when Redis is away, refusing or frozen: short timeouts,
    # the breaker, a local file cache meanwhile (see helpdesk/cache.py).
    CACHES["default"]["BACKEND"] = "helpdesk.cache.ResilientRedisCache"
    _cache_timeout = env.float("CACHE_TIMEOUT_SECONDS", default=0.3)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {
            "socket_connect_timeout": _cache_timeout,
            "socket_timeout": _cache_timeout,
            "FALLBACK_LOCATION": str(VAR_DIR / "cache-fallback"),
        }
    )
elif CACHES["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache":
    # add/incr atomic across processes (see helpdesk/cache.py). Culling lists the
    # directory on every write; 5000 entries keeps that cheap while leaving room
    # for every counter of a busy day on one machine.
    CACHES["default"]["BACKEND"] = "helpdesk.cache.SharedFileCache"
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 5000)
# The public layout's fixed parts (labels, links, stylesheet URLs: templates/base.html's
# {% cache %} fragments) are the same for every request in a language until the next
# deploy: each process renders them once. Under DEBUG an edited template shows at once.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.dummy.DummyCache"
    if DEBUG
    else "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
}

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Staff login is throttled and audited (django-axes): every attempt is recorded
# (admin: 访问尝试/访问日志), and a username+address pair is locked after
# repeated failures.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Two-factor login for staff (TOTP apps such as the ones on staff phones).
STAFF_2FA = env.bool("STAFF_2FA", default=False)
OTP_TOTP_ISSUER = "一帮到底"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCK_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "axes_lockout.html"
AXES_CLIENT_IP_CALLABLE = "helpdesk.clientip.client_ip"

# --- I18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
LOCAL_DIRS.append(Path(STATIC_ROOT))
# Under DEBUG whitenoise may serve static/ directly (edits show at once, never
# compressed); `make run` turns that off and serves the collected, gzipped copy.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedStaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -------------------------------------------------------------
# HTTPS=1 in production (behind the city's TLS proxy): HTTPS-only cookies,
# redirect to HTTPS, HSTS. `manage.py check --deploy` is then clean.
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_HTTPONLY = True
# HTTPS-only cookies unless DEBUG (as the README says): the safe side is the default,
# a plain-HTTP run outside DEBUG must ask for SECURE_COOKIES=0; HTTPS=1 always has them.
SESSION_COOKIE_SECURE = HTTPS or env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env.bool("BEHIND_TLS_PROXY", default=HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "helpdesk.views.csrf_failure"
# No inline scripts or styles anywhere, nothing from another origin: the
# portal must work on a city intranet and a script injected into a page
# cannot run. Bootstrap draws its form icons as data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    LOCAL_DIRS += [_broker_dir / _sub for _sub in ("out", "processed", "control")]
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
# The worker and beat log through LOGGING (scrubbed, requests_app/logscrub.py), not handlers of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=100)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker outage must never block a request: publishing gives up quickly (short
# connect and read timeouts, one immediate retry for a stale pooled connection),
# the "broker" breaker skips it for a while after a failure (helpdesk/breaker.py),
# and the outbox and the sweeps catch up later. The worker and beat reconnect
# for as long as it takes.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=0.5)
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A connection lost mid-task: cancel the acks_late tasks (all idempotent) and let them be
# redelivered, as Celery 6 will by default (and without its warning at every reconnect).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0),
        "retry_on_timeout": False,
    }
# Seconds a breaker skips Redis after a failure before one call probes it again.
REDIS_BREAKER_SECONDS = env.float("REDIS_BREAKER_SECONDS", default=5.0)

# --- The platform's promises (seconds) ------------------------------------
SLA_CONTACT_SECONDS = env.int("SLA_CONTACT_SECONDS", default=60 * 60)
SLA_URGENT_SECONDS = env.int("SLA_URGENT_SECONDS", default=3 * 60 * 60)
SLA_RESOLVE_SECONDS = env.int("SLA_RESOLVE_SECONDS", default=7 * 60 * 60)
SLA_FEEDBACK_SECONDS = env.int("SLA_FEEDBACK_SECONDS", default=24 * 60 * 60)
DEADLINE_SWEEP_SECONDS = env.int("DEADLINE_SWEEP_SECONDS", default=30)
DEADLINE_REMINDER_SECONDS = env.int("DEADLINE_REMINDER_SECONDS", default=15 * 60)
# Surges (未诉先办, dispatch.surges): every SURGE_INTERVAL_SECONDS the last SURGE_WINDOW_SECONDS of
# requests are grouped; a group of at least SURGE_MIN_SIZE similar requests is a surge when
# P(X >= n) < SURGE_THRESHOLD for X ~ Poisson(λ), λ known only from the alike requests of its district and
# channel in the same window of the last SURGE_BASELINE_WEEKS weeks (at least SURGE_BASELINE_FLOOR a window):
# X is then negative binomial (dispatch.surges.rule.predictive_tail).
# The replays these defaults were checked on: bench/RESULTS.md ("Surges"). Write the threshold as a
# decimal (0.00001): django-environ drops the "e" of 1e-5.
SURGE_INTERVAL_SECONDS = env.int("SURGE_INTERVAL_SECONDS", default=5 * 60)
SURGE_WINDOW_SECONDS = env.int("SURGE_WINDOW_SECONDS", default=2 * 60 * 60)
SURGE_BASELINE_WEEKS = env.int("SURGE_BASELINE_WEEKS", default=4)
SURGE_THRESHOLD = env.float("SURGE_THRESHOLD", default=1e-5)
SURGE_MIN_SIZE = env.int("SURGE_MIN_SIZE", default=5)
SURGE_BASELINE_FLOOR = env.float("SURGE_BASELINE_FLOOR", default=1.0)

# --- Personal data at rest ---------------------------------------------------
# Fernet keys (urlsafe base64, 32 bytes; `python -c "from cryptography.fernet
# import Fernet; print(Fernet.generate_key().decode())"`). The first encrypts,
# all decrypt: rotate by prepending a new key and running
# `manage.py rotate_encryption_keys`. Unset, a key is derived from SECRET_KEY
# (fine for development; `check --deploy` warns).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Key of the HMAC that makes phone numbers searchable without storing them.
PERSONAL_DATA_HASH_KEY = env.str("PERSONAL_DATA_HASH_KEY", default="")
# Closed requests older than this many days are anonymised (figures are kept).
RETENTION_DAYS = env.int("RETENTION_DAYS", default=3 * 365)

# --- Citizens' photos: outside the static tree, served to staff only through
# a permission-checked view (never by the web server directly).
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private-media"))
ATTACHMENT_MAX_COUNT = env.int("ATTACHMENT_MAX_COUNT", default=3)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=8 * 1024 * 1024)
ATTACHMENT_MAX_PIXELS = env.int("ATTACHMENT_MAX_PIXELS", default=40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Abuse limits (per client address, counted in the cache: use Redis via
# CACHE_URL in production so every web worker shares the counts) ----------
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# With the cache down, citizens get through rather than an error page.
RATELIMIT_FAIL_OPEN = True
RATELIMIT_SUBMIT = env.str("RATELIMIT_SUBMIT", default="20/h")
RATELIMIT_LOOKUP = env.str("RATELIMIT_LOOKUP", default="60/10m")
RATELIMIT_FEEDBACK = env.str("RATELIMIT_FEEDBACK", default="20/h")
# The form's script asks for advice as the citizen types (a pause of 0.6 s between asks).
RATELIMIT_ADVICE = env.str("RATELIMIT_ADVICE", default="120/10m")
RATELIMIT_DIRECT_ANSWER = env.str("RATELIMIT_DIRECT_ANSWER", default="30/h")

# --- Plug-in points: apps above requests_app and dispatch add to their pages ---
# The citizen form's advisers (requests_app/intake.py): answers, redirections, emergency notices.
INTAKE_ADVISERS = ["kb.advice.intake_advice"]
# Extra per-channel figures on /stats/ and the dashboard (dispatch/figures.py): the 直办 count.
CHANNEL_FIGURES = ["kb.selectors.direct_answers_by_channel"]
# Behind the TLS proxy the client address is the last X-Forwarded-For hop the
# proxy appended; set RATELIMIT_IP_META_KEY=HTTP_X_REAL_IP (or similar) there.
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")
# A ticket number is locked for lookups after this many wrong phones in the window.
LOOKUP_MAX_FAILURES = env.int("LOOKUP_MAX_FAILURES", default=5)
LOOKUP_LOCK_SECONDS = env.int("LOOKUP_LOCK_SECONDS", default=15 * 60)
# Bots fill a form faster than a person can: submissions sooner than this after
# the form was shown are refused (0 turns the check off).
FORM_MIN_FILL_SECONDS = env.int("FORM_MIN_FILL_SECONDS", default=3)
# An image CAPTCHA on the request form (django-simple-captcha: drawn on the
# server with a bundled font, no outside service), for times of heavy abuse.
CAPTCHA_ENABLED = env.bool("CAPTCHA_ENABLED", default=False)
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.random_char_challenge"
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 10  # minutes
# django-ratelimit's W001 lists only the backends it tested (memcached,
# django-redis): it warns about Django's own Redis backend and about ours,
# whose add/incr are atomic. Its E003 (locmem, dummy, plain file or database
# cache) stays on.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# --- The workflow -----------------------------------------------------------
# A unit may return (退单) a request it has not accepted within this long of the hand-over.
RETURN_WINDOW_SECONDS = env.int("RETURN_WINDOW_SECONDS", default=2 * 60 * 60)
# Approved extensions (延期) per request.
MAX_EXTENSIONS = env.int("MAX_EXTENSIONS", default=2)

# 不满意 reopens a resolved request for rework (重办) this many times; after that
# a supervisor decides (reopen again or close).
MAX_REOPENS = env.int("MAX_REOPENS", default=2)
# A resolved request nobody rated is closed by the system this long after 办结.
FEEDBACK_AUTOCLOSE_SECONDS = env.int("FEEDBACK_AUTOCLOSE_SECONDS", default=3 * 24 * 60 * 60)
FEEDBACK_AUTOCLOSE_SWEEP_SECONDS = env.int("FEEDBACK_AUTOCLOSE_SWEEP_SECONDS", default=10 * 60)
# A unit is expected to accept (签收) a hand-over within this long (the dashboard's "accepted on time").
ACCEPT_WITHIN_SECONDS = env.int("ACCEPT_WITHIN_SECONDS", default=60 * 60)

# --- Public figures (/stats/) and the supervisors' dashboard ----------------
# Rates computed from fewer cases than this are shown with their count, never ranked.
STATS_MIN_SAMPLE = env.int("STATS_MIN_SAMPLE", default=20)
# The figures are aggregate queries over the whole period: cache them briefly.
STATS_CACHE_SECONDS = env.int("STATS_CACHE_SECONDS", default=300)
# Beat recomputes them this often (shorter than the cache), so a visitor never waits for the queries.
STATS_WARM_SECONDS = env.int("STATS_WARM_SECONDS", default=240)

# Ticket numbers: prefix + local date + per-day counter (ZZ20260315-0042).
TICKET_PREFIX = env.str("TICKET_PREFIX", default="ZZ")

# --- Location -------------------------------------------------------------
# Requests may carry a WGS-84 point (the browser's geolocation, Open311 lat/long).
# It must fall inside the city's bounding box: south,west,north,east in degrees
# (latitude min, longitude min, latitude max, longitude max). Zhengzhou by default.
CITY_BBOX = env.list("CITY_BBOX", cast=float, default=[34.25, 112.7, 35.0, 114.25])
# A tile URL template ("https://tiles.example.gov.cn/{z}/{x}/{y}.png") switches on the small
# Leaflet map on the form and the staff page; empty (the default): no map, nothing loaded
# from anywhere else, so the portal works on an intranet without a CDN.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")
# Staff see a link to the city's own GIS for a request's exact point: {lat} and {lon} are
# replaced by its WGS-84 coordinates, e.g. "https://gis.example.gov.cn/map?lat={lat}&lng={lon}".
GIS_URL_TEMPLATE = env.str("GIS_URL_TEMPLATE", default="")
if MAP_TILE_URL.startswith(("https://", "http://")):
    # The map's tiles are the one thing loaded from elsewhere, and only when a city sets them.
    _tiles = MAP_TILE_URL.split("/", 3)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append("/".join(_tiles[:3]).replace("{s}", "*"))

# --- Open311 API webhooks ---------------------------------------------------
OPEN311_WEBHOOK_TIMEOUT_SECONDS = env.float("OPEN311_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
OPEN311_WEBHOOK_MAX_ATTEMPTS = env.int("OPEN311_WEBHOOK_MAX_ATTEMPTS", default=6)
# Backoff between attempts: base, 3x base, 9x base ... (30 s to 40 min by default).
OPEN311_WEBHOOK_RETRY_SECONDS = env.int("OPEN311_WEBHOOK_RETRY_SECONDS", default=30)
OPEN311_WEBHOOK_SWEEP_SECONDS = env.int("OPEN311_WEBHOOK_SWEEP_SECONDS", default=30)
# Callback URLs must resolve to public addresses only (checked on save and at every
# delivery; loopback, private, link-local, multicast, reserved ... are refused).
# A comma-separated CIDR list lets an intranet range through, e.g. "10.20.0.0/16,fd00:1::/64".
OPEN311_WEBHOOK_ALLOWED_NETWORKS = env.list("OPEN311_WEBHOOK_ALLOWED_NETWORKS", default=[])

# --- Email / SMS ----------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="yibang@localhost")
# Citizens' SMS: a class with `send(*, phone, text)`; the default writes to the log.
SMS_BACKEND = env.str("SMS_BACKEND", default="dispatch.notifications.LogSmsBackend")

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
