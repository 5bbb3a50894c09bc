"""The Celery application. Every periodic schedule is declared here, in one place."""

import functools
import os

from celery import Celery
from celery.signals import after_task_publish
from celery.worker.consumer import Consumer as CeleryConsumer
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual

from .breaker import breaker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

# After an outage the worker reconnects within this many seconds of the broker's return
# (kombu's default backoff grows to 30 s, which left the clock stopped that much longer).
RECONNECT_INTERVAL_MAX = 2.0


class Consumer(CeleryConsumer):
    """Celery's consumer, retrying the broker connection every 1-2 s instead of backing off to 30 s."""

    def ensure_connected(self, conn):
        ensure = conn.ensure_connection
        conn.ensure_connection = functools.partial(
            ensure, interval_start=1, interval_step=1, interval_max=RECONNECT_INTERVAL_MAX
        )
        try:
            return super().ensure_connected(conn)
        finally:
            del conn.ensure_connection


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
