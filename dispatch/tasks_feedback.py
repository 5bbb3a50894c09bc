"""Celery task for the automatic close of unrated resolved requests (scheduled in helpdesk/celery.py).

Idempotent: `requests_autoclose` re-checks every request under its row lock,
so a duplicate delivery or two beats at once close nothing twice.
"""

from celery import shared_task

from .feedback import requests_autoclose


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280, ignore_result=True)
def requests_autoclose_task() -> int:
    return requests_autoclose()
