"""The public view of a request through the real workflow: duplicates, ratings and Open311 never reach
another citizen's request or publish what citizens and staff typed."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from dispatch.feedback import feedback_record
from dispatch.workflow import CITIZEN, transition_apply
from requests_app.models import HelpRequest, State
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open311_lists_every_request")]


@pytest.fixture
def duplicate_of_resolved(make_request, staff):
    """(duplicate, main): the main request is resolved and waits for its own citizen's rating."""
    main = make_request(State.RESOLVED, name="李四海", phone="13900002222")
    transition_apply(
        request_id=main.pk, action="add_note", actor=staff.handler_a, note="李四海家的阀门已更换", is_public=True
    )
    duplicate = HelpRequestFactory(name="张三", phone="13812345678")
    transition_apply(request_id=duplicate.pk, action="mark_duplicate", actor=staff.dispatcher, duplicate_of=main)
    duplicate.refresh_from_db()
    return duplicate, main


def test_duplicate_page_shows_only_the_main_requests_number_and_state(client, duplicate_of_resolved):
    duplicate, main = duplicate_of_resolved
    main_token = track_token_for(ticket_number=main.ticket_number)
    for page in (
        client.get(reverse("requests_app:track_token", args=[track_token_for(ticket_number=duplicate.ticket_number)])),
        client.post(reverse("requests_app:track"), {"ticket_number": duplicate.ticket_number, "phone": "13812345678"}),
    ):
        html = page.content.decode()
        assert page.status_code == 200 and duplicate.ticket_number in html and 'id="duplicate-of"' in html
        notice = html.split('id="duplicate-of"', 1)[1].split("</div>", 1)[0]
        assert main.ticket_number in notice and "已办结" in notice
        # Nothing that opens or rates the other citizen's request, nothing of its timeline or contact.
        assert main_token not in html
        assert reverse("dispatch_public:feedback", args=[main_token]) not in html
        assert 'id="feedback-form"' not in html
        for other in ("李*", "139****2222", "李四海", "阀门已更换"):
            assert other not in html
        # One reply answers everyone merged (issue 17): the main request's result reaches this timeline.
        assert "已协调恢复供水" in html.split('id="timeline"', 1)[1]


def test_only_the_main_requests_own_token_rates_it(client, duplicate_of_resolved):
    duplicate, main = duplicate_of_resolved
    own = track_token_for(ticket_number=duplicate.ticket_number)
    response = client.post(reverse("dispatch_public:feedback", args=[own]), {"rating": "satisfied"}, follow=True)
    assert response.status_code == 200 and duplicate.ticket_number in response.content.decode()
    assert HelpRequest.objects.get(pk=main.pk).state == State.RESOLVED
    assert HelpRequest.objects.get(pk=duplicate.pk).state == State.DUPLICATE


def test_open311_publishes_no_rating_comment_nor_public_staff_note(client, make_request, staff):
    req = make_request(State.RESOLVED, title="王五13812345678家门口水管爆了")
    transition_apply(
        request_id=req.pk, action="add_note", actor=staff.handler_a, note="已联系王五，电话13812345678", is_public=True
    )
    feedback_record(request_id=req.pk, actor=CITIZEN, rating="unsatisfied", comment="还是漏水，住金水路8号3楼")
    response = client.get(f"/open311/v2/requests/{req.ticket_number}.json")
    assert response.status_code == 200
    [item] = json.loads(response.content)
    assert item["service_request_id"] == req.ticket_number and item["status"] == "open"
    text = response.content.decode()
    for typed in ("已联系王五", "还是漏水", "金水路8号", "13812345678", "市民意见"):
        assert typed not in text
    assert item["description"] == "王五[电话已隐去]家门口水管爆了"
    assert item["status_notes"].startswith("重办 · 金水区人民政府 · ")
