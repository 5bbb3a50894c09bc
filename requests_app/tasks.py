"""Celery tasks of the citizen side: webhook delivery for the Open311 API.

Both take ids or nothing and re-read rows, so a duplicate or late message is
harmless (see open311.services.webhook_delivery_attempt), hence `acks_late`.
Retries are not countdown tasks (Redis would redeliver long ETAs after its
visibility timeout): a failed attempt stores its next due time on the row and
the beat sweep queues it again when due, at most OPEN311_WEBHOOK_MAX_ATTEMPTS times.
"""

from __future__ import annotations

from celery import shared_task

from .open311 import services


@shared_task(acks_late=True, ignore_result=True, time_limit=60, soft_time_limit=45)
def webhook_deliver_task(delivery_id: int) -> None:
    services.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True, time_limit=60, soft_time_limit=45)
def webhooks_sweep_task() -> None:
    """Queue pending deliveries whose next attempt is due: retries, and anything the broker missed."""
    services.webhooks_requeue_due()
