"""The Celery application. Every periodic schedule is declared here, in one place."""

import functools
import logging
import os

from celery import Celery
from celery.signals import after_task_publish, beat_embedded_init, beat_init
from celery.worker.consumer import Consumer as CeleryConsumer
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual

from .breaker import breaker

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

# After an outage the worker reconnects within this many seconds of the broker's return
# (kombu's default backoff grows to 30 s, which left the clock stopped that much longer).
RECONNECT_INTERVAL_MAX = 2.0


DEADLINE_SWEEP_TASK = "dispatch.tasks.deadlines_sweep_task"


def clock_catch_up(*, why: str) -> bool:
    """Publish one deadline sweep now, instead of waiting for beat's next tick. Never raises.

    Called when a worker has (re)connected to the broker and when beat's broker
    is back after an outage: every breach that fell due meanwhile is flagged at
    once. An extra sweep is harmless (claims with skip_locked, conditional
    updates), and it expires after one interval like beat's own.
    """
    from django.conf import settings

    try:
        app.send_task(DEADLINE_SWEEP_TASK, expires=float(settings.DEADLINE_SWEEP_SECONDS))
    except Exception as exc:  # the broker went away again: beat's next tick sweeps
        logger.debug("catch-up sweep not published (%s): %s", why, exc)
        return False
    logger.info("Deadline sweep published at once: %s", why)
    return True


class Consumer(CeleryConsumer):
    """Celery's consumer, retrying the broker connection every 1-2 s instead of backing off to 30 s,
    and sweeping the deadlines as soon as it is connected (at start and after every outage)."""

    def ensure_connected(self, conn):
        ensure = conn.ensure_connection
        conn.ensure_connection = functools.partial(
            ensure, interval_start=1, interval_step=1, interval_max=RECONNECT_INTERVAL_MAX
        )
        try:
            connected = super().ensure_connected(conn)
        finally:
            del conn.ensure_connection
        breaker("broker").success()  # "Redis back (broker)", if it was away
        return connected

    def connect(self):
        # The connection tasks are consumed on (the event dispatcher's goes through
        # ensure_connected too): at start and after every outage.
        conn = super().connect()
        clock_catch_up(why="the worker connected to the broker")
        return conn


class RedisQoS(kombu_redis.QoS):
    """kombu's Redis ack emulation, freeing the prefetch slot even when Redis fails the ack.

    kombu 5.7 first removes the message from its "unacked" index in Redis and frees the local
    prefetch slot only if that worked. An ack that met a frozen Redis (a read timeout) kept the
    slot for good: with one slot (concurrency 1, prefetch multiplier 1) the worker stayed
    connected and never took another task (bench/RESULTS.md, 2 of 4 frozen runs). Freed
    regardless, the entry left in the index is restored after the visibility timeout and the
    task runs again, which every task here allows (idempotent).
    """

    def ack(self, delivery_tag):
        try:
            self._remove_from_indices(delivery_tag).execute()
        except Exception as exc:
            logger.warning(
                "Ack not confirmed by Redis (%s): the worker's prefetch slot is freed anyway, "
                "the task runs again after the visibility timeout",
                type(exc).__name__,
            )
            raise
        finally:
            virtual.QoS.ack(self, delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        try:
            if requeue:
                self.restore_by_tag(delivery_tag, leftmost=True)
            else:
                self._remove_from_indices(delivery_tag).execute()
        finally:
            virtual.QoS.ack(self, delivery_tag)


kombu_redis.Channel.QoS = RedisQoS

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.worker_consumer = "helpdesk.celery:Consumer"
app.autodiscover_tasks()


@after_task_publish.connect
def _broker_answered(**kwargs: object) -> None:
    # A publish went through: if the broker's breaker was open (beat's ticks
    # failing, say), it is back; writes "Redis back (broker)" once.
    breaker("broker").success()


@beat_init.connect
@beat_embedded_init.connect
def _beat_catches_up(**kwargs: object) -> None:
    # Beat's next tick after an outage may be a whole interval away (and the sweep it sent
    # during the outage was lost): when its first publish goes through, sweep at once.
    # (An embedded beat gets both signals: register once.)
    callbacks = breaker("broker").on_back
    if _beat_back not in callbacks:
        callbacks.append(_beat_back)


def _beat_back() -> None:
    clock_catch_up(why="beat's broker is back")


@app.on_after_finalize.connect
def _schedules(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        "deadlines-sweep": {
            "task": "dispatch.tasks.deadlines_sweep_task",
            "schedule": float(settings.DEADLINE_SWEEP_SECONDS),
            "options": {"expires": float(settings.DEADLINE_SWEEP_SECONDS)},
        },
        "surges-detect": {
            "task": "dispatch.tasks.surges_detect_task",
            "schedule": float(settings.SURGE_INTERVAL_SECONDS),
            "options": {"expires": float(settings.SURGE_INTERVAL_SECONDS)},
        },
        "feedback-autoclose": {
            "task": "dispatch.tasks.requests_autoclose_task",
            "schedule": float(settings.FEEDBACK_AUTOCLOSE_SWEEP_SECONDS),
            "options": {"expires": float(settings.FEEDBACK_AUTOCLOSE_SWEEP_SECONDS)},
        },
        "stats-warm": {
            "task": "dispatch.tasks.stats_warm_task",
            "schedule": float(settings.STATS_WARM_SECONDS),
            "options": {"expires": float(settings.STATS_WARM_SECONDS)},
        },
        "open311-webhooks-sweep": {
            "task": "requests_app.tasks.webhooks_sweep_task",
            "schedule": float(settings.OPEN311_WEBHOOK_SWEEP_SECONDS),
            "options": {"expires": float(settings.OPEN311_WEBHOOK_SWEEP_SECONDS)},
        },
        # Sends outbox rows whose task never reached the broker (or keeps failing).
        "notifications-flush": {
            "task": "dispatch.tasks.notifications_flush_task",
            "schedule": 60.0,
            "options": {"expires": 60.0},
        },
    }
