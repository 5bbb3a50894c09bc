"""Celery tasks for the clock and the notifications: thin wrappers around the services.

Every task takes ids (or nothing), re-reads the database and returns quietly
when its work is already done, so a retry or a duplicate delivery is harmless;
that is why they may use `acks_late` (a worker killed mid-task leaves the
message to be redelivered). No task is scheduled with a long ETA or countdown:
the sweep, run by beat, is the source of truth.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .deadlines import deadlines_sweep
from .models import Notification
from .notifications import MAX_ATTEMPTS, notification_send, notifications_flush

logger = logging.getLogger(__name__)

TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    acks_late=True,
    time_limit=300,
    soft_time_limit=280,
    autoretry_for=TRANSIENT_DB_ERRORS,
    max_retries=3,
    retry_backoff=5,
    retry_backoff_max=60,
    retry_jitter=True,
)
def deadlines_sweep_task() -> dict[str, int]:
    """Flag due deadlines and send reminders (beat, every DEADLINE_SWEEP_SECONDS)."""
    result = deadlines_sweep(now=timezone.now())
    if result.breached or result.reminded:
        logger.info("Deadline sweep: %s", result)
    return result.__dict__


@shared_task(
    acks_late=True,
    time_limit=300,
    soft_time_limit=280,
    autoretry_for=TRANSIENT_DB_ERRORS,
    max_retries=3,
    retry_backoff=5,
    retry_backoff_max=60,
    retry_jitter=True,
)
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
        raise self.retry(countdown=min(300, 10 * 2 ** (notification.attempts - 1)))
    return notification.state
