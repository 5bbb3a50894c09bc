"""The two cache backends: a Redis cache that degrades when Redis is away, and a shared file cache.

`SharedFileCache` is the embedded default (no CACHE_URL): files under
var/cache/, seen by every process on the machine, so `make run`'s two web
workers count rate limits and lookup lock-outs together. Django's file cache
makes `add` and `incr` a read followed by a write, so two workers could both
"add" a counter or lose an increment; here both run under one exclusive lock
file (flock), which makes them atomic across processes.

The cache holds only things that can be recomputed or forgotten (rate-limit
counters, lookup lock-outs, cached figures). A Redis outage must never turn a
citizen's submission or lookup into an error page, so connection errors are
logged and answered like a cache miss: limits fail open, figures are
recomputed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import time
import zlib
from collections.abc import Iterator

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.core.files import locks
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    def _degrade(self, operation: str, fallback):
        logger.warning("cache unavailable during %s; carrying on without it", operation, exc_info=True)
        return fallback

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except _DOWN:
            return self._degrade("add", False)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except _DOWN:
            return self._degrade("get", default)

    def set(self, key, value, timeout=None, version=None):
        try:
            return super().set(key, value, timeout, version)
        except _DOWN:
            return self._degrade("set", None)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except _DOWN:
            # django-ratelimit reads None as "count unknown" and, with
            # RATELIMIT_FAIL_OPEN, lets the request through.
            return self._degrade("incr", None)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except _DOWN:
            return self._degrade("delete", False)

    def clear(self):
        try:
            return super().clear()
        except _DOWN:
            return self._degrade("clear", False)


class SharedFileCache(FileBasedCache):
    """Django's file-based cache with `add` and `incr` atomic across processes (one flock)."""

    _LOCK_NAME = ".counters.lock"  # not *.djcache: clear() and culling leave it alone

    @contextlib.contextmanager
    def _counters_locked(self) -> Iterator[None]:
        # FileBasedCache's own directory helpers (private in Django, absent from django-stubs).
        self._createdir()  # type: ignore[attr-defined]
        with open(os.path.join(self._dir, self._LOCK_NAME), "ab") as lock_file:  # type: ignore[attr-defined]
            locks.lock(lock_file, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock_file)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._counters_locked():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        # The file keeps its expiry: read it back and write the new value with the time that is left.
        with self._counters_locked():
            try:
                with open(self._key_to_file(key, version), "rb") as f:
                    expiry = pickle.load(f)  # noqa: S301 - our own file, read as Django's file cache reads it
                    value = pickle.loads(zlib.decompress(f.read()))  # noqa: S301
            except (FileNotFoundError, EOFError):
                raise ValueError(f"Key '{key}' not found") from None
            if expiry is not None and expiry < time.time():
                raise ValueError(f"Key '{key}' not found")
            new_value = value + delta
            remaining = None if expiry is None else max(expiry - time.time(), 0.001)
            super().set(key, new_value, remaining, version)
            return new_value
