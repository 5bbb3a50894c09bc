"""Full contact details: shown only to those who must call the citizen, and every showing recorded."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from dispatch.models import ContactAccess
from requests_app.models import State
from requests_app.tests.test_forms import valid_data

pytestmark = pytest.mark.django_db


def test_every_display_of_a_full_phone_is_recorded_and_masked_views_are_not(client, staff, make_request):
    req = make_request(State.ACCEPTED, name="王小明", phone="13812345678", address="金水路1号")
    url = reverse("admin:requests_app_helprequest_change", args=[req.pk])

    client.force_login(staff.handler_b)  # assisting unit: masked, nothing to record
    html = client.get(url).content.decode()
    assert "13812345678" not in html and "金水路1号" not in html
    assert ContactAccess.objects.count() == 0

    client.force_login(staff.dispatcher)
    assert "13812345678" in client.get(url).content.decode()
    client.force_login(staff.handler_a)
    client.get(url)
    seen = list(ContactAccess.objects.order_by("id").values_list("user__username", "request_id", "ip_address"))
    assert seen == [("disp", req.pk, "127.0.0.1"), ("hand_a", req.pk, "127.0.0.1")]

    # Supervisors can read the audit trail; handlers cannot.
    audit = reverse("admin:dispatch_contactaccess_changelist")
    client.force_login(staff.supervisor)
    assert client.get(audit).status_code == 200
    client.force_login(staff.handler_a)
    assert client.get(audit).status_code == 403


def test_error_reports_never_carry_the_citizens_phone_or_name(settings):
    settings.ADMINS = [("ops", "ops@example.gov.cn")]
    client = Client(raise_request_exception=False)
    with mock.patch("requests_app.services.request_submit", side_effect=RuntimeError("database on fire")):
        response = client.post("/help/new/", valid_data(name="王小明", phone="13812345678"))
    assert response.status_code == 500
    assert "系统繁忙" in response.content.decode()
    (report,) = mail.outbox
    body = report.body + "".join(str(a[0]) for a in report.alternatives)
    assert "database on fire" in body  # it is the report of this error
    assert "13812345678" not in body and "王小明" not in body


def test_citizens_phones_in_the_sms_outbox_are_encrypted_masked_in_admin_and_logs(client, staff, make_request, caplog):
    import logging

    from django.db import connection

    from dispatch.models import Notification
    from dispatch.notifications import notification_send

    req = make_request(State.HANDED_OVER, phone="13812345678")  # the hand-over queued an SMS to the citizen
    sms = Notification.objects.get(request=req, channel="sms")
    assert sms.recipient == "13812345678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient FROM dispatch_notification WHERE id = %s", [sms.pk])
        (stored,) = cursor.fetchone()
    assert "13812345678" not in stored

    client.force_login(staff.supervisor)
    for url in (
        reverse("admin:dispatch_notification_changelist"),
        reverse("admin:dispatch_notification_change", args=[sms.pk]),
    ):
        html = client.get(url).content.decode()
        assert "138****5678" in html and "13812345678" not in html

    with caplog.at_level(logging.INFO):
        notification_send(notification_id=sms.pk)
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text


def _export_lines(response) -> list[list[str]]:
    import csv
    import io

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_an_export_showing_full_contacts_records_each_request_as_an_export(client, staff, make_request):
    mine = make_request(State.ACCEPTED, name="王小明", phone="13812345678")
    theirs = make_request(State.SUBMITTED, name="李四", phone="13987654321")
    url = reverse("admin:requests_app_helprequest_export", args=["csv"])

    client.force_login(staff.handler_b)  # assisting unit: masked, so nothing to record
    lines = _export_lines(client.get(url))
    assert [row[0] for row in lines[1:]] == [mine.ticket_number]
    assert "13812345678" not in str(lines)
    assert ContactAccess.objects.count() == 0

    client.force_login(staff.dispatcher)
    lines = _export_lines(client.get(url))
    assert {row[0] for row in lines[1:]} == {mine.ticket_number, theirs.ticket_number}
    assert "13812345678" in str(lines) and "13987654321" in str(lines)
    records = set(ContactAccess.objects.values_list("user__username", "request_id", "where", "ip_address"))
    assert records == {("disp", mine.pk, "export", "127.0.0.1"), ("disp", theirs.pk, "export", "127.0.0.1")}

    client.force_login(staff.handler_a)  # the lead unit sees its own request's contact in full
    client.get(reverse("admin:requests_app_helprequest_export", args=["xlsx"]))
    assert ContactAccess.objects.filter(user=staff.handler_a, where="export").count() == 1


@pytest.mark.parametrize("who", ["dispatcher", "supervisor", "handler_a", "nobody"])
def test_the_show_counts_link_never_answers_500(client, staff, make_request, who):
    req = make_request(State.ACCEPTED)
    client.force_login(getattr(staff, who))
    response = client.get(reverse("admin:requests_app_helprequest_changelist"), {"_facets": "True"})
    if who == "nobody":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert req.ticket_number in response.content.decode()
    assert "显示计数" not in response.content.decode()  # counts are never offered at this scale


def test_with_two_factor_on_a_photo_needs_a_verified_session(client, staff, make_request, settings, tmp_path):
    from django.core.files.base import ContentFile
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from requests_app.models import Attachment

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    req = make_request(State.ACCEPTED)
    attachment = Attachment(request=req, width=1, height=1, size=3)
    attachment.file.save("p.jpg", ContentFile(b"jpg"), save=False)
    attachment.save()
    url = reverse("dispatch:attachment", args=[attachment.pk])
    settings.STAFF_2FA = True

    # Password only (the first factor): admin pages and photos alike send the user to log in.
    client.force_login(staff.dispatcher)
    assert client.get(reverse("admin:index")).status_code == 302
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))

    # Both factors: the photo is served.
    staff.dispatcher.set_password("pw-for-2fa-test")
    staff.dispatcher.save()
    device = TOTPDevice.objects.create(user=staff.dispatcher, name="手机", confirmed=True)
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    verified = Client()
    response = verified.post(
        reverse("admin:login"),
        {
            "username": "disp",
            "password": "pw-for-2fa-test",
            "otp_device": device.persistent_id,
            "otp_token": f"{token:06d}",
        },
    )
    assert response.status_code == 302
    response = verified.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
