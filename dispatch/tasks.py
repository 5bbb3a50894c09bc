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

from .deadlines import deadlines_sweep
from .feedback import requests_autoclose
from .models import Notification
from .notifications import notification_send, notifications_flush
from .stats import figures_warm
from .surges.services import surges_detect

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
def surges_detect_task() -> dict[str, int]:
    """Flag or grow surges of similar requests (beat, every SURGE_INTERVAL_SECONDS). Idempotent."""
    result = surges_detect(now=timezone.now())
    if result.flagged:
        logger.info("Surges flagged: %s", result.flagged)
    return {"requests": result.requests, "flagged": len(result.flagged), "grown": len(set(result.grown))}


@shared_task(**SWEEP_TASK_OPTIONS)
def notifications_flush_task() -> int:
    """Send queued notifications whose next attempt is due (retries, and tasks the broker lost)."""
    return notifications_flush(now=timezone.now())


@shared_task(
    acks_late=True,
    time_limit=60,
    soft_time_limit=50,
    autoretry_for=TRANSIENT_DB_ERRORS,
    max_retries=3,
    retry_backoff=5,
    retry_jitter=True,
)
def notification_send_task(notification_id: int) -> str | None:
    """Make one attempt at one notification. A failed channel is retried by the flush when
    the row's next attempt is due (helpdesk.outbox), not by this task."""
    notification = notification_send(notification_id=notification_id)
    return notification.state if notification is not None else None


@shared_task(**SWEEP_TASK_OPTIONS)
def notifications_send_many_task(notification_ids: list[int]) -> int:
    """Send a chunk of notifications queued together (a sweep's batch); returns how many are sent.

    Each row is sent at most once (`notification_send` locks it and skips rows
    no longer queued), so a redelivered or retried chunk only sends what is
    left. A row whose channel failed, or that the time limit left unsent, stays
    queued with its next attempt due; the flush sends it then.
    """
    sent = 0
    for notification_id in notification_ids:
        notification = notification_send(notification_id=notification_id)
        if notification is not None and notification.state == Notification.State.SENT:
            sent += 1
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
