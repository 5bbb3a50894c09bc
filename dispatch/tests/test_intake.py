"""Operator intake (代录): a 话务员 types in a caller's request through the same intake service as the web form."""

import re
import uuid

import pytest
from django.urls import reverse

from dispatch import roles
from dispatch.models import ContactAccess, Notification
from dispatch.tests.factories import StaffUserFactory, dispatcher, handler, unit
from helpdesk.tests.pages import html_of
from requests_app.models import Category, District, Event, HelpRequest, Source
from requests_app.services import request_lookup

pytestmark = pytest.mark.django_db

INTAKE = "/staff/intake/"


def operator(**kwargs):
    return StaffUserFactory(role=roles.OPERATOR, **kwargs)


def call(**overrides):
    data = {
        "source": "phone",
        "phone": "139 0000 1111",
        "name": "刘阿姨",
        "district": str(District.objects.get(code="jinshui").pk),
        "category": str(Category.objects.get(code="minsheng").pk),
        "urgency": "normal",
        "title": "楼道灯坏了",
        "content": "三号楼二单元楼道灯坏了两周，老人晚上上下楼看不见。",
        "address": "",
        "consent": "on",
        "submit_token": str(uuid.uuid4()),
        "submit": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_operator_enters_a_phone_request_and_the_citizen_gets_an_sms_with_a_number_lookup_accepts(client):
    person = operator(username="op1")
    client.force_login(person)
    response = client.post(INTAKE, call())
    req = HelpRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "dispatch:intake_done", args=[req.ticket_number]
    )
    assert req.source == Source.PHONE and req.phone == "13900001111" and req.name == "刘阿姨"
    first = Event.objects.get(request=req)
    assert first.actor == person and first.message == "话务员代录求助" and first.data["source"] == "phone"
    assert req.deadlines.count() >= 1  # the same clocks as the web form

    sms = Notification.objects.get(request=req, kind=Notification.Kind.RECEIVED)
    assert sms.channel == Notification.Channel.SMS and sms.recipient == "13900001111"
    number = re.search(r"编号(\S+?)。", sms.body).group(1)
    assert number == req.ticket_number
    assert request_lookup(ticket_number=number, phone="13900001111") == req
    link = re.search(r"(http://\S+)$", sms.body).group(1)
    assert "/help/track/" in link and client.get(link).status_code == 200

    html = html_of(client.get(response["Location"]), 'id="intake-ticket"')
    assert req.ticket_number in html and link in html


def test_a_double_submit_creates_one_request_and_one_sms(client):
    client.force_login(operator(username="op2"))
    data = call()
    first = client.post(INTAKE, data)
    second = client.post(INTAKE, data)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert HelpRequest.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.RECEIVED).count() == 1


def test_bad_input_keeps_everything_typed_and_says_what_to_fix(client):
    client.force_login(operator(username="op3"))
    response = client.post(INTAKE, call(phone="12345", content="太短"))
    html = html_of(response, 'id="intake-form"', 'id="intake-errors"')
    assert HelpRequest.objects.count() == 0
    assert "请填写正确的手机号" in html and "求助内容至少" in html
    assert 'value="12345"' in html and 'value="刘阿姨"' in html and 'value="楼道灯坏了"' in html and "太短" in html


def test_the_callers_earlier_requests_are_shown_to_the_operator_and_each_display_is_logged(client):
    person = operator(username="op4")
    client.force_login(person)
    client.post(INTAKE, call(title="楼道灯坏了"))
    earlier = HelpRequest.objects.get()
    client.post(INTAKE, call(phone="13700009999", title="别人的事", submit_token=str(uuid.uuid4())))
    ContactAccess.objects.all().delete()

    response = client.post(INTAKE, call(check="1", submit=None, title="", content=""))
    html = html_of(response, 'id="caller-history"')
    assert earlier.ticket_number in html and "别人的事" not in html
    assert HelpRequest.objects.count() == 2  # looking up creates nothing
    access = ContactAccess.objects.get()
    assert (access.user, access.request, access.where) == (person, earlier, "intake")


def test_only_operators_dispatchers_and_supervisors_take_calls(client):
    client.force_login(handler(unit(), username="op_h"))
    assert client.get(INTAKE).status_code == 403
    assert client.post(INTAKE, call()).status_code == 403
    assert HelpRequest.objects.count() == 0
    client.force_login(dispatcher(username="op_d"))
    html_of(client.get(INTAKE), 'id="intake-form"')


def test_an_operator_sees_no_request_list_and_admin_add_leads_to_intake(client):
    client.force_login(operator(username="op6"))
    client.post(INTAKE, call())
    changelist = client.get(reverse("admin:requests_app_helprequest_changelist"))
    assert changelist.status_code == 403
    add = client.get(reverse("admin:requests_app_helprequest_add"))
    assert add.status_code == 302 and add["Location"] == INTAKE


def test_source_is_shown_and_filtered_in_admin(client):
    client.force_login(operator(username="op7"))
    client.post(INTAKE, call(source="visit", title="来访求助楼道灯"))
    client.logout()
    client.force_login(dispatcher(username="op_d2"))
    html = html_of(
        client.get(reverse("admin:requests_app_helprequest_changelist") + "?source__exact=visit"), "来访求助楼道灯"
    )
    assert "来访" in html
    html = html_of(
        client.get(reverse("admin:requests_app_helprequest_changelist") + "?source__exact=web"), 'id="changelist"'
    )
    assert "来访求助楼道灯" not in html


def test_source_is_a_dimension_of_the_figures_on_stats_and_the_dashboard(client):
    client.force_login(operator(username="op8"))
    client.post(INTAKE, call())
    client.post(INTAKE, call(source="visit", submit_token=str(uuid.uuid4()), phone="13700002222"))
    client.post(INTAKE, call(source="visit", submit_token=str(uuid.uuid4()), phone="13700003333"))
    client.logout()
    html = html_of(client.get("/stats/"), 'id="figure-sources"')
    table = html.split('id="figure-sources"')[1].split("</table>")[0]
    assert re.search(r"<td>电话</td><td class=\"text-end count\">1</td>", table)
    assert re.search(r"<td>来访</td><td class=\"text-end count\">2</td>", table)
    assert re.search(r"<td>网页</td><td class=\"text-end count\">0</td>", table)
    client.force_login(dispatcher(username="op_d3"))
    html = html_of(client.get(reverse("admin:dispatch_dashboard")), 'id="figure-sources"')
    assert re.search(r"<td>来访</td><td class=\"text-end count\">2</td>", html)


def test_a_similar_recent_request_in_the_district_is_shown_as_a_possible_duplicate(client):
    client.force_login(operator(username="op9"))
    client.post(INTAKE, call(title="三号楼楼道灯坏了", phone="13700004444"))
    earlier = HelpRequest.objects.get()
    response = client.post(INTAKE, call(check="1", submit=None, title="三号楼楼道灯不亮", phone="13700005555"))
    html = html_of(response, 'id="intake-duplicates"')
    assert earlier.ticket_number in html and "三号楼楼道灯坏了" in html
    # Only number, title and state: never the other caller's phone or name.
    assert "13700004444" not in html and "刘阿姨" not in html.split('id="intake-duplicates"')[1]
