"""The Open311 endpoints: every resource, every error, JSON and XML, and the state mapping."""

import datetime as dt
import json
from xml.etree import ElementTree as ET

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from dispatch.access import CITIZEN
from dispatch.feedback import feedback_record
from dispatch.models import Unit
from dispatch.tests.factories import PATHS, dispatcher, handler, request_advance, request_in_state, unit
from dispatch.workflow import transition_apply
from helpdesk.timefmt import local_minute
from requests_app.models import ApiSubmission, Deadline, Event, HelpRequest, State
from requests_app.open311 import selectors, services
from requests_app.tests.factories import HelpRequestFactory, category
from requests_app.tests.open311_helpers import make_client, post_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open311_lists_every_request")]

BASE = "/open311/v2"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(hh_mm: str) -> dt.datetime:
    """A time on 2026-03-16 in Zhengzhou."""
    hour, minute = map(int, hh_mm.split(":"))
    return dt.datetime(2026, 3, 16, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def api_key():
    _, key = make_client()
    return key


def as_json(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def as_xml(response):
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(response.content)


# --- POST requests ----------------------------------------------------------


def test_post_creates_a_request_like_the_web_form(client, api_key):
    response = client.post(f"{BASE}/requests.json", post_data(api_key))
    assert response.status_code == 201
    [body] = as_json(response)
    req = HelpRequest.objects.get(ticket_number=body["service_request_id"])
    assert req.name == "张三丰" and req.phone == "13812345678" and req.address == "金水路1号"
    assert req.title == "小区停水三天" and req.category.code == "minsheng" and req.district.code == "jinshui"
    assert req.state == State.SUBMITTED
    # Same deadlines as the form: contact, resolve, feedback (no urgent one for a normal request).
    assert set(req.deadlines.values_list("kind", flat=True)) == {"contact", "resolve", "feedback"}
    # The timeline names the client, and the token resolves at once.
    event = Event.objects.get(request=req)
    assert event.actor_label == "正观新闻APP" and event.is_public
    submission = ApiSubmission.objects.get(request=req)
    assert body["token"] == str(submission.token) and submission.client.name == "正观新闻APP"
    assert "1小时内回应联系" in body["service_notice"]


def test_post_urgent_gets_the_urgent_deadline_and_xml_answer(client, api_key):
    response = client.post(f"{BASE}/requests.xml", post_data(api_key, **{"attribute[urgency]": "urgent"}))
    assert response.status_code == 201
    root = as_xml(response)
    assert root.tag == "service_requests"
    number = root.find("request/service_request_id").text
    req = HelpRequest.objects.get(ticket_number=number)
    assert req.is_urgent
    assert req.deadlines.filter(kind=Deadline.Kind.URGENT).exists()
    assert root.find("request/token").text


def test_post_latin_names_keep_western_order(client, api_key):
    response = client.post(f"{BASE}/requests.json", post_data(api_key, first_name="Anna", last_name="Li"))
    assert response.status_code == 201
    assert HelpRequest.objects.get().name == "Anna Li"


def test_post_is_csrf_exempt(api_key):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"{BASE}/requests.json", post_data(api_key)).status_code == 201


@pytest.mark.parametrize("key", [None, "", "not-a-key"])
def test_post_without_a_valid_key_is_refused(client, key):
    make_client()
    response = client.post(f"{BASE}/requests.json", post_data(key))
    assert response.status_code == 403
    assert as_json(response) == [{"code": 403, "description": "api_key 无效或已停用。"}]
    assert not HelpRequest.objects.exists()


def test_post_with_a_revoked_key_is_refused_in_xml_too(client):
    api_client, key = make_client()
    services.api_client_revoke(client=api_client)
    response = client.post(f"{BASE}/requests.xml", post_data(key))
    assert response.status_code == 403
    root = as_xml(response)
    assert root.tag == "errors"
    assert root.find("error/code").text == "403"
    assert root.find("error/description").text == "api_key 无效或已停用。"


def test_key_in_header_is_accepted(client, api_key):
    data = post_data(None)
    response = client.post(f"{BASE}/requests.json", data, headers={"X-Api-Key": api_key})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"phone": "12345"}, "phone: 请填写正确的手机号"),
        ({"service_code": None}, "service_code: 请选择求助类别。"),
        ({"attribute[district]": "nowhere"}, "attribute[district]: 请选择列表中的区县(市)。"),
        ({"attribute[urgency]": "very"}, "attribute[urgency]: 请选择“紧急”或“一般”。"),
        ({"attribute[title]": None}, "attribute[title]: 请用一句话概括您的问题。"),
        ({"attribute[consent]": None}, "attribute[consent]: 请阅读并勾选同意隐私说明后再提交。"),
        ({"description": "太短"}, "description: 求助内容至少 10 个字"),
        ({"description": "<script>alert(1)</script>很长很长的内容"}, "description: 请不要输入网页代码"),
        ({"first_name": None, "last_name": None}, "last_name: 请填写姓名。"),
    ],
)
def test_post_invalid_fields_answer_400_with_the_forms_messages(client, api_key, overrides, expected):
    response = client.post(f"{BASE}/requests.json", post_data(api_key, **overrides))
    assert response.status_code == 400
    errors = as_json(response)
    assert all(e["code"] == 400 for e in errors)
    assert any(e["description"].startswith(expected) for e in errors), errors
    assert not HelpRequest.objects.exists()


