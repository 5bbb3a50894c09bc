"""列单并交单: a new request classified and handed over in one step, as two recorded transitions."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from dispatch import services
from dispatch.models import Assignment, ResponsibilityRule, RoutingRecord
from dispatch.workflow import TransitionError
from helpdesk.tests.pages import html_of
from requests_app.models import Event, State
from requests_app.tests.factories import category, district

pytestmark = pytest.mark.django_db


def _change(req) -> str:
    return reverse("admin:requests_app_helprequest_change", args=[req.pk])


def _action(req, name: str = "list_hand_over") -> str:
    return reverse("admin:requests_app_helprequest_action", args=[req.pk, name])


def _events(req) -> list[tuple[str, str]]:
    return list(Event.objects.filter(request=req).order_by("created_at", "id").values_list("from_state", "to_state"))


def _form(html: str) -> str:
    return re.search(r'<details class="workflow-action" data-action="list_hand_over".*?</details>', html, re.S).group(0)


def test_the_service_records_both_transitions(staff, make_request):
    req = make_request(State.SUBMITTED)
    services.request_list_and_hand_over(
        request_id=req.pk,
        actor=staff.dispatcher,
        category=category("jiaotong"),
        is_urgent=True,
        tag_nan=True,
        unit=staff.unit_c,
        assist_units=[staff.unit_b],
        instructions="请今天联系市民",
    )
    req.refresh_from_db()
    assert (req.state, req.category.code, req.is_urgent, req.tag_nan) == (State.HANDED_OVER, "jiaotong", True, True)
    assert _events(req)[-2:] == [(State.SUBMITTED, State.LISTED), (State.LISTED, State.HANDED_OVER)]
    listed, handed = list(Event.objects.filter(request=req).order_by("created_at", "id"))[-2:]
    assert listed.kind == Event.Kind.TRIAGE and listed.data["category"][1] == "jiaotong"
    assert handed.message == "已交办至 郑州市教育局（协办：郑州市卫生健康委员会）"
    lead = Assignment.objects.get(request=req, is_active=True, role=Assignment.Role.LEAD)
    assert (lead.unit, lead.instructions) == (staff.unit_c, "请今天联系市民")
    assert RoutingRecord.objects.get(request=req).chosen_unit == staff.unit_c


@pytest.mark.parametrize("who", ["handler_a", "supervisor"])
def test_a_refused_list_changes_nothing(staff, make_request, who):
    req = make_request(State.SUBMITTED)
    before = _events(req)
    with pytest.raises(TransitionError):
        services.request_list_and_hand_over(
            request_id=req.pk, actor=getattr(staff, who), category=category("jiaotong"), unit=staff.unit_a
        )
    req.refresh_from_db()
    assert req.state == State.SUBMITTED and _events(req) == before


def test_a_refused_hand_over_undoes_the_list(staff, make_request):
    req = make_request(State.SUBMITTED)
    original = req.category
    before = _events(req)
    staff.unit_c.is_active = False
    staff.unit_c.save(update_fields=["is_active"])
    with pytest.raises(TransitionError, match="请选择有效的承办单位"):
        services.request_list_and_hand_over(
            request_id=req.pk, actor=staff.dispatcher, category=category("jiaotong"), is_urgent=True, unit=staff.unit_c
        )
    req.refresh_from_db()
    assert (req.state, req.category, req.is_urgent) == (State.SUBMITTED, original, False)
    assert _events(req) == before
    assert not Assignment.objects.filter(request=req).exists() and not RoutingRecord.objects.exists()


def test_an_already_listed_request_is_refused_whole(staff, make_request):
    req = make_request(State.HANDED_OVER)
    before = _events(req)
    with pytest.raises(TransitionError, match="不能列单"):
        services.request_list_and_hand_over(
            request_id=req.pk, actor=staff.dispatcher, category=req.category, unit=staff.unit_c
        )
    assert _events(req) == before


def test_a_new_request_opens_with_the_form_and_the_suggested_unit(client, staff, make_request):
    rule = ResponsibilityRule.objects.create(category=category("jiaotong"), district=district("jinshui"),
                                             lead_unit=staff.unit_c)  # fmt: skip
    rule.assist_units.set([staff.unit_b])
    req = make_request(State.SUBMITTED, category=category("jiaotong"), district=district("jinshui"))
    client.force_login(staff.dispatcher)
    html = html_of(client.get(_change(req)), 'id="workflow-actions"', "列单并交单")
    form = _form(html)
    assert re.search(r'data-action="list_hand_over" open>', form), "the form is unfolded"
    assert "规则：交通 × 金水区" in form
    units = re.search(r'<select name="list_hand_over-unit".*?</select>', form, re.S).group(0)
    assert re.search(rf'<option value="{staff.unit_c.pk}" selected>', units)
    assists = re.search(r'<select name="list_hand_over-assist_units".*?</select>', form, re.S).group(0)
    assert re.search(rf'<option value="{staff.unit_b.pk}" selected>', assists)
    cat = re.search(r'<select name="list_hand_over-category".*?</select>', form, re.S).group(0)
    assert re.search(rf'<option value="{req.category_id}" selected>', cat)
    # It comes first, and the separate 列单 stays for a request not to be handed over yet.
    assert html.index('data-action="list_hand_over"') < html.index('data-action="list"')
    assert 'name="list_hand_over-note"' not in form  # one text box: the instructions


def test_the_form_is_for_new_requests_and_dispatchers_only(client, staff, make_request):
    listed = make_request(State.LISTED)
    client.force_login(staff.dispatcher)
    html = html_of(client.get(_change(listed)), 'data-action="hand_over"')
    assert 'data-action="list_hand_over"' not in html

    new = make_request(State.SUBMITTED)
    client.force_login(staff.supervisor)
    html = html_of(client.get(_change(new)), 'id="workflow-actions"', new.ticket_number)
    assert 'data-action="list_hand_over"' not in html
    response = client.post(_action(new), {"list_hand_over-category": new.category_id,
                                          "list_hand_over-unit": staff.unit_a.pk})  # fmt: skip
    assert any("列单并交单失败" in str(m) for m in get_messages(response.wsgi_request))
    new.refresh_from_db()
    assert new.state == State.SUBMITTED


def test_the_post_lists_hands_over_and_offers_the_next_request(client, staff, make_request):
    first, second = make_request(State.SUBMITTED), make_request(State.SUBMITTED)
    client.force_login(staff.dispatcher)
    queue = "?_changelist_filters=queue%3Dto_list"
    response = client.post(
        _action(first) + queue,
        {
            "list_hand_over-category": first.category_id,
            "list_hand_over-tag_pan": "on",
            "list_hand_over-unit": staff.unit_b.pk,
            "list_hand_over-instructions": "请办理",
        },
        follow=True,
    )
    page = html_of(response, f"{first.ticket_number}：已列单并交单", 'id="next-in-queue"')
    first.refresh_from_db()
    assert (first.state, first.tag_pan) == (State.HANDED_OVER, True)
    assert f"/{second.pk}/change/" in re.search(r'id="next-in-queue" href="([^"]+)"', page).group(1)

    # A form with errors changes nothing and says why.
    response = client.post(_action(second), {"list_hand_over-category": second.category_id})
    assert any("未能提交" in str(m) and "主办单位" in str(m) for m in get_messages(response.wsgi_request))
    second.refresh_from_db()
    assert second.state == State.SUBMITTED


def test_the_suggestion_for_another_category(client, staff, make_request):
    rule = ResponsibilityRule.objects.create(category=category("xiaofei"), keywords="会员卡", lead_unit=staff.unit_c)
    rule.assist_units.set([staff.unit_b])
    req = make_request(State.SUBMITTED, category=category("jiaoyu"), title="健身房会员卡退不了费")
    url = reverse("admin:requests_app_helprequest_suggest", args=[req.pk])
    client.force_login(staff.dispatcher)
    data = client.get(url, {"category": category("xiaofei").pk}).json()
    assert (data["unit"], data["assist_units"]) == (staff.unit_c.pk, [staff.unit_b.pk])
    assert "规则：" in data["html"] and staff.unit_c.name in data["html"]
    assert client.get(url, {"category": "x"}).status_code == 404
    req.refresh_from_db()
    assert req.category.code == "jiaoyu"  # asking changes nothing

    client.force_login(staff.supervisor)
    assert client.get(url, {"category": category("xiaofei").pk}).status_code == 403
    client.force_login(staff.handler_a)  # not theirs: as if it did not exist
    assert client.get(url, {"category": category("xiaofei").pk}).status_code == 404


def test_confirm_and_open_the_next_request(client, staff, make_request):
    first, second = make_request(State.SUBMITTED), make_request(State.SUBMITTED)
    client.force_login(staff.dispatcher)
    queue = "?_changelist_filters=queue%3Dto_list"
    page = html_of(client.get(_change(first) + queue), 'id="submit-then-next"', "确认并打开下一件")
    assert 'id="submit-then-next"' in _form(page)
    fields = {"list_hand_over-category": first.category_id, "list_hand_over-unit": staff.unit_a.pk, "then": "next"}
    response = client.post(_action(first) + queue, fields)
    assert response.status_code == 302 and response.url == _change(second) + queue
    first.refresh_from_db()
    assert first.state == State.HANDED_OVER
    page = html_of(
        client.get(response.url), f"{first.ticket_number}：已列单并交单", 'data-action="list_hand_over" open'
    )

    # The last of the queue: back to its own page, which says the queue is empty.
    response = client.post(_action(second) + queue, {**fields, "list_hand_over-category": second.category_id})
    assert response.url == _change(second) + queue
    html_of(client.get(response.url), "队列中没有其他求助件")
    # Refused: stays on the request, whatever the button.
    response = client.post(_action(second) + queue, {**fields, "list_hand_over-category": second.category_id})
    assert response.url == _change(second) + queue
    assert any("列单并交单失败" in str(m) for m in get_messages(response.wsgi_request))
