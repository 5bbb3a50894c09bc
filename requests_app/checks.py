"""System checks: personal-data keys must be set explicitly in production, and the cache must be shared."""

from django.conf import settings
from django.core import checks
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.utils.module_loading import import_string

# Caches each process keeps for itself: with several web workers every one of
# them counts its own rate limits and lookup failures.
_PER_PROCESS_CACHES = (LocMemCache, DummyCache)


@checks.register(checks.Tags.caches)
def shared_cache_check(app_configs, **kwargs):
    """Outside DEBUG, the cache the limits count in must be one all processes share."""
    if settings.DEBUG:
        return []
    problems = []
    aliases = dict.fromkeys(["default", getattr(settings, "RATELIMIT_USE_CACHE", "default")])
    for alias in aliases:
        backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
        try:
            per_process = issubclass(import_string(backend), _PER_PROCESS_CACHES)
        except ImportError:
            continue  # Django's own cache checks report a backend that cannot be imported
        if per_process:
            problems.append(
                checks.Error(
                    f"The {alias!r} cache ({backend}) is private to each process: rate limits and lookup "
                    "lock-outs would be counted once per web worker.",
                    hint="Set CACHE_URL to a shared cache (redis://...), or leave it unset for the file cache "
                    "under var/cache/.",
                    id="requests_app.E001",
                )
            )
    return problems


@checks.register(checks.Tags.security, deploy=True)
def personal_data_keys_check(app_configs, **kwargs):
    problems = []
    if not settings.FIELD_ENCRYPTION_KEYS:
        problems.append(
            checks.Warning(
                "FIELD_ENCRYPTION_KEYS is not set: personal data is encrypted with a key derived from SECRET_KEY.",
                hint="Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys (see README, Personal data).",
                id="requests_app.W001",
            )
        )
    if not settings.PERSONAL_DATA_HASH_KEY:
        problems.append(
            checks.Warning(
                "PERSONAL_DATA_HASH_KEY is not set: phone hashes use a key derived from SECRET_KEY.",
                hint="Set PERSONAL_DATA_HASH_KEY to a long random string and keep it stable.",
                id="requests_app.W002",
            )
        )
    return problems


@checks.register()
def city_bbox_check(app_configs, **kwargs):
    """CITY_BBOX must be south,west,north,east in WGS-84 degrees, south < north and west < east."""
    box = list(settings.CITY_BBOX)
    valid = len(box) == 4
    if valid:
        south, west, north, east = box
        valid = -90 <= south < north <= 90 and -180 <= west < east <= 180
    if valid:
        return []
    return [
        checks.Error(
            f"CITY_BBOX={box!r} is not a box: the form and the API could not check a location against it.",
            hint="Set CITY_BBOX to south,west,north,east in degrees, e.g. 34.25,112.7,35.0,114.25 (Zhengzhou).",
            id="requests_app.E002",
        )
    ]
