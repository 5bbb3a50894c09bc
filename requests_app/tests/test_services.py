import datetime as dt
import re
import threading
import uuid

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from dispatch.tests.factories import request_in_state
from requests_app.models import Deadline, Event, HelpRequest, State
from requests_app.tests.factories import HelpRequestFactory


@pytest.mark.django_db
def test_submit_stores_request_deadlines_and_public_event(settings):
    now = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Zhengzhou
    req = HelpRequestFactory(urgency="urgent", now=now)
    assert re.fullmatch(r"ZZ20260315-\d{4}", req.ticket_number)
    assert req.state == State.SUBMITTED
    assert req.is_urgent
    due = {d.kind: d.due_at for d in req.deadlines.all()}
    assert due == {
        Deadline.Kind.CONTACT: now + dt.timedelta(hours=1),
        Deadline.Kind.URGENT: now + dt.timedelta(hours=3),
        Deadline.Kind.RESOLVE: now + dt.timedelta(hours=7),
        Deadline.Kind.FEEDBACK: now + dt.timedelta(days=1),
    }
    (event,) = Event.objects.filter(request=req)
    assert event.is_public and event.kind == Event.Kind.SUBMITTED


@pytest.mark.django_db
def test_normal_requests_have_no_urgent_deadline_and_policy_comes_from_settings(settings):
    settings.SLA_CONTACT_SECONDS = 120
    req = HelpRequestFactory()
    kinds = set(req.deadlines.values_list("kind", flat=True))
    assert kinds == {"contact", "resolve", "feedback"}
    contact = req.deadlines.get(kind="contact")
    assert contact.due_at - req.created_at == dt.timedelta(seconds=120)


@pytest.mark.django_db
def test_ticket_numbers_count_per_local_day():
    # 23:30 on 14 March in Zhengzhou is still the 14th although UTC says 15:30.
    late = dt.datetime(2026, 3, 14, 15, 30, tzinfo=dt.UTC)
    first = HelpRequestFactory(now=late)
    second = HelpRequestFactory(now=late)
    next_day = HelpRequestFactory(now=late + dt.timedelta(hours=1))
    assert first.ticket_number == "ZZ20260314-0001"
    assert second.ticket_number == "ZZ20260314-0002"
    assert next_day.ticket_number == "ZZ20260315-0001"


@pytest.mark.django_db
def test_the_same_submit_token_never_makes_two_requests():
    token = uuid.uuid4()
    first = HelpRequestFactory(submit_token=token, phone="13812345678")
    again = HelpRequestFactory(submit_token=token, phone="13812345678")
    assert again.pk == first.pk
    assert HelpRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_submit_token_returns_the_earlier_request_only_to_the_same_phone():
    from requests_app.services import SubmitTokenTaken

    token = uuid.uuid4()
    HelpRequestFactory(submit_token=token, phone="13812345678")
    with pytest.raises(SubmitTokenTaken):
        HelpRequestFactory(submit_token=token, phone="13900001111")
    assert HelpRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submissions_get_fifty_distinct_numbers(on_postgres):
    barrier = threading.Barrier(50)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def submit(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            req = HelpRequestFactory(phone=f"1390000{i:04d}")
            numbers.append(req.ticket_number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(numbers) == 50
    assert len(set(numbers)) == 50
    assert HelpRequest.objects.count() == 50
    today = timezone.localdate()
    assert all(n.startswith(f"ZZ{today:%Y%m%d}-") for n in numbers)


@pytest.mark.django_db
def test_anonymisation_erases_only_the_free_text_keys_of_json_documents():
    """Event data and webhook payloads keep their structure (states, times); only the listed keys are blanked."""
    from requests_app.models import ApiClient, WebhookDelivery
    from requests_app.retention import requests_anonymise

    long_ago = timezone.now() - dt.timedelta(days=4000)
    with time_machine.travel(long_ago, tick=False):
        req = request_in_state(State.CLOSED, phone="13812345678")
    triage = Event.objects.create(
        request=req, kind=Event.Kind.TRIAGE, message="列单", data={"note": "市民13812345678", "is_urgent": True}
    )
    client = ApiClient.objects.create(name="网格系统", key_prefix="k", key_hash="h" * 64, webhook_secret="s")
    payload = {
        "state": "closed",
        "service_request": {"description": "王五13812345678", "status_notes": "已电话13812345678", "status": "closed"},
    }
    delivery = WebhookDelivery.objects.create(
        client=client, request=req, event=triage, url="https://x.test/", payload=payload
    )

    assert requests_anonymise(older_than=dt.timedelta(days=365)) == 1

    assert Event.objects.get(pk=triage.pk).data == {"note": "", "is_urgent": True}
    assert WebhookDelivery.objects.get(pk=delivery.pk).payload == {
        "state": "closed",
        "service_request": {"description": "", "status_notes": "", "status": "closed"},
    }
