"""Full contact details: shown only to those who must call the citizen, and every showing recorded."""

from __future__ import annotations

import io
import os
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from dispatch.models import ContactAccess
from helpdesk.tests.pages import html_of
from requests_app.models import State
from requests_app.tests.test_forms import valid_data

pytestmark = pytest.mark.django_db


def test_every_display_of_a_full_phone_is_recorded_and_masked_views_are_not(client, staff, make_request):
    req = make_request(State.ACCEPTED, name="王小明", phone="13812345678", address="金水路1号")
    url = reverse("admin:requests_app_helprequest_change", args=[req.pk])

    client.force_login(staff.handler_b)  # assisting unit: masked, nothing to record
    html = html_of(client.get(url), req.ticket_number, "138****5678")
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


# --- Retention and key rotation walk the inventory (requests_app.personal_data) ----------

PHONE = "13812345678"


@pytest.fixture
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


def _finished_request_with_everything(staff, make_request):
    """A closed request with an SMS to the citizen, a photo, a rating comment and a public note quoting the phone."""
    from PIL import Image

    from dispatch.feedback import feedback_record
    from dispatch.workflow import CITIZEN, transition_apply
    from requests_app.photos import photo_clean

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, format="JPEG")
    req = make_request(
        State.ACCEPTED, name="王小明", phone=PHONE, address="金水路1号", photos=[photo_clean(out.getvalue())]
    )
    transition_apply(
        request_id=req.pk, action="add_note", actor=staff.handler_a, note=f"已电话联系市民{PHONE}", is_public=True
    )
    transition_apply(request_id=req.pk, action="resolve", actor=staff.handler_a, result="已恢复供水")
    feedback_record(request_id=req.pk, actor=CITIZEN, rating="satisfied", comment=f"谢谢，有事打{PHONE}")
    req.refresh_from_db()
    assert req.state == State.CLOSED
    return req


