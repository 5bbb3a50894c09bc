"""A per-process circuit breaker for Redis (cache, broker) and the database replica, and its outage log lines.

A frozen Redis (SIGSTOP, a stuck host, a partition) accepts TCP connections
and then never answers: every call waits out its socket timeout. Without a
breaker each citizen's request paid that wait several times over, and the
sync web workers queued behind one another. With it, the first failure opens
the breaker: for `REDIS_BREAKER_SECONDS` every call skips Redis at once
(callers fall back: the cache to local files, publishing to the outbox). Then
one call is let through as a probe; success closes the breaker, failure opens
it again.

Each breaker writes one line per change of state, never a traceback:
"Redis unavailable (cache): …", then while it stays down at most one summary
a minute with the counts ("… still unavailable after 60 s: 412 calls skipped,
12 failed"), then "Redis back (cache) after 75 s …".

The database replica's breaker (helpdesk/db_router.py) is the same class
with its own label and setting: "Database replica unavailable (replica): …".

Per process and thread-safe; nothing here is shared between processes, so a
worker that restarts starts closed and pays at most one timeout to learn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_OPEN_SECONDS = 5.0
SUMMARY_SECONDS = 60.0


def _open_seconds(setting: str) -> float:
    try:
        from django.conf import settings

        return float(getattr(settings, setting, DEFAULT_OPEN_SECONDS))
    except Exception:
        return DEFAULT_OPEN_SECONDS


class Breaker:
    """Closed (call the service), open (skip it until `retry_at`), half-open (one probe in flight).

    `label` names the service in the log lines ("Redis"); `setting` is the
    setting holding the seconds to skip it after a failure.
    """

    def __init__(
        self,
        name: str,
        *,
        label: str = "Redis",
        setting: str = "REDIS_BREAKER_SECONDS",
        open_seconds: float | None = None,
        summary_seconds: float = SUMMARY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.label = label
        self.setting = setting
        self._open_seconds = open_seconds
        self.summary_seconds = summary_seconds
        self.clock = clock
        self._lock = threading.Lock()
        # Called (outside the lock, errors swallowed) each time Redis is back after an outage.
        self.on_back: list[Callable[[], object]] = []
        self.reset()

    def reset(self) -> None:
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.probing = False
        self.skipped = self.failed = 0  # since the last line written
        self.skipped_total = self.failed_total = 0  # since down_since
        self.summary_at = 0.0

    @property
    def open_seconds(self) -> float:
        return self._open_seconds if self._open_seconds is not None else _open_seconds(self.setting)

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def allow(self) -> bool:
        """Whether to call the service now. False: skip it (the breaker is open or another call probes)."""
        with self._lock:
            if self.down_since is None:
                return True
            now = self.clock()
            if now >= self.retry_at and not self.probing:
                self.probing = True
                return True
            self.skipped += 1
            self.skipped_total += 1
            return False

    def success(self) -> None:
        with self._lock:
            if self.down_since is None:
                return
            down_for = self.clock() - self.down_since
            skipped, failed = self.skipped_total, self.failed_total
            self.reset()
        logger.warning(
            "%s back (%s) after %.0f s: %d call(s) skipped, %d failed while it was away",
            self.label,
            self.name,
            down_for,
            skipped,
            failed,
        )
        for callback in list(self.on_back):
            try:
                callback()
            except Exception as exc:
                logger.debug("after Redis came back (%s): %s", self.name, exc)

    def failure(self, error: BaseException | str) -> None:
        with self._lock:
            now = self.clock()
            self.failed += 1
            self.failed_total += 1
            self.probing = False
            self.retry_at = now + self.open_seconds
            if self.down_since is not None:
                self._summary_due(now)
                return
            self.down_since = self.summary_at = now
            self.skipped = self.failed = 0
        logger.warning(
            "%s unavailable (%s): %s; skipping it for %.0f s at a time and carrying on without it",
            self.label,
            self.name,
            _describe(error),
            self.open_seconds,
        )

    def _summary_due(self, now: float) -> None:
        # Called with the lock held, on a failed probe: a summary says the service was still down then
        # (a skipped call knows nothing), so an outage of exactly a minute writes none.
        if self.down_since is None or now - self.summary_at < self.summary_seconds:
            return
        skipped, failed, since = self.skipped, self.failed, now - self.summary_at
        self.skipped = self.failed = 0
        self.summary_at = now
        logger.warning(
            "%s still unavailable (%s) after %.0f s: %d call(s) skipped, %d failed in the last %.0f s",
            self.label,
            self.name,
            now - self.down_since,
            skipped,
            failed,
            since,
        )

    def call(self, fn: Callable[[], T], *, fallback: Callable[[], T], errors: tuple[type[BaseException], ...]) -> T:
        """`fn()` through the breaker; `fallback()` when it is open or `fn` raises one of `errors`."""
        if not self.allow():
            return fallback()
        try:
            result = fn()
        except errors as exc:
            self.failure(exc)
            return fallback()
        except BaseException:
            with self._lock:  # an error that says nothing about the service: let the next call probe
                self.probing = False
            raise
        self.success()
        return result


def _describe(error: BaseException | str) -> str:
    if isinstance(error, str):
        return error.splitlines()[0][:300] if error else "error"
    text = str(error).splitlines()[0][:300] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


_breakers: dict[str, Breaker] = {}
_registry_lock = threading.Lock()


def breaker(name: str, *, label: str = "Redis", setting: str = "REDIS_BREAKER_SECONDS") -> Breaker:
    """This process's breaker for `name` ("cache", "broker", "replica"); `label`/`setting` apply when first made."""
    with _registry_lock:
        if name not in _breakers:
            _breakers[name] = Breaker(name, label=label, setting=setting)
        return _breakers[name]


