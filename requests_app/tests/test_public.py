"""The one public view of a request (requests_app.public) and the leaks it closes.

Keyless outputs (Open311, webhooks) carry only system-written texts and the
redacted title; the citizen who proved ownership reads their own public notes;
a submission key never opens another submission's receipt.
"""

from __future__ import annotations

import json
import uuid
from xml.etree import ElementTree as ET

import pytest
from django.urls import reverse

from dispatch.access import CITIZEN
from dispatch.feedback import feedback_record
from dispatch.tests.factories import dispatcher, handler, request_advance, request_in_state, unit
from dispatch.workflow import transition_apply
from requests_app.models import Event, HelpRequest, State, WebhookDelivery
from requests_app.open311 import services as open311_services
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory, category, district
from requests_app.tests.open311_helpers import make_client, post_data
from requests_app.tests.test_forms import valid_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open311_lists_every_request")]

BASE = "/open311/v2"
TYPED_TITLE = "王五13812345678家门口水管爆了"
REDACTED_TITLE = "王五[电话已隐去]家门口水管爆了"
# Free text that reaches the public timeline: a staff note marked 市民可见, a citizen's 不满意 comment.
STAFF_NOTE = "已联系王五，他说住金水路8号"
CITIZEN_COMMENT = "还是没修好，打我电话13900001111"


def _with_free_text(**kwargs) -> HelpRequest:
    """Handed over, a note marked 市民可见, resolved, rated 不满意 with a comment: reworked (重办)."""
    req = request_in_state(State.HANDED_OVER, **kwargs)
    transition_apply(
        request_id=req.pk, action="add_note", actor=handler(unit()), note=STAFF_NOTE, is_public=True
    )  # 办理进展
    request_advance(req, State.RESOLVED)  # its result is free text too
    feedback_record(request_id=req.pk, actor=CITIZEN, rating="unsatisfied", comment=CITIZEN_COMMENT)  # 市民评价
    req.refresh_from_db()
    assert req.state == State.REOPENED
    return req


def _assert_keyless(text: str) -> None:
    for typed in (
        STAFF_NOTE,
        "金水路8号",
        CITIZEN_COMMENT,
        "13900001111",
        "13812345678",
        "市民评价",
        "市民意见",
        "办理进展",
        "已协调恢复供水",
    ):
        assert typed not in text, typed


# --- Leak 2: Open311 publishes free text ----------------------------------------


def test_open311_keyless_outputs_carry_only_system_texts_and_the_redacted_title(client):
    req = _with_free_text(title=TYPED_TITLE)

    listed = client.get(f"{BASE}/requests.json")
    one = client.get(f"{BASE}/requests/{req.ticket_number}.json")
    for response in (listed, one):
        assert response.status_code == 200
        [item] = json.loads(response.content)
        assert item["service_request_id"] == req.ticket_number
        assert item["description"] == REDACTED_TITLE
        assert item["status_notes"].startswith(f"{State.REOPENED.label} · 金水区人民政府 · 20")
        _assert_keyless(response.content.decode())

    xml = client.get(f"{BASE}/requests/{req.ticket_number}.xml")
    assert xml.status_code == 200
    root = ET.fromstring(xml.content)
    assert root.find("request/service_request_id").text == req.ticket_number
    assert root.find("request/description").text == REDACTED_TITLE
    _assert_keyless(xml.content.decode())


def test_webhook_payload_follows_the_keyless_rule(settings):
    # A receiver on this machine, let through as an intranet range (callback hosts must resolve).
    settings.OPEN311_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    api_client, _ = make_client(name="网格化管理系统", webhook_url="http://127.0.0.1:9/yibang")
    cleaned = {
        "category": category(),
        "urgency": "normal",
        "district": district(),
        "name": "王五",
        "phone": "13812345678",
        "address": "",
        "title": TYPED_TITLE,
        "content": "我们小区从周一开始停水，至今没有恢复。",
    }
    req = open311_services.service_request_create(client=api_client, data=cleaned).request
    # Staff free text on two state changes: the triage note (staff only) and the
    # reason for 无效件 (on the citizen's own timeline).
    staff = dispatcher()
    transition_apply(request_id=req.pk, action="list", actor=staff, note=STAFF_NOTE)
    transition_apply(request_id=req.pk, action="mark_invalid", actor=staff, reason=STAFF_NOTE)
    assert req.events.get(to_state=State.INVALID, from_state=State.LISTED).note == STAFF_NOTE
    listed, invalid = WebhookDelivery.objects.filter(request=req).order_by("event_id")
    for delivery, label in ((listed, State.LISTED.label), (invalid, State.INVALID.label)):
        payload = delivery.payload["service_request"]
        assert payload["service_request_id"] == req.ticket_number
        assert payload["description"] == REDACTED_TITLE
        assert payload["status_notes"].startswith(f"{label} · 20")
        _assert_keyless(json.dumps(delivery.payload, ensure_ascii=False))


