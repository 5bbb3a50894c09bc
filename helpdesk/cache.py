"""The two cache backends: a Redis cache that degrades when Redis is away, and a shared file cache.

`SharedFileCache` is the embedded default (no CACHE_URL): files under
var/cache/, seen by every process on the machine, so `make run`'s two web
workers count rate limits and lookup lock-outs together. Django's file cache
makes `add` and `incr` a read followed by a write, so two workers could both
"add" a counter or lose an increment; here both run under one exclusive lock
file (flock), which makes them atomic across processes.

The cache holds only things that can be recomputed or forgotten (rate-limit
counters, lookup lock-outs, cached figures). A Redis outage must never turn a
citizen's submission or lookup into an error page, nor make it slow: every
call goes through the "cache" circuit breaker (helpdesk/breaker.py) with
short socket timeouts, and while Redis is away (refusing, or frozen) the
calls go to a `SharedFileCache` on this machine instead (`FALLBACK_LOCATION`,
default var/cache-fallback/). Rate limits and lock-outs therefore keep
counting during an outage, per machine rather than across machines; the
counts start again from Redis's when it is back. Nothing raises, nothing is
logged per call: the breaker writes one line per change of state.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.files import locks
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .breaker import breaker

_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
# EVALSHA'd (redis-py loads it again after a restart): the counter's TTL is left as it was.
_INCR_EXISTING = (
    "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end return false"
)


class _OneClientPerPool(RedisCacheClient):
    """Django's Redis cache client, keeping one `redis.Redis` per connection pool.

    Django builds a new `redis.Redis` around the pool for every cache call, and redis-py 8
    fills its response-callback table each time: about a third of a cache call's CPU, and a
    public page makes several. A `redis.Redis` takes a connection from its pool per command,
    so one per pool is safe to share between threads.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}  # by id() of the pool, which Django keeps for good
        self._incr_scripts: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        """INCRBY an existing counter, in one atomic round trip; ValueError when there is none.

        Django asks EXISTS, then INCRBY: two round trips on every rate-limited request, and a
        counter expiring between the two came back from INCRBY as a new one without a TTL (a
        lookup lock-out that never ends).
        """
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:
            script = self._incr_scripts[id(client)] = client.register_script(_INCR_EXISTING)
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class ResilientRedisCache(RedisCache):
    """Django's Redis cache behind the "cache" breaker, with a local file cache to fall back on."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": dict(params.get("OPTIONS") or {})}
        fallback_dir = params["OPTIONS"].pop("FALLBACK_LOCATION", None) or str(
            settings.BASE_DIR / "var" / "cache-fallback"
        )
        super().__init__(server, params)
        self._class = _OneClientPerPool
        self._fallback = SharedFileCache(
            fallback_dir,
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "OPTIONS": {"MAX_ENTRIES": 5000},
            },
        )

    def _through(self, redis_call: Callable[[], Any], fallback_call: Callable[[], Any]) -> Any:
        return breaker("cache").call(redis_call, fallback=fallback_call, errors=_DOWN)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._through(
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            lambda: self._fallback.add(key, value, timeout, version),
        )

    def get(self, key, default=None, version=None):
        return self._through(
            lambda: super(ResilientRedisCache, self).get(key, default, version),
            lambda: self._fallback.get(key, default, version),
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._through(
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            lambda: self._fallback.set(key, value, timeout, version),
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._through(
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version),
            lambda: self._fallback.touch(key, timeout, version),
        )

    def delete(self, key, version=None):
        return self._through(
            lambda: super(ResilientRedisCache, self).delete(key, version),
            lambda: self._fallback.delete(key, version),
        )

    def get_many(self, keys, version=None):
        return self._through(
            lambda: super(ResilientRedisCache, self).get_many(keys, version),
            lambda: self._fallback.get_many(keys, version),
        )

    def has_key(self, key, version=None):
        return self._through(
            lambda: super(ResilientRedisCache, self).has_key(key, version),
            lambda: self._fallback.has_key(key, version),
        )

    def incr(self, key, delta=1, version=None):
        # A missing key raises ValueError from either cache, as Django's API says.
        return self._through(
            lambda: super(ResilientRedisCache, self).incr(key, delta, version),
            lambda: self._fallback.incr(key, delta, version),
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._through(
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            lambda: self._fallback.set_many(data, timeout, version),
        )

    def delete_many(self, keys, version=None):
        return self._through(
            lambda: super(ResilientRedisCache, self).delete_many(keys, version),
            lambda: self._fallback.delete_many(keys, version),
        )

    def clear(self):
        self._fallback.clear()
        return self._through(lambda: super(ResilientRedisCache, self).clear(), lambda: False)


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
