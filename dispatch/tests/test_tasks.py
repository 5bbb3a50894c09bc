"""The clock on a real Celery worker and Redis: beat's sweep flags breaches, a killed sweep loses nothing.

These start `celery -A helpdesk worker` as a subprocess on the pytest test
database (transactional tests, so the worker sees committed rows) and the
Redis DB from CELERY_BROKER_URL, which the fixture empties first.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dispatch.models import Notification
from dispatch.tasks import deadlines_sweep_task
from dispatch.tests.workers import Workers
from requests_app.models import Deadline, Event, HelpRequest
from requests_app.tests.factories import HelpRequestFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, *, timeout: float = 60.0, what: str = "condition"):
    """Poll a real process's progress with a deadline (not a time rule: the worker runs in real time)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def worker_factory(on_postgres, tmp_path):
    """Start real workers on the test database; stop (or kill) them all at teardown."""
    import redis

    broker = settings.CELERY_BROKER_URL
    if not broker.startswith("redis://"):
        pytest.skip("needs Redis as the broker (set CELERY_BROKER_URL)")
    redis.Redis.from_url(broker).flushdb()  # this suite's own Redis DB: no stale or unacked messages
    workers = Workers(broker=broker, log_dir=tmp_path, name="clock")
    yield workers.start
    workers.stop_all()


def _past_due_request() -> HelpRequest:
    return HelpRequestFactory(now=timezone.now() - dt.timedelta(hours=2))


def test_a_published_sweep_is_run_by_a_real_worker_and_its_notifications_sent(worker_factory, clock_staff):
    req = _past_due_request()
    worker = worker_factory()
    deadlines_sweep_task.delay()
    contact = Deadline.objects.get(request=req, kind="contact")
    wait_for(lambda: Deadline.objects.get(pk=contact.pk).breached_at, what="the breach")
    assert Event.objects.filter(request=req, kind=Event.Kind.DEADLINE).count() == 1
    assert HelpRequest.objects.get(pk=req.pk).escalated_at is not None
    # The sweep's notifications were published on commit and sent by the same worker.
    wait_for(
        lambda: not Notification.objects.filter(request=req, state="queued").exists(),
        what="the notifications to be sent",
    )
    assert set(Notification.objects.filter(request=req).values_list("state", flat=True)) == {"sent"}
    assert worker.poll() is None, Path(worker.log_path).read_text()


def test_beat_flags_a_new_request_within_two_sweep_intervals(worker_factory, settings):
    settings.SLA_CONTACT_SECONDS = 2
    worker_factory(beat=True, DEADLINE_SWEEP_SECONDS="1")
    req = HelpRequestFactory()
    contact = Deadline.objects.get(request=req, kind="contact")
    breached_at = wait_for(lambda: Deadline.objects.get(pk=contact.pk).breached_at, what="beat's sweep")
    # Flagged by a sweep no later than two intervals (plus the worker's start-up) after it fell due.
    assert breached_at >= contact.due_at
    assert Event.objects.filter(request=req, kind=Event.Kind.DEADLINE).count() == 1


def test_a_worker_killed_mid_sweep_loses_nothing_and_duplicates_nothing(worker_factory):
    req = _past_due_request()
    contact = Deadline.objects.get(request=req, kind="contact")
    with transaction.atomic():
        # Hold the request's row: the worker's sweep claims the deadline, then blocks on the
        # escalation UPDATE inside its batch transaction. That is "mid-sweep", deterministically.
        HelpRequest.objects.select_for_update().get(pk=req.pk)
        worker = worker_factory()
        deadlines_sweep_task.delay()

        def blocked_backend():
            with connection.cursor() as cursor:
                # Inside a transaction pg_stat_activity is a snapshot: refresh it on each poll.
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
                )
                row = cursor.fetchone()
            return row[0] if row else None

        pid = wait_for(blocked_backend, what="the worker's sweep to block mid-batch")
        Workers.kill(worker)
    # Our lock is released; the orphaned backend wakes, cannot talk to its dead client, rolls back.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])  # as TCP keepalive would, only sooner

    def backend_gone():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone()[0] == 0

    wait_for(backend_gone, what="the killed worker's transaction to end")
    contact.refresh_from_db()
    assert contact.breached_at is None, "the killed batch committed nothing"
    assert not Event.objects.filter(request=req, kind=Event.Kind.DEADLINE).exists()

    worker_factory()
    deadlines_sweep_task.delay()
    wait_for(lambda: Deadline.objects.get(pk=contact.pk).breached_at, what="the next sweep")
    assert Event.objects.filter(request=req, kind=Event.Kind.DEADLINE).count() == 1
    assert Deadline.objects.filter(request=req, breached_at__isnull=False).count() == 1