def test_post_errors_in_xml(client, api_key):
    response = client.post(f"{BASE}/requests.xml", post_data(api_key, phone="1", **{"attribute[title]": ""}))
    assert response.status_code == 400
    root = as_xml(response)
    descriptions = [e.find("description").text for e in root.findall("error")]
    assert len(descriptions) == 2 and all(e.find("code").text == "400" for e in root.findall("error"))


# --- GET requests -------------------------------------------------------------


def test_get_requests_shows_no_personal_data(client):
    req = HelpRequestFactory(
        name="王五六", phone="13900001111", address="秘密小区8号", content="我叫王五六，家住秘密小区8号，求助内容很长。"
    )
    response = client.get(f"{BASE}/requests.json")
    assert response.status_code == 200
    text = response.content.decode()
    for private in ("王五六", "13900001111", "秘密小区", "我叫"):
        assert private not in text
    [item] = json.loads(text)
    assert item == {
        "service_request_id": req.ticket_number,
        "status": "open",
        "status_notes": f"已提交 · {timezone.localtime(req.created_at):%Y-%m-%d %H:%M}",
        "service_name": "民生",
        "service_code": "minsheng",
        "description": "小区停水三天",
        "agency_responsible": "",
        "service_notice": "",
        "requested_datetime": timezone.localtime(req.created_at).isoformat(timespec="seconds"),
        "updated_datetime": timezone.localtime(req.created_at).isoformat(timespec="seconds"),
        "expected_datetime": item["expected_datetime"],
        "address": "金水区",
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    assert item["requested_datetime"].endswith("+08:00")
    contact_due = req.deadlines.get(kind="contact").due_at
    assert item["expected_datetime"] == timezone.localtime(contact_due).isoformat(timespec="seconds")


def test_get_requests_in_xml(client):
    req = HelpRequestFactory()
    response = client.get(f"{BASE}/requests.xml")
    root = as_xml(response)
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text == req.ticket_number
    assert root.find("request/status").text == "open"
    assert root.find("request/address").text == "金水区"


def test_get_requests_filters(client):
    water = HelpRequestFactory()
    road = request_in_state(State.INVALID, category=category("jiaotong"), title="路灯不亮")

    def ids(**params):
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return [item["service_request_id"] for item in as_json(response)]

    assert ids() == [road.ticket_number, water.ticket_number]
    assert ids(service_code="jiaotong") == [road.ticket_number]
    assert ids(service_code="jiaotong,minsheng") == [road.ticket_number, water.ticket_number]
    assert ids(status="closed") == [road.ticket_number]
    assert ids(status="open") == [water.ticket_number]
    # service_request_id wins over every other filter, as the spec says.
    assert ids(service_request_id=water.ticket_number, status="closed") == [water.ticket_number]
    now = timezone.localtime()
    assert ids(
        start_date=(now - dt.timedelta(days=1)).isoformat(), end_date=(now + dt.timedelta(hours=1)).isoformat()
    ) == [
        road.ticket_number,
        water.ticket_number,
    ]
    assert ids(end_date=(now - dt.timedelta(days=1)).isoformat()) == []
    assert ids(start_date=(now + dt.timedelta(hours=1)).isoformat()) == []
    # An unencoded "+" in the offset arrives as a space and still parses.
    assert ids(start_date=(now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S 08:00")) != []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-05-01T00:00:00+08:00"}, "最多 90 天"),
        ({"start_date": "2026-05-01T00:00:00+08:00", "end_date": "2026-01-01T00:00:00+08:00"}, "不能晚于"),
        ({"start_date": "yesterday"}, "start_date 不是有效的 ISO 8601 时间"),
        ({"start_date": "9999-12-31T00:00:00+08:00"}, "超出范围"),
        ({"end_date": "0001-01-01T00:00:00"}, "end_date 不是有效的 ISO 8601 时间"),
        ({"status": "pending"}, "status 只能是 open 或 closed"),
    ],
)
def test_get_requests_bad_filters_answer_400(client, params, expected):
    response = client.get(f"{BASE}/requests.json", params)
    assert response.status_code == 400
    [error] = as_json(response)
    assert error["code"] == 400 and expected in error["description"]


