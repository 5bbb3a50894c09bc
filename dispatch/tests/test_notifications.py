"""The outbox: rows written with their cause, sent once, failures recorded, broker outages survived."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from dispatch import notifications
from dispatch.models import Notification
from dispatch.notifications import (
    MAX_ATTEMPTS,
    Message,
    notification_retry,
    notification_send,
    notifications_flush,
    notifications_for_event,
    notifications_queue,
)
from requests_app.models import Event, State
from requests_app.tests.factories import HelpRequestFactory

from .conftest import T0

SENT_SMS: list[tuple[str, str]] = []


class RecordingSmsBackend:
    def send(self, *, phone: str, text: str) -> None:
        SENT_SMS.append((phone, text))


class BrokenSmsBackend:
    def send(self, *, phone: str, text: str) -> None:
        raise ConnectionError("gateway down")


@pytest.fixture
def sms(settings):
    SENT_SMS.clear()
    settings.SMS_BACKEND = "dispatch.tests.test_notifications.RecordingSmsBackend"
    return SENT_SMS


@pytest.fixture
def broker_down(monkeypatch):
    """Point the Celery app at a closed port, as if Redis were down.

    Celery reads the CELERY_BROKER_URL environment variable before its conf, so
    that is what is overridden; the connection pool is dropped so it reconnects.
    """
    from helpdesk.celery import app

    old_url, old_pool = app.conf.broker_url, app._pool
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app._pool = None
    app.amqp._producer_pool = None  # it wraps the connection pool: rebuild both
    assert "127.0.0.1:1/" in app.connection_for_write().as_uri()
    yield app
    if app._pool is not None:
        app._pool.force_close_all()
    monkeypatch.undo()
    app.conf.broker_url, app._pool = old_url, old_pool
    app.amqp._producer_pool = None


def email_message(**overrides) -> Message:
    fields = {
        "channel": Notification.Channel.EMAIL,
        "recipients": ["a@zz.gov.cn", "b@zz.gov.cn", "a@zz.gov.cn"],
        "subject": "督办",
        "body": "超时",
        "kind": Notification.Kind.BREACH,
    }
    return Message(**{**fields, **overrides})


@pytest.mark.django_db
def test_rows_are_written_at_once_and_tasks_published_only_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        rows = notifications_queue(messages=[email_message()])
    assert [n.recipient for n in rows] == ["a@zz.gov.cn", "b@zz.gov.cn"]  # one row per distinct recipient
    assert all(n.state == Notification.State.QUEUED for n in rows)
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_rows_roll_back_with_their_cause(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        notifications_queue(messages=[email_message()])
        raise RuntimeError("the cause failed")
    assert not Notification.objects.exists()
    assert not callbacks


@pytest.mark.django_db
def test_send_email_once_then_return_quietly():
    (row, _b) = notifications_queue(messages=[email_message()])
    sent = notification_send(notification_id=row.pk, now=T0)
    assert sent.state == Notification.State.SENT and sent.sent_at == T0 and sent.attempts == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@zz.gov.cn"]
    again = notification_send(notification_id=row.pk)
    assert again.state == Notification.State.SENT and again.attempts == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_sms_goes_through_the_configured_backend(sms):
    (row,) = notifications_queue(
        messages=[email_message(channel=Notification.Channel.SMS, recipients=["13800000000"], body="你好")]
    )
    notification_send(notification_id=row.pk)
    assert sms == [("13800000000", "你好")]


@pytest.mark.django_db
def test_the_default_sms_backend_writes_to_the_log(caplog):
    (row,) = notifications_queue(
        messages=[email_message(channel=Notification.Channel.SMS, recipients=["13800000000"], body="你好")]
    )
    with caplog.at_level("INFO", logger="dispatch.notifications"):
        assert notification_send(notification_id=row.pk).state == "sent"
    assert "SMS to 138****0000: 你好" in caplog.text


@pytest.mark.django_db
def test_failures_are_counted_then_marked_failed_and_can_be_retried(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "dispatch.tests.test_notifications.BrokenSmsBackend"
    (row,) = notifications_queue(messages=[email_message(channel="sms", recipients=["13800000000"])])
    for attempt in range(1, MAX_ATTEMPTS):
        n = notification_send(notification_id=row.pk)
        assert (n.state, n.attempts) == (Notification.State.QUEUED, attempt)
    n = notification_send(notification_id=row.pk)
    assert n.state == Notification.State.FAILED and n.attempts == MAX_ATTEMPTS
    assert "ConnectionError: gateway down" in n.last_error
    # Staff re-queue it from admin once the gateway is back.
    with django_capture_on_commit_callbacks() as callbacks:
        n = notification_retry(notification=n)
    assert n.state == Notification.State.QUEUED and n.attempts == 0
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_flush_sends_only_rows_queued_for_over_a_minute():
    old = notifications_queue(messages=[email_message(recipients=["old@zz.gov.cn"])], now=T0)
    new = notifications_queue(messages=[email_message(recipients=["new@zz.gov.cn"])], now=T0 + dt.timedelta(seconds=50))
    assert notifications_flush(now=T0 + dt.timedelta(seconds=61)) == 1
    old[0].refresh_from_db()
    new[0].refresh_from_db()
    assert (old[0].state, new[0].state) == ("sent", "queued")
    assert notifications_flush(now=T0 + dt.timedelta(seconds=61)) == 0


@pytest.mark.django_db
def test_citizens_are_told_of_hand_over_and_resolution_once_per_event(sms):
    req = HelpRequestFactory(now=T0)
    handed = Event.objects.create(
        request=req,
        kind=Event.Kind.TRANSITION,
        from_state=State.LISTED,
        to_state=State.HANDED_OVER,
        unit_name="金水区人民政府",
        message="交办",
        created_at=T0,
    )
    (n,) = notifications_for_event(event=handed)
    assert (n.channel, n.recipient, n.kind, n.request_id) == ("sms", req.phone, "handed_over", req.pk)
    assert req.ticket_number in n.body and "金水区人民政府" in n.body
    assert notifications_for_event(event=handed) == []

    resolved = Event.objects.create(
        request=req,
        kind=Event.Kind.TRANSITION,
        from_state=State.ACCEPTED,
        to_state=State.RESOLVED,
        message="办结",
        created_at=T0,
    )
    (n,) = notifications_for_event(event=resolved)
    assert n.kind == "resolved" and "评价" in n.body

    note = Event.objects.create(request=req, kind=Event.Kind.NOTE, message="办理中", created_at=T0)
    accepted = Event.objects.create(
        request=req, kind=Event.Kind.TRANSITION, to_state=State.ACCEPTED, message="签收", created_at=T0
    )
    assert notifications_for_event(event=note) == []
    assert notifications_for_event(event=accepted) == []


@pytest.mark.django_db
def test_broker_down_never_blocks_submission_nor_queueing_and_the_flush_sends_later(
    broker_down, django_capture_on_commit_callbacks, caplog
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        req = HelpRequestFactory(now=T0)
        rows = notifications_queue(messages=[email_message(help_request=req)], now=T0)
    assert time.monotonic() - started < 15
    assert req.pk and req.deadlines.count() == 3
    assert "Redis unavailable (broker)" in caplog.text
    assert "Traceback" not in caplog.text
    assert all(r.state == "queued" for r in Notification.objects.all())
    assert notifications_flush(now=T0 + dt.timedelta(minutes=2)) == len(rows)
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_publish_stops_at_the_first_broker_error(monkeypatch):
    calls = []

    def failing_delay(ids):
        calls.append(ids)
        raise OSError("connection refused")

    from dispatch import tasks

    monkeypatch.setattr(tasks.notifications_send_many_task, "delay", failing_delay)
    ids = list(range(1, 2 * notifications.PUBLISH_CHUNK + 1))
    assert notifications.notifications_publish(ids=ids) == 0
    assert calls == [ids[: notifications.PUBLISH_CHUNK]]
    # The breaker is open now: the next publish does not even try, the rows wait for the flush.
    assert notifications.notifications_publish(ids=ids) == 0
    assert calls == [ids[: notifications.PUBLISH_CHUNK]]


@pytest.mark.django_db
def test_one_row_gets_its_own_task_and_many_rows_one_task_per_chunk(monkeypatch):
    from dispatch import tasks

    single, many = [], []
    monkeypatch.setattr(tasks.notification_send_task, "delay", single.append)
    monkeypatch.setattr(tasks.notifications_send_many_task, "delay", many.append)
    assert notifications.notifications_publish(ids=[7]) == 1
    ids = list(range(1, notifications.PUBLISH_CHUNK + 3))
    assert notifications.notifications_publish(ids=ids) == len(ids)
    assert single == [7]
    assert many == [ids[: notifications.PUBLISH_CHUNK], ids[notifications.PUBLISH_CHUNK :]]


@pytest.mark.django_db
def test_the_chunk_task_sends_each_row_once_and_leaves_failures_due_for_the_flush(settings, monkeypatch):
    from dispatch import tasks

    rows = notifications_queue(messages=[email_message()])
    (sms_row,) = notifications_queue(messages=[email_message(channel="sms", recipients=["13800000000"])])
    ids = [n.pk for n in rows] + [sms_row.pk]
    settings.SMS_BACKEND = "dispatch.tests.test_notifications.BrokenSmsBackend"
    published = []
    monkeypatch.setattr(tasks.notification_send_task, "apply_async", lambda **kw: published.append(kw))
    # Called directly (the worker's code path), not in eager mode.
    with time_machine.travel(T0, tick=False):
        assert tasks.notifications_send_many_task(ids) == 2
    assert len(mail.outbox) == 2
    assert published == [], "no countdown retries: the row's own due time is the retry"
    sms_row.refresh_from_db()
    assert (sms_row.state, sms_row.attempts) == (Notification.State.QUEUED, 1)
    assert sms_row.next_attempt_at == T0 + dt.timedelta(seconds=10)
    # A redelivered chunk sends nothing twice.
    tasks.notifications_send_many_task(ids)
    assert len(mail.outbox) == 2
    # The gateway is back: the flush tries the row once it is due, not before.
    settings.SMS_BACKEND = "dispatch.notifications.LogSmsBackend"
    sms_row.refresh_from_db()
    due = sms_row.next_attempt_at
    assert notifications_flush(now=due - dt.timedelta(seconds=1)) == 0
    assert notifications_flush(now=due) == 1
    sms_row.refresh_from_db()
    assert (sms_row.state, sms_row.next_attempt_at) == (Notification.State.SENT, None)