def test_anonymisation_erases_everything_the_inventory_lists(
    client, staff, make_request, private_media, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.db import connection

    from dispatch.models import Assignment, Notification
    from requests_app.models import Attachment, Event, Feedback, HelpRequest
    from requests_app.retention import requests_anonymise

    req = _finished_request_with_everything(staff, make_request)
    (photo,) = Attachment.objects.filter(request=req)
    photo_path = photo.file.path
    photo_url = reverse("dispatch:attachment", args=[photo.pk])
    client.force_login(staff.dispatcher)
    assert client.get(photo_url).status_code == 200  # before: the photo is served to staff
    sms = Notification.objects.filter(request=req, channel="sms")
    assert sms.count() == 2 and {n.recipient for n in sms} == {PHONE}
    states_before = list(Event.objects.filter(request=req).values_list("kind", "to_state", "created_at"))
    deadlines_before = list(req.deadlines.values_list("kind", "due_at", "met_at"))

    later = req.updated_at + dt.timedelta(days=4000)
    with django_capture_on_commit_callbacks(execute=True):
        assert requests_anonymise(older_than=dt.timedelta(days=365), now=later) == 1

    # The request itself.
    gone = HelpRequest.objects.get(pk=req.pk)
    assert (gone.name, gone.phone, gone.address, gone.phone_hash) == ("已匿名", "", "", "")
    assert "停水" not in gone.title and "停水" not in gone.content
    # The outbox: no row still opens to the citizen's phone, no body quotes the request.
    for n in Notification.objects.filter(request=req):
        assert n.recipient != PHONE and "停水" not in n.body
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient FROM dispatch_notification WHERE request_id = %s", [req.pk])
        assert all(raw == "" for (raw,) in cursor.fetchall())
    # The photo: row gone, file gone, no longer served.
    assert not Attachment.objects.filter(request=req).exists()
    assert not os.path.exists(photo_path)
    assert client.get(photo_url).status_code == 404
    # Free text: rating comment, notes, hand-over instructions.
    assert Feedback.objects.get(request=req).comment == ""
    assert Feedback.objects.get(request=req).rating == "satisfied"  # the figure stays
    for event in Event.objects.filter(request=req):
        assert PHONE not in event.note and PHONE not in str(event.data)
    assert all(a.instructions == "" for a in Assignment.objects.filter(request=req))
    # Figures unchanged, one internal event added.
    after = list(Event.objects.filter(request=req).values_list("kind", "to_state", "created_at"))
    assert after[1:] == states_before and len(after) == len(states_before) + 1
    assert Event.objects.filter(request=req, is_public=False, message__contains="匿名化").count() == 1
    assert list(gone.deadlines.values_list("kind", "due_at", "met_at")) == deadlines_before
    assert gone.state == State.CLOSED
    # Idempotent.
    assert requests_anonymise(older_than=dt.timedelta(days=365), now=later) == 0


def test_a_rolled_back_anonymisation_keeps_the_photo_files(
    staff, make_request, private_media, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.db import transaction

    from requests_app.models import Attachment
    from requests_app.retention import requests_anonymise

    req = _finished_request_with_everything(staff, make_request)
    photo_path = Attachment.objects.get(request=req).file.path

    class Abort(Exception):
        pass

    with pytest.raises(Abort), django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        requests_anonymise(older_than=dt.timedelta(days=1), now=req.updated_at + dt.timedelta(days=2))
        raise Abort
    assert callbacks == []
    assert os.path.exists(photo_path) and Attachment.objects.filter(request=req).exists()


def test_key_rotation_re_encrypts_every_encrypted_field_so_the_old_key_can_go(settings, staff, make_request):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from dispatch.models import Notification
    from requests_app.models import HelpRequest

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    req = make_request(State.HANDED_OVER, name="王小明", phone=PHONE, address="金水路1号")
    sms = Notification.objects.get(request=req, channel="sms")

    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # README step 1
    call_command("rotate_encryption_keys", stdout=io.StringIO())  # step 2
    settings.FIELD_ENCRYPTION_KEYS = [new]  # step 3: the old key is removed

    assert Notification.objects.get(pk=sms.pk).recipient == PHONE
    again = HelpRequest.objects.get(pk=req.pk)
    assert (again.name, again.phone, again.address) == ("王小明", PHONE, "金水路1号")


def test_anonymising_again_finishes_requests_an_earlier_version_left_half_done(staff, make_request, private_media):
    from django.core.management import call_command
    from django.utils import timezone

    from dispatch.models import Notification
    from requests_app.models import Attachment, Event, Feedback, HelpRequest

    req = _finished_request_with_everything(staff, make_request)
    # What the old anonymisation left: the request erased, everything around it untouched.
    HelpRequest.objects.filter(pk=req.pk).update(name="已匿名", phone="", phone_hash="", anonymised_at=timezone.now())
    events = Event.objects.filter(request=req).count()

    out = io.StringIO()
    call_command("anonymise_requests", "--again", stdout=out)

    assert "1 anonymised request(s)" in out.getvalue()
    assert all(n.recipient == "" for n in Notification.objects.filter(request=req))
    assert not Attachment.objects.filter(request=req).exists()
    assert Feedback.objects.get(request=req).comment == ""
    assert Event.objects.filter(request=req).count() == events  # no second anonymisation event


def test_every_contact_field_of_the_inventory_is_masked_in_exports_and_recorded_when_shown(client, staff, make_request):
    """Walks the inventory: a contact field added to the export later cannot leak unrecorded."""
    from requests_app.personal_data import REQUEST, Kind, inventory

    values = {"name": "欧阳娜娜", "phone": "13912348765", "address": "文化路88号3单元"}
    contact = [e.field for e in inventory() if e.model == REQUEST and e.kind == Kind.CONTACT]
    assert set(contact) == set(values)  # the inventory's contact fields are all exercised here
    req = make_request(State.ACCEPTED, **values)
    url = reverse("admin:requests_app_helprequest_export", args=["csv"])

    client.force_login(staff.handler_b)  # assisting unit: may see the request, not the contact
    text = str(_export_lines(client.get(url)))
    assert req.ticket_number in text
    assert [f for f in contact if values[f] in text] == []
    assert not ContactAccess.objects.exists()

    client.force_login(staff.dispatcher)
    text = str(_export_lines(client.get(url)))
    shown = [f for f in contact if values[f] in text]
    assert shown  # the export carries some contact fields in full ...
    assert ContactAccess.objects.filter(user=staff.dispatcher, request=req, where="export").count() == 1  # ... recorded
