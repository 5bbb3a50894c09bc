"""The clock on a real worker and beat whose broker is a redis-server of the test's own: Redis
stopped for 20 s, Redis frozen while a task acks, a worker SIGKILLed mid-sweep. Every breach is
flagged once (within 10 s of the broker's return), every notification sent once, the worker goes on
taking tasks, and its logs say "Redis unavailable" once instead of a traceback per retry.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from dispatch.models import Notification
from dispatch.tasks import deadlines_sweep_task
from dispatch.tests.test_tasks import wait_for
from dispatch.tests.workers import Workers
from helpdesk.celery import app
from requests_app.models import Deadline, Event, HelpRequest
from requests_app.tests.factories import HelpRequestFactory

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 20  # the shortest broker outage the target covers (20-60 s)


@pytest.fixture
def clock_worker(on_postgres, own_redis, tmp_path):
    """start() → a real `celery worker --beat` on the test database and this test's own Redis."""
    workers = Workers(broker=own_redis.url, log_dir=tmp_path, name="faults", env={"DEADLINE_SWEEP_SECONDS": "1"})
    yield functools.partial(workers.start, beat=True)
    workers.stop_all()


def assert_each_breach_flagged_once_and_each_notification_sent_once(requests):
    deadlines = Deadline.objects.filter(request__in=requests, kind="contact")
    assert deadlines.count() == len(requests)
    assert not deadlines.filter(breached_at=None).exists()
    events = Event.objects.filter(request__in=requests, kind=Event.Kind.DEADLINE)
    assert events.count() == len(requests)
    assert events.values("request").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    # What a sweep could not publish (the worker's broker breaker still open just after the outage)
    # waits for the flush: rows older than a minute, every minute, so up to two minutes.
    wait_for(
        lambda: not Notification.objects.filter(request__in=requests, state="queued").exists(),
        timeout=150,
        what="every notification to be sent",
    )
    rows = Notification.objects.filter(request__in=requests)
    assert rows.exists()
    assert set(rows.values_list("state", flat=True)) == {"sent"}
    assert set(rows.values_list("attempts", flat=True)) == {1}  # sent once each
    assert rows.values("request", "recipient", "kind").annotate(n=Count("id")).filter(n__gt=1).count() == 0


def past_due_request() -> HelpRequest:
    return HelpRequestFactory(now=timezone.now() - dt.timedelta(hours=2))


def flagged(requests) -> bool:
    return not Deadline.objects.filter(request__in=requests, kind="contact", breached_at=None).exists()


def blocked_backend() -> int | None:
    """The backend of a sweep waiting on a row lock this test holds (its batch transaction, mid-way)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is a snapshot
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_a_stopped_redis_delays_the_clock_and_it_catches_up_once_within_ten_seconds(
    clock_worker, own_redis, clock_staff
):
    # Beat's interval is longer than the test: only the sweep the worker publishes as soon as it
    # is connected (at start, and again after the outage) can flag anything in time.
    worker = clock_worker(DEADLINE_SWEEP_SECONDS="300")
    first = past_due_request()
    wait_for(lambda: flagged([first]), what="the sweep at the worker's start")

    own_redis.stop()
    stopped_at = time.monotonic()
    # Requests whose contact promise falls due while the broker is away: nothing can flag them now.
    during = [past_due_request() for _ in range(3)]
    wait_for(lambda: "Redis unavailable (broker)" in Path(worker.log_path).read_text(), what="the outage line")
    assert not Deadline.objects.filter(request__in=during, breached_at__isnull=False).exists()
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
    own_redis.start()
    # The target: within two sweep intervals of the production-like 5 s, i.e. 10 s.
    wait_for(lambda: flagged(during), timeout=10, what="every breach due during the outage, within 10 s")
    assert_each_breach_flagged_once_and_each_notification_sent_once([first, *during])
    log = Path(worker.log_path).read_text()
    assert worker.poll() is None, log
    assert log.count("Redis unavailable (broker)") == 1, log
    assert "Redis back (broker)" in log, log
    assert "Traceback" not in log, log


def test_an_ack_that_meets_a_frozen_redis_does_not_stop_the_worker(clock_worker, own_redis):
    """A sweep (acks_late) finishes, and acks, while Redis is frozen; Redis resumes; the worker
    takes the next sweep. kombu 5.7's own QoS kept the prefetch slot of an ack that timed out,
    and a worker with one slot never took another task (helpdesk.celery.RedisQoS; bench/RESULTS.md).
    """
    held = past_due_request()
    with transaction.atomic():
        # The sweep published when the worker connects claims the deadline, then waits on the
        # request's row in its batch transaction: a task in flight when Redis freezes.
        HelpRequest.objects.select_for_update().get(pk=held.pk)
        worker = clock_worker(beat=False)
        wait_for(blocked_backend, what="the worker's sweep to block on the held request")
        own_redis.freeze()
    # The lock is gone: the sweep flags and returns, and its ack meets the frozen Redis.
    wait_for(lambda: flagged([held]), what="the held sweep to commit")
    log = Path(worker.log_path)
    wait_for(lambda: "Ack not confirmed by Redis" in log.read_text(), what="the ack to time out (1 s)")
    own_redis.thaw()

    later = past_due_request()
    with app.connection_for_write(own_redis.url) as conn:  # as beat's next tick would
        deadlines_sweep_task.apply_async(connection=conn)
    wait_for(lambda: flagged([later]), timeout=30, what="the worker to take the next sweep")
    assert Event.objects.filter(request__in=[held, later], kind=Event.Kind.DEADLINE).count() == 2
    assert worker.poll() is None, log.read_text()


def test_a_worker_sigkilled_mid_sweep_loses_nothing_and_sends_nothing_twice(clock_worker, clock_staff):
    requests = [past_due_request() for _ in range(3)]
    with transaction.atomic():
        # Hold one request's row: the worker's first sweep claims the deadlines, then blocks on the
        # escalation UPDATE inside its batch transaction. That is "mid-sweep", deterministically.
        HelpRequest.objects.select_for_update().get(pk=requests[0].pk)
        worker = clock_worker()
        pid = wait_for(blocked_backend, what="the worker's sweep to block mid-batch")
        Workers.kill(worker)  # the worker and its beat, as a lost host
    with connection.cursor() as cursor:  # as TCP keepalive would, only sooner; our test database only
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert not Deadline.objects.filter(request__in=requests, breached_at__isnull=False).exists()
    assert not Notification.objects.filter(request__in=requests).exists()

    clock_worker()
    wait_for(
        lambda: not Deadline.objects.filter(request__in=requests, kind="contact", breached_at=None).exists(),
        what="the next worker's sweep",
    )
    assert_each_breach_flagged_once_and_each_notification_sent_once(requests)