def test_get_requests_caps_results_at_1000():
    for _ in range(3):
        HelpRequestFactory()
    query = selectors.RequestQuery(
        ids=[], service_codes=[], statuses=set(), start=timezone.now() - dt.timedelta(days=1), end=timezone.now()
    )
    assert len(selectors.service_requests_search(query=query, limit=2)) == 2
    assert selectors.MAX_RESULTS == 1000


def test_get_requests_is_one_query_however_many_requests(client, django_assert_num_queries):
    units = list(Unit.objects.filter(is_active=True).order_by("pk")[:12])
    assert len(units) == 12
    for lead in units:
        request_in_state(State.HANDED_OVER, lead=lead)  # each with its own agency
    with django_assert_num_queries(1):
        response = client.get(f"{BASE}/requests.json")
    assert len(as_json(response)) == 12


# --- GET requests/<id> and the state mapping ----------------------------------


def test_get_one_request_json_and_xml(client):
    req = HelpRequestFactory()
    [item] = as_json(client.get(f"{BASE}/requests/{req.ticket_number}.json"))
    assert item["service_request_id"] == req.ticket_number
    root = as_xml(client.get(f"{BASE}/requests/{req.ticket_number}.xml"))
    assert root.find("request/service_request_id").text == req.ticket_number


def test_get_unknown_request_is_404_json_and_xml(client):
    response = client.get(f"{BASE}/requests/ZZ19990101-0001.json")
    assert response.status_code == 404
    assert as_json(response) == [{"code": 404, "description": "service_request_id 不存在：ZZ19990101-0001"}]
    response = client.get(f"{BASE}/requests/ZZ19990101-0001.xml")
    assert response.status_code == 404 and as_xml(response).find("error/code").text == "404"


def test_status_table_covers_every_state():
    assert set(selectors.STATUS_BY_STATE) == set(State.values)


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (State.SUBMITTED, "open"),
        (State.LISTED, "open"),
        (State.HANDED_OVER, "open"),
        (State.ACCEPTED, "open"),
        (State.RETURNED, "open"),
        (State.RESOLVED, "open"),
        (State.REOPENED, "open"),
        (State.CLOSED, "closed"),
        (State.INVALID, "closed"),
        (State.DUPLICATE, "closed"),
    ],
)
def test_every_workflow_state_maps_to_an_open311_status(client, state, status):
    req = request_in_state(state)
    [item] = as_json(client.get(f"{BASE}/requests/{req.ticket_number}.json"))
    assert item["service_request_id"] == req.ticket_number
    assert item["status"] == status
    # System-written: the state's label, the unit it was handed to and the time of the latest
    # public change; never the text of the event that brought it there.
    agency = "金水区人民政府" if "hand_over" in PATHS[state] else ""
    latest = req.events.filter(is_public=True).latest("created_at", "id")
    expected = " · ".join(p for p in (str(State(state).label), agency, local_minute(latest.created_at)) if p)
    assert item["status_notes"] == expected
    last = req.events.latest("created_at", "id")
    assert not last.note or last.note not in json.dumps(item, ensure_ascii=False)


def test_agency_notes_and_expected_time_follow_the_public_timeline(client):
    lead = unit("金水区人民政府")
    staff, clerk = dispatcher(), handler(lead)

    def act(action, actor, at, **params):
        with time_machine.travel(at, tick=False):
            transition_apply(request_id=req.pk, action=action, actor=actor, **params)

    with time_machine.travel(at("09:00"), tick=False):
        req = HelpRequestFactory()
    act("list", staff, at("09:05"))
    act("record_contact", staff, at("09:10"), note="已电话联系市民")  # meets the contact promise
    act("hand_over", staff, at("09:20"), unit=lead)
    act("add_note", clerk, at("09:30"), note="正在联系供水公司", is_public=True)
    act("add_note", clerk, at("09:40"), note="内部：管网图待调取", is_public=False)
    act("return", clerk, at("09:50"), reason="不属于本单位职责")  # internal: the citizen is not told
    assert not req.events.get(kind=Event.Kind.TRANSITION, to_state=State.RETURNED).is_public

    with time_machine.travel(at("10:00"), tick=False):
        [item] = as_json(client.get(f"{BASE}/requests/{req.ticket_number}.json"))
    assert item["service_request_id"] == req.ticket_number
    assert item["agency_responsible"] == "金水区人民政府"
    # The state, the unit and the time of the latest public change (the public note at 09:30);
    # no note, and the internal note and the return add no time.
    assert item["status_notes"] == "已退回 · 金水区人民政府 · 2026-03-16 09:30"
    text = json.dumps(item, ensure_ascii=False)
    for typed in ("正在联系供水公司", "管网图", "不属于本单位职责", "已电话联系市民"):
        assert typed not in text, typed
    # The contact promise is kept: the next open one is resolving it.
    resolve_due = req.deadlines.get(kind="resolve").due_at
    assert item["expected_datetime"] == timezone.localtime(resolve_due).isoformat(timespec="seconds")


