"""我也遇到: one phone once per open board request, stored like every phone, told of 办结 by SMS."""

import pytest

from board.models import MeToo
from dispatch.models import Notification
from dispatch.workflow import transition_apply
from helpdesk.tests.pages import html_of
from requests_app.crypto import keyed_hash

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_on_board(staff, consented, publish):
    from dispatch.tests import factories

    req = factories.request_in_state(
        "accepted",
        dispatcher_user=staff.dispatcher,
        handler_user=staff.handler,
        supervisor_user=staff.supervisor,
        lead=staff.unit,
        publish_consent=True,
        phone="13800009999",
    )
    return publish(req, title="小区停水", content="小区停水三天，请协调恢复供水。")


def test_me_too_is_counted_once_per_phone_and_stored_like_every_phone(client, open_on_board):
    url = f"/board/{open_on_board.ticket_number}/me-too/"
    response = client.post(url, {"phone": "139 1234 5678"}, follow=True)
    html = html_of(response, "已记录“我也遇到”")
    assert 'id="me-too-count">1<' in html
    response = client.post(url, {"phone": "+86 13912345678"}, follow=True)
    html = html_of(response, "这个电话已经记录过了")
    assert 'id="me-too-count">1<' in html
    row = MeToo.objects.get()
    assert row.phone == "13912345678" and row.phone_hash == keyed_hash("13912345678")
    # Encrypted at rest: the column holds no digits of the number.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM board_metoo")
        (stored,) = cursor.fetchone()
    assert "13912345678" not in stored
    # The requester's own phone does not count; the count shows on the board too.
    client.post(url, {"phone": "13800009999"})
    assert MeToo.objects.count() == 1
    html_of(client.get("/board/"), "1 人也遇到")


def test_a_wrong_phone_is_refused_like_on_the_form(client, open_on_board):
    response = client.post(f"/board/{open_on_board.ticket_number}/me-too/", {"phone": "12345"})
    html_of(response, "请填写正确的手机号", status=400)
    assert not MeToo.objects.exists()


def test_no_me_too_on_a_request_not_on_the_board_or_finished(client, consented, resolved_consented, publish):
    hidden = consented()
    assert client.post(f"/board/{hidden.ticket_number}/me-too/", {"phone": "13912345678"}).status_code == 404
    done = publish(resolved_consented())
    assert client.post(f"/board/{done.ticket_number}/me-too/", {"phone": "13912345678"}).status_code == 404
    assert not MeToo.objects.exists()


def test_on_resolution_each_me_too_gets_the_outcome_by_sms(
    client, open_on_board, staff, django_capture_on_commit_callbacks
):
    for phone in ("13912345678", "13912345679"):
        client.post(f"/board/{open_on_board.ticket_number}/me-too/", {"phone": phone})
    with django_capture_on_commit_callbacks() as callbacks:
        transition_apply(request_id=open_on_board.pk, action="resolve", actor=staff.handler, result="已恢复供水")
    assert callbacks  # the send tasks are published once the resolution commits
    event = open_on_board.events.filter(to_state="resolved").first()
    sms = Notification.objects.filter(channel="sms", event=event).order_by("id")
    recipients = [n.recipient for n in sms]
    assert recipients == ["13800009999", "13912345678", "13912345679"]
    told = [n for n in sms if n.recipient != "13800009999"]
    assert all(open_on_board.ticket_number in n.body and "已办结" in n.body for n in told)
    assert all("我也遇到" in n.body for n in told)
    # Idempotent per event: the workflow's event queues nothing twice.
    from dispatch.notifications import notifications_for_event

    assert notifications_for_event(event=event) == []
    assert Notification.objects.filter(channel="sms", event=event).count() == 3


def test_me_too_joins_of_the_month_reach_the_monthly_report(staff, open_on_board):
    """每月一题 counts the joins made in the month, on the joined request's district × channel × lead unit."""
    import datetime as dt

    from django.utils import timezone

    from board.services import me_too_add
    from dispatch import monthly

    now = timezone.now()
    month = timezone.localdate(now).replace(day=1)
    me_too_add(ticket_number=open_on_board.ticket_number, phone="13912345678", now=now)
    me_too_add(ticket_number=open_on_board.ticket_number, phone="13912345679", now=now)
    # A join of an earlier month is not this month's.
    me_too_add(ticket_number=open_on_board.ticket_number, phone="13912345670", now=now - dt.timedelta(days=40))
    report = monthly.monthly_report(user=staff.supervisor, month=month, now=now)
    (row,) = [r for r in report.rows if r.district_id == open_on_board.district_id]
    assert (row.category_id, row.me_too, report.total.me_too) == (open_on_board.category_id, 2, 2)
    assert monthly.monthly_report(user=staff.handler, month=month, now=now).total.me_too == 2  # their unit leads it
