"""The platform's own rules: its promises, personal data, the workflow, figures, location, Open311, messages."""

from .base import env
from .security import CONTENT_SECURITY_POLICY

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

# --- Plug-in points: apps above requests_app and dispatch add to their pages ---
# The citizen form's advisers (requests_app/intake.py): answers, redirections, emergency notices.
INTAKE_ADVISERS = ["kb.advice.intake_advice"]
# Extra per-channel figures on /stats/ and the dashboard (dispatch/figures.py): the 直办 count.
CHANNEL_FIGURES = ["kb.selectors.direct_answers_by_channel"]

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
