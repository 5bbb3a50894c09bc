"""Celery tasks for the clock, the notifications and closing the loop: thin wrappers around the services.

Every task takes ids (or nothing), re-reads the database and returns quietly
when its work is already done, so a retry or a duplicate delivery is harmless;
that is why they may use `acks_late` (a worker killed mid-task leaves the
message to be redelivered). No task is scheduled with a long ETA or countdown:
the sweep, run by beat, is the source of truth.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from helpdesk.breaker import broker_publish

from .deadlines import deadlines_sweep
from .feedback import requests_autoclose
from .models import Notification
from .notifications import MAX_ATTEMPTS, notification_send, notifications_flush
from .stats import figures_warm

logger = logging.getLogger(__name__)

TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)

# Periodic sweeps: idempotent (safe to redeliver, hence acks_late), bounded in
# time, retried a few times with backoff when the database blips.
SWEEP_TASK_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "time_limit": 300,
    "soft_time_limit": 280,
    "autoretry_for": TRANSIENT_DB_ERRORS,
    "max_retries": 3,
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


@shared_task(**SWEEP_TASK_OPTIONS)
def deadlines_sweep_task() -> dict[str, int]:
    """Flag due deadlines and send reminders (beat, every DEADLINE_SWEEP_SECONDS)."""
    result = deadlines_sweep(now=timezone.now())
    if result.breached or result.reminded:
        logger.info("Deadline sweep: %s", result)
    return result.__dict__


@shared_task(**SWEEP_TASK_OPTIONS)
def notifications_flush_task() -> int:
    """Send notifications left queued for over a minute (broker outage, lost or failing task)."""
    return notifications_flush(now=timezone.now())


@shared_task(
    bind=True,
    acks_late=True,
    time_limit=60,
    soft_time_limit=50,
    autoretry_for=TRANSIENT_DB_ERRORS,
    max_retries=MAX_ATTEMPTS,
    retry_backoff=10,
    retry_backoff_max=300,
    retry_jitter=True,
)
def notification_send_task(self, notification_id: int) -> str | None:  # noqa: ANN001
    """Send one notification; retry with backoff while its channel fails (the outbox counts attempts)."""
    notification = notification_send(notification_id=notification_id)
    if notification is None:
        return None
    if notification.state == Notification.State.QUEUED and notification.attempts < MAX_ATTEMPTS:
        # The channel failed but may recover: short, bounded backoff; the flush is the safety net.
        raise self.retry(countdown=_retry_countdown(notification.attempts))
    return notification.state


def _retry_countdown(attempts: int) -> int:
    return min(300, 10 * 2 ** (attempts - 1))


@shared_task(**SWEEP_TASK_OPTIONS)
def notifications_send_many_task(notification_ids: list[int]) -> int:
    """Send a chunk of notifications queued together (a sweep's batch); returns how many are sent.

    Each row is sent at most once (`notification_send` locks it and skips rows
    no longer queued), so a redelivered or retried chunk only sends what is
    left. A row whose channel failed gets its own retrying
    `notification_send_task`; rows left unsent when the time limit strikes
    stay queued for the flush.
    """
    sent = 0
    for notification_id in notification_ids:
        notification = notification_send(notification_id=notification_id)
        if notification is None:
            continue
        if notification.state == Notification.State.SENT:
            sent += 1
        elif notification.state == Notification.State.QUEUED and notification.attempts < MAX_ATTEMPTS:
            # If the broker is away the row stays queued and the flush retries it.
            broker_publish(
                lambda notification_id=notification_id, attempts=notification.attempts: (
                    notification_send_task.apply_async(
                        # celery-types asks for a tuple; Celery takes any sequence, and a list is what we always sent.
                        args=[notification_id],  # type: ignore[arg-type]
                        countdown=_retry_countdown(attempts),
                    )
                ),
                what="notification retry",
            )
    return sent


# --- Closing the loop -----------------------------------------------------------------
# requests_autoclose re-checks every request under its row lock, so a duplicate
# delivery or two beats at once close nothing twice; figures_warm only
# recomputes cached aggregates.


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280, ignore_result=True)
def requests_autoclose_task() -> int:
    return requests_autoclose()


@shared_task(time_limit=300, soft_time_limit=280, ignore_result=True)
def stats_warm_task() -> None:
    """Keep /stats/ served from the cache: with a million requests a cold 365-day computation takes seconds."""
    figures_warm()