# --- Leak 4: another submission's key opens its receipt ---------------------------


def test_an_open311_token_is_not_a_web_form_key(client):
    _, key = make_client()
    created = client.post(f"{BASE}/requests.json", post_data(key, phone="13900001111"))
    assert created.status_code == 201
    [body] = json.loads(created.content)
    other = HelpRequest.objects.get(ticket_number=body["service_request_id"])

    response = client.post("/help/new/", valid_data(title="我自己的问题", submit_token=body["token"]))
    assert response.status_code == 302
    mine = HelpRequest.objects.get(title="我自己的问题")
    assert mine.pk != other.pk and mine.phone == "13812345678"
    assert response["Location"] == reverse(
        "requests_app:receipt", args=[track_token_for(ticket_number=mine.ticket_number)]
    )
    assert other.submit_token != uuid.UUID(body["token"])


def test_another_citizens_submit_token_opens_nothing_and_keeps_the_form(client):
    someone = HelpRequestFactory(phone="13700000000", submit_token=uuid.uuid4())
    taken = str(someone.submit_token)

    response = client.post("/help/new/", valid_data(title="我自己的问题", submit_token=taken))
    html = response.content.decode()
    assert response.status_code == 409
    assert "我自己的问题" in html and "请确认内容后再次提交" in html  # the form, with everything typed
    for leaked in (someone.ticket_number, "/help/receipt/", "/help/track/ZZ", "137****0000"):
        assert leaked not in html
    assert HelpRequest.objects.count() == 1
    # A fresh key, so the next try goes through as the citizen's own request.
    fresh = response.context["form"]["submit_token"].value()
    assert fresh and str(fresh) != taken
    again = client.post("/help/new/", valid_data(title="我自己的问题", submit_token=fresh))
    mine = HelpRequest.objects.get(title="我自己的问题")
    assert again.status_code == 302 and mine.ticket_number in again["Location"]
    assert someone.ticket_number not in again["Location"]


def test_the_same_citizen_resubmitting_gets_their_own_receipt(client):
    data = valid_data(submit_token=str(uuid.uuid4()))
    first = client.post("/help/new/", data)
    again = client.post("/help/new/", data)
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    req = HelpRequest.objects.get()
    assert first["Location"] == reverse("requests_app:receipt", args=[track_token_for(ticket_number=req.ticket_number)])


# --- The two projections ------------------------------------------------------------


def _citizen_view(req: HelpRequest):
    from requests_app import public, selectors

    return public.citizen_view_of(
        help_request=selectors.request_get_by_token(token=track_token_for(ticket_number=req.ticket_number))
    )


def test_citizen_view_lines_are_translated_labels_and_local_minutes():
    import datetime as dt

    from requests_app.clock import request_clock_refresh
    from requests_app.models import Deadline

    created = dt.datetime(2026, 3, 15, 1, 2, tzinfo=dt.UTC)  # 09:02 in Zhengzhou
    req = HelpRequestFactory(now=created, name="张三丰", phone="13812345678", title=TYPED_TITLE)
    Deadline.objects.filter(request=req, kind="contact").update(met_at=created + dt.timedelta(minutes=30))
    Deadline.objects.filter(request=req, kind="resolve").update(waived_at=created)
    request_clock_refresh(request_ids=[req.pk])  # the rows were written past the services
    Event.objects.create(request=req, kind=Event.Kind.NOTE, message="内部", is_public=False, created_at=created)

    view = _citizen_view(req)

    assert (view.masked_name, view.masked_phone) == ("张**", "138****5678")
    assert view.summary.state_label == "已提交" and view.summary.status == "open"
    assert view.summary.title == REDACTED_TITLE
    assert view.submitted_at == "2026-03-15 09:02"
    lines = {d.kind: d for d in view.deadlines}
    assert (lines["contact"].label, lines["contact"].status, lines["contact"].met) == (
        "1小时内回应联系",
        "met",
        "2026-03-15 09:32",
    )
    assert (lines["contact"].status_label, lines["contact"].tone) == ("按时完成", "success")
    assert lines["contact"].due == "2026-03-15 10:02"
    assert (lines["resolve"].status, lines["resolve"].met) == ("waived", "")
    assert lines["feedback"].status == "missed"  # long past by now, never met
    assert [e.message for e in view.timeline] == ["市民提交求助"]  # the internal event is not there
    assert all(e.at == "2026-03-15 09:02" for e in view.timeline)
    assert (view.can_rate, view.rating_label, view.duplicate_of) == (False, "", None)


