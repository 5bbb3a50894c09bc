"""Abuse limits and what a citizen may upload: photos, rate limits, lookup lock-outs, bot checks."""

from .base import VAR_DIR, env

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
# Behind the TLS proxy the client address is the last X-Forwarded-For hop the
# proxy appended; set RATELIMIT_IP_META_KEY=HTTP_X_REAL_IP (or similar) there.
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")

# --- Lookups and bots --------------------------------------------------------
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
