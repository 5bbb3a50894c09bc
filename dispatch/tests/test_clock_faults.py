"""The clock on a real worker and beat whose broker is a redis-server of the test's own: Redis
stopped for a while, a worker SIGKILLed mid-sweep. Every breach is flagged once, every notification
sent once, and the worker's logs say "Redis unavailable" once instead of a traceback per retry.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from dispatch.models import Notification
from dispatch.tests.test_tasks import wait_for
from requests_app.models import Deadline, Event, HelpRequest
from requests_app.tests.factories import HelpRequestFactory

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def clock_worker(on_postgres, own_redis, tmp_path):
    """start() → a real `celery worker --beat` on the test database and this test's own Redis."""
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    procs: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        n = len(procs)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": own_redis.url,
            "CONN_MAX_AGE": "0",
            "DEADLINE_SWEEP_SECONDS": "1",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        cmd = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool", "solo", "--loglevel", "INFO"]
        cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"faults{n}@%h"]
        cmd += ["--beat", "--schedule", str(tmp_path / f"beat-{n}")]
        log = open(tmp_path / f"worker-{n}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        proc.log_path = log.name
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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


def test_a_stopped_redis_delays_the_clock_and_it_catches_up_once(clock_worker, own_redis, clock_staff, settings):
    worker = clock_worker()
    first = HelpRequestFactory(now=timezone.now() - dt.timedelta(hours=2))
    wait_for(lambda: Deadline.objects.get(request=first, kind="contact").breached_at, what="the first sweep")

    own_redis.stop()
    # Requests whose contact promise falls due while the broker is away: nothing can flag them now.
    during = [HelpRequestFactory(now=timezone.now() - dt.timedelta(hours=2)) for _ in range(3)]
    wait_for(lambda: "Redis unavailable (broker)" in Path(worker.log_path).read_text(), what="the outage line")
    assert not Deadline.objects.filter(request__in=during, breached_at__isnull=False).exists()
    own_redis.start()
    wait_for(
        lambda: not Deadline.objects.filter(request__in=during, kind="contact", breached_at=None).exists(),
        timeout=90,
        what="the breaches due during the outage",
    )
    assert_each_breach_flagged_once_and_each_notification_sent_once([first, *during])
    log = Path(worker.log_path).read_text()
    assert worker.poll() is None, log
    assert log.count("Redis unavailable (broker)") == 1, log
    assert "Traceback" not in log, log


def test_a_worker_sigkilled_mid_sweep_loses_nothing_and_sends_nothing_twice(clock_worker, clock_staff):
    requests = [HelpRequestFactory(now=timezone.now() - dt.timedelta(hours=2)) for _ in range(3)]
    with transaction.atomic():
        # Hold one request's row: beat's sweep claims the deadlines, then blocks on the
        # escalation UPDATE inside its batch transaction. That is "mid-sweep", deterministically.
        HelpRequest.objects.select_for_update().get(pk=requests[0].pk)
        worker = clock_worker()

        def blocked_backend():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
                )
                row = cursor.fetchone()
            return row[0] if row else None

        pid = wait_for(blocked_backend, what="the worker's sweep to block mid-batch")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=15)
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
