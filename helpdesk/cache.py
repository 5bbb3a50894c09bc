"""A Redis cache that degrades instead of failing when Redis is away.

The cache holds only things that can be recomputed or forgotten (rate-limit
counters, lookup lock-outs, cached figures). A Redis outage must never turn a
citizen's submission or lookup into an error page, so connection errors are
logged and answered like a cache miss: limits fail open, figures are
recomputed.
"""

from __future__ import annotations

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    def _degrade(self, operation: str, fallback):  # noqa: ANN001, ANN202
        logger.warning("cache unavailable during %s; carrying on without it", operation, exc_info=True)
        return fallback

    def add(self, key, value, timeout=None, version=None):  # noqa: ANN001, ANN201
        try:
            return super().add(key, value, timeout, version)
        except _DOWN:
            return self._degrade("add", False)

    def get(self, key, default=None, version=None):  # noqa: ANN001, ANN201
        try:
            return super().get(key, default, version)
        except _DOWN:
            return self._degrade("get", default)

    def set(self, key, value, timeout=None, version=None):  # noqa: ANN001, ANN201
        try:
            return super().set(key, value, timeout, version)
        except _DOWN:
            return self._degrade("set", None)

    def incr(self, key, delta=1, version=None):  # noqa: ANN001, ANN201
        try:
            return super().incr(key, delta, version)
        except _DOWN:
            # django-ratelimit reads None as "count unknown" and, with
            # RATELIMIT_FAIL_OPEN, lets the request through.
            return self._degrade("incr", None)

    def delete(self, key, version=None):  # noqa: ANN001, ANN201
        try:
            return super().delete(key, version)
        except _DOWN:
            return self._degrade("delete", False)

    def clear(self):  # noqa: ANN201
        try:
            return super().clear()
        except _DOWN:
            return self._degrade("clear", False)
