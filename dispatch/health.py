"""The portal's health as load balancers and monitors read it: `/healthz`, `/readyz`, the clock's age.

- `clock_run_record` is called at the end of every deadline sweep: one row
  per job in `ClockRun` (the truth) and a cache key that expires after three
  sweep intervals (so pages read it without a query while the clock runs).
- `sweep_status` says when the last sweep completed and whether that is
  older than three intervals (stale: breaches are not being flagged and
  nobody is notified). The staff pages' banner and `/readyz` use it.
- `readiness` checks the database, the cache and the broker with short
  timeouts, through the Redis breakers (helpdesk/breaker.py), so a probe of a
  frozen Redis costs at most one timeout per breaker interval; and, when
  `DATABASE_REPLICA_URL` is set, the replica (in recovery, its replay lag)
  through its breaker (helpdesk/db_router.py).

`/readyz` answers 503 only when the database is unreachable (this instance
cannot serve); the replica, the cache, the broker and the clock make it "degraded" with
200, because the portal keeps serving citizens without them. Monitors alert
on `status != "ok"`, or ask `/readyz?strict=1`, which is 503 for anything
that is not ok.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone

from helpdesk import db_router
from helpdesk.breaker import breaker

from .models import ClockRun

DEADLINE_SWEEP = "deadlines-sweep"
_CACHE_KEY = "clock-run:"
_NEVER = "never"
STALE_INTERVALS = 3


def _cache_seconds() -> int:
    return STALE_INTERVALS * settings.DEADLINE_SWEEP_SECONDS


def clock_run_record(*, job: str = DEADLINE_SWEEP, at: dt.datetime | None = None) -> None:
    """Record that `job` completed at `at` (now). Two cheap writes; call outside a transaction."""
    at = at or timezone.now()
    ClockRun.objects.update_or_create(job=job, defaults={"completed_at": at})
    cache.set(_CACHE_KEY + job, at, _cache_seconds())


def clock_run_last(*, job: str = DEADLINE_SWEEP) -> dt.datetime | None:
    """When `job` last completed (None: never recorded). From the cache while the clock runs."""
    cached = cache.get(_CACHE_KEY + job)
    if isinstance(cached, dt.datetime):
        return cached
    if cached == _NEVER:
        return None
    completed_at = ClockRun.objects.filter(job=job).values_list("completed_at", flat=True).first()
    # A clock that stopped (or never ran) costs one query per interval, not one per page.
    cache.set(_CACHE_KEY + job, completed_at or _NEVER, settings.DEADLINE_SWEEP_SECONDS)
    return completed_at


@dataclass(frozen=True)
class SweepStatus:
    last_completed_at: dt.datetime | None
    age_seconds: float | None
    interval_seconds: int

    @property
    def stale(self) -> bool:
        """Older than three intervals (None: never recorded, not stale: a fresh install has not swept yet)."""
        return self.age_seconds is not None and self.age_seconds > STALE_INTERVALS * self.interval_seconds


def sweep_status(*, now: dt.datetime | None = None) -> SweepStatus:
    last = clock_run_last()
    age = None if last is None else max(((now or timezone.now()) - last).total_seconds(), 0.0)
    return SweepStatus(last_completed_at=last, age_seconds=age, interval_seconds=settings.DEADLINE_SWEEP_SECONDS)


# --- Readiness ------------------------------------------------------------------------


def _timed(check: Any) -> dict[str, Any]:
    started = time.monotonic()
    try:
        detail = check() or {}
        ok = detail.pop("ok", True)
    except Exception as exc:
        ok, detail = False, {"error": type(exc).__name__}
    return {"ok": ok, "ms": round((time.monotonic() - started) * 1000, 1), **detail}


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _replica() -> dict[str, Any]:
    # Reads fall back to the primary while it is away: degraded, not failed.
    if not db_router.replica_usable():
        return {"ok": False, "fallback": "primary"}
    with connections[db_router.REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())")
        in_recovery, lag = cursor.fetchone()
    # The lag is the age of the last transaction replayed: it also grows while the primary is idle.
    return {"ok": bool(in_recovery), "lag_seconds": None if lag is None else round(float(lag), 1)}


def _cache() -> dict[str, Any]:
    redis_breaker = breaker("cache")
    if redis_breaker.is_down:
        # The cache answers from local files meanwhile; a probe happens on the breaker's schedule.
        cache.get("readyz")
        if redis_breaker.is_down:
            return {"ok": False, "fallback": "local files"}
    cache.set("readyz", 1, 10)
    return {"ok": not redis_breaker.is_down}


def _broker() -> dict[str, Any]:
    from helpdesk.celery import app

    broker_breaker = breaker("broker")
    if not broker_breaker.allow():
        return {"ok": False}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
            if conn.transport.driver_type == "redis":
                conn.default_channel.client.ping()  # type: ignore[attr-defined]  # kombu's Redis channel
    except Exception as exc:
        broker_breaker.failure(exc)
        raise
    broker_breaker.success()
    return {}


def _clock() -> dict[str, Any]:
    status = sweep_status()
    return {
        "ok": status.last_completed_at is not None and not status.stale,
        "last_completed_at": status.last_completed_at.isoformat() if status.last_completed_at else None,
        "age_seconds": None if status.age_seconds is None else round(status.age_seconds),
        "interval_seconds": status.interval_seconds,
        "stale_after_seconds": STALE_INTERVALS * status.interval_seconds,
    }


def readiness() -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for `/readyz`: 503 only without the database."""
    checks = {"database": _timed(_database)}
    if not checks["database"]["ok"]:
        checks["clock"] = {"ok": False, "error": "database unavailable"}
    if db_router.replica_configured():
        checks["replica"] = _timed(_replica)
    checks["cache"] = _timed(_cache)
    checks["broker"] = _timed(_broker)
    if "clock" not in checks:
        checks["clock"] = _timed(_clock)
    if not checks["database"]["ok"]:
        status = "fail"
    elif all(c["ok"] for c in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return (503 if status == "fail" else 200), {"status": status, "checks": checks}