def test_the_citizen_reads_the_notes_written_for_them_on_their_own_request(client):
    req = _with_free_text()
    notes = [line.note for line in _citizen_view(req).timeline]
    assert STAFF_NOTE in notes and CITIZEN_COMMENT in notes
    page = client.get(reverse("requests_app:track_token", args=[track_token_for(ticket_number=req.ticket_number)]))
    assert page.status_code == 200 and STAFF_NOTE in page.content.decode()


def test_the_keyless_summary_has_no_field_for_free_text():
    import dataclasses

    from requests_app.public import PublicSummary

    fields = {f.name for f in dataclasses.fields(PublicSummary)}
    assert fields == {
        "ticket_number",
        "service_code",
        "service_name",
        "district_name",
        "state",
        "state_label",
        "status",
        "title",
        "submitted_at",
        "updated_at",
        "expected_at",
        "agency",
        "latitude",  # rounded to ~100 m (test_location.py)
        "longitude",
    }


def test_a_duplicate_names_its_main_request_by_number_and_state_only():
    main = HelpRequestFactory(name="李四海", phone="13900002222")
    duplicate = request_in_state(State.DUPLICATE, duplicate_of=main)
    assert HelpRequest.objects.get(pk=duplicate.pk).duplicate_of_id == main.pk
    view = _citizen_view(duplicate)
    assert view.duplicate_of.ticket_number == main.ticket_number
    assert view.duplicate_of.state_label == "已提交"
    assert set(vars(view.duplicate_of)) == {"ticket_number", "state_label"}


def test_progress_page_stays_at_three_queries_also_when_resolved(client, django_assert_max_num_queries):
    req = request_in_state(State.RESOLVED)
    link = reverse("requests_app:track_token", args=[track_token_for(ticket_number=req.ticket_number)])
    with django_assert_max_num_queries(3):
        response = client.get(link)
    assert response.status_code == 200 and 'id="feedback-form"' in response.content.decode()


def test_the_migration_moves_existing_api_requests_out_of_the_web_forms_key_space():
    import importlib

    from django.apps import apps

    rekey = importlib.import_module("requests_app.migrations.0009_open311_submit_tokens").rekey
    api_client, _ = make_client()
    submission = open311_services.service_request_create(
        client=api_client,
        data={
            "category": category(),
            "urgency": "normal",
            "district": district(),
            "name": "王五",
            "phone": "13900001111",
            "address": "",
            "title": "小区停水三天",
            "content": "我们小区从周一开始停水，至今没有恢复。",
        },
    )
    HelpRequest.objects.filter(pk=submission.request_id).update(submit_token=submission.token)  # as before the fix
    rekey(apps, None)
    req = HelpRequest.objects.get(pk=submission.request_id)
    assert req.submit_token == open311_services.submit_token_for_api(submission.token) != submission.token


@pytest.mark.parametrize(
    "state", [State.SUBMITTED, State.HANDED_OVER, State.ACCEPTED, State.RETURNED, State.RESOLVED, State.CLOSED]
)
def test_the_citizens_page_shows_the_summary_the_keyless_outputs_show(state):
    # The citizen's page takes its latest change and agency from the timeline it reads; Open311 and the
    # board from subqueries. Both must tell the same story at every step.
    from requests_app import public, selectors

    req = request_in_state(state)
    citizen = public.citizen_view_of(
        help_request=selectors.request_get_by_token(token=track_token_for(ticket_number=req.ticket_number))
    )
    keyless = public.summary_of(selectors.public_requests_qs().get(pk=req.pk))
    assert citizen.summary == keyless
    if state != State.SUBMITTED:
        assert keyless.agency  # handed over: the unit is named, on both
