"""Celery tasks closing the loop (scheduled in helpdesk/celery.py): the automatic close, and the figures.

Both idempotent: `requests_autoclose` re-checks every request under its row
lock, so a duplicate delivery or two beats at once close nothing twice;
`figures_warm` only recomputes cached aggregates.
"""

from celery import shared_task

from .feedback import requests_autoclose
from .stats import figures_warm


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280, ignore_result=True)
def requests_autoclose_task() -> int:
    return requests_autoclose()


@shared_task(time_limit=300, soft_time_limit=280, ignore_result=True)
def stats_warm_task() -> None:
    """Keep /stats/ served from the cache: with a million requests a cold 365-day computation takes seconds."""
    figures_warm()