def test_expected_time_is_empty_once_no_promise_is_open(client, settings):
    """Resolved, contacted, rated 不满意 past the rework limit: open, waiting for the supervisor, nothing promised."""
    settings.MAX_REOPENS = 0
    req = request_in_state(State.ACCEPTED)
    transition_apply(request_id=req.pk, action="record_contact", actor=dispatcher(), note="已电话联系市民")
    req = request_advance(req, State.RESOLVED)
    [item] = as_json(client.get(f"{BASE}/requests/{req.ticket_number}.json"))
    feedback_due = req.deadlines.get(kind="feedback").due_at
    assert item["expected_datetime"] == timezone.localtime(feedback_due).isoformat(timespec="seconds")
    feedback_record(request_id=req.pk, actor=CITIZEN, rating="unsatisfied", comment="还是没水")
    assert HelpRequest.objects.get(pk=req.pk).state == State.RESOLVED
    assert not req.deadlines.open().exists()
    [item] = as_json(client.get(f"{BASE}/requests/{req.ticket_number}.json"))
    assert item["status"] == "open" and item["expected_datetime"] is None


# --- services, discovery, tokens, openapi --------------------------------------


def test_services_list_json_and_xml(client):
    services_json = as_json(client.get(f"{BASE}/services.json"))
    codes = [s["service_code"] for s in services_json]
    assert "minsheng" in codes and "xunyi-maiyao" in codes
    minsheng = next(s for s in services_json if s["service_code"] == "minsheng")
    assert minsheng["service_name"] == "民生" and minsheng["metadata"] is True and minsheng["type"] == "realtime"
    root = as_xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and root.find("service/service_code").text
    assert root.find("service/metadata").text == "true"


def test_service_definition_lists_the_portals_extra_fields(client):
    definition = as_json(client.get(f"{BASE}/services/minsheng.json"))
    attributes = {a["code"]: a for a in definition["attributes"] if a["variable"]}
    assert set(attributes) == {"title", "urgency", "district", "consent"}
    assert all(a["required"] for a in attributes.values())
    assert {v["key"] for v in attributes["urgency"]["values"]} == {"urgent", "normal"}
    assert {"key": "jinshui", "name": "金水区"} in attributes["district"]["values"]
    root = as_xml(client.get(f"{BASE}/services/minsheng.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key") is not None


def test_unknown_service_is_404(client):
    response = client.get(f"{BASE}/services/nope.json")
    assert response.status_code == 404
    assert as_json(response)[0]["code"] == 404
    assert as_xml(client.get(f"{BASE}/services/nope.xml")).tag == "errors"


def test_discovery(client):
    document = as_json(client.get(f"{BASE}/discovery.json"))
    [endpoint] = document["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["changeset"].endswith("+08:00")
    assert as_xml(client.get(f"{BASE}/discovery.xml")).find("endpoints/endpoint/formats/format") is not None


def test_tokens_resolve_to_the_request(client, api_key):
    [created] = as_json(client.post(f"{BASE}/requests.json", post_data(api_key)))
    [found] = as_json(client.get(f"{BASE}/tokens/{created['token']}.json"))
    assert found == {"service_request_id": created["service_request_id"], "token": created["token"]}
    root = as_xml(client.get(f"{BASE}/tokens/{created['token']}.xml"))
    assert root.find("request/service_request_id").text == created["service_request_id"]


@pytest.mark.parametrize("token", ["not-a-uuid", "6f1c1a6e-3f3a-4b8e-9f57-0d7c2b1f0c11"])
def test_unknown_token_is_404(client, token):
    response = client.get(f"{BASE}/tokens/{token}.json")
    assert response.status_code == 404 and as_json(response)[0]["code"] == 404


def test_web_form_tokens_do_not_resolve(client):
    import uuid

    token = uuid.uuid4()
    HelpRequestFactory(submit_token=token)
    assert client.get(f"{BASE}/tokens/{token}.json").status_code == 404


def test_unsupported_format(client):
    response = client.get(f"{BASE}/services.csv")
    assert response.status_code == 404 and as_json(response)[0]["code"] == 404
    assert as_xml(client.get(f"{BASE}/nothing/here.xml")).tag == "errors"


def test_openapi_document_is_served(client):
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/requests.{fmt}" in document["paths"]
    assert "minsheng" in document["components"]["schemas"]["NewRequest"]["properties"]["service_code"]["enum"]
