"""HTTPS, cookies, security headers and the Content Security Policy."""

from .base import DEBUG, env

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
