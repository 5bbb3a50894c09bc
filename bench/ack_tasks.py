"""A task for bench/ack_freeze.py only (loaded into its worker with `-I bench.ack_tasks`)."""

import time

from celery import shared_task


@shared_task(acks_late=True)
def bench_sleep(seconds: float, tag: str) -> str:
    """Sleep, then return `tag`: a task in flight for as long as the bench wants."""
    time.sleep(seconds)
    return tag