def breakers_reset() -> None:
    """Close every breaker (tests; a fresh start)."""
    with _registry_lock:
        for b in _breakers.values():
            with b._lock:
                b.reset()


def broker_publish(publish: Callable[[], object], *, what: str) -> bool:
    """Publish a task through the broker's breaker. Never raises; False when not sent.

    Call it after commit with an outbox behind it (the notification rows, the
    webhook deliveries): what is not sent now stays queued in the database and
    the periodic flush or sweep sends it later, so a broker outage never
    blocks or fails the request that caused the publish.
    """
    b = breaker("broker")
    if not b.allow():
        return False
    try:
        publish()
    except Exception as exc:
        b.failure(exc)
        logger.debug("not published (%s): %s", what, exc)
        return False
    b.success()
    return True


# --- The worker's and beat's own reconnect noise --------------------------------------

_CONNECTION_WORDS = (
    "Cannot connect to",
    "Connection to broker lost",
    "connecting to",
    "Connection refused",
    "Error while reading from",
    "Timeout reading from",
    "Timeout connecting",
    "Connection closed by server",
)


def _connection_error(record: logging.LogRecord) -> bool:
    if record.exc_info and record.exc_info[1] is not None:
        from kombu.exceptions import OperationalError
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        # The error itself, or what it was raised while handling ("Error on restarting Gossip:
        # AttributeError" during a reconnect is a lost connection underneath).
        exc: BaseException | None = record.exc_info[1]
        for _ in range(5):
            if exc is None:
                break
            if isinstance(exc, OSError | RedisConnectionError | RedisTimeoutError | OperationalError):
                return True
            exc = exc.__cause__ or exc.__context__
    try:
        message = record.getMessage()
    except Exception:
        return False
    return any(word in message for word in _CONNECTION_WORDS)


class BrokerOutageFilter(logging.Filter):
    """Turns Celery's and kombu's per-retry connection errors into the broker breaker's lines.

    Beat logs one error with a traceback per schedule tick while the broker is
    away, the worker one per reconnect attempt; both are swallowed here and
    counted by `breaker("broker")`, which writes "Redis unavailable (broker)",
    a summary a minute and "Redis back (broker)" (on the worker's "Connected
    to …" line, or beat's first successful publish: helpdesk/celery.py).
    Install it before the scrub filter on every handler (settings.LOGGING).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(("celery", "kombu")):
            return True
        if record.levelno >= logging.WARNING and _connection_error(record):
            error = record.exc_info[1] if record.exc_info else None
            message = _describe(error) if error is not None else record.getMessage()
            breaker("broker").failure(message)
            return False
        if record.levelno == logging.INFO and record.getMessage().startswith("Connected to"):
            breaker("broker").success()
        return True
