"""The shared cache (Redis in production), and the per-process template fragments."""

from .base import DEBUG, VAR_DIR, env

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
