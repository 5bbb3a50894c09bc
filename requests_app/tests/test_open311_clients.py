"""Open311 as real clients found it: a location on every POST, the spec's keys, errors and dates.

Each test is one surprise a client library met (georeport 0.3.1, three 0.8.0, open311 1.1).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from dispatch.tests.factories import request_in_state
from requests_app.models import HelpRequest, State
from requests_app.tests.factories import HelpRequestFactory
from requests_app.tests.open311_helpers import make_client, post_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open311_lists_every_request")]

BASE = "/open311/v2"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def api_key():
    _, key = make_client()
    return key


def errors_of(response) -> list[dict]:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    errors = json.loads(response.content)
    assert isinstance(errors, list) and errors
    assert all(set(e) == {"code", "description"} and e["code"] == response.status_code for e in errors), errors
    return errors


def xml_errors_of(response) -> list[tuple[str, str]]:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    return [(e.find("code").text, e.find("description").text) for e in root.findall("error")]


# --- A location on every POST -------------------------------------------------------


def test_post_with_only_lat_long_stores_the_point_and_returns_it_rounded(client, api_key):
    data = post_data(api_key, address_string=None, lat="34.7571234", long="113.6654321")
    response = client.post(f"{BASE}/requests.json", data)
    assert response.status_code == 201, response.content
    [created] = json.loads(response.content)
    req = HelpRequest.objects.get(ticket_number=created["service_request_id"])
    assert (req.latitude, req.longitude) == (Decimal("34.757123"), Decimal("113.665432"))
    assert req.address == ""
    [item] = json.loads(client.get(f"{BASE}/requests/{req.ticket_number}.json").content)
    assert (item["lat"], item["long"]) == (34.757, 113.665)
    root = ET.fromstring(client.get(f"{BASE}/requests/{req.ticket_number}.xml").content)
    assert root.find("request/lat").text == "34.757" and root.find("request/long").text == "113.665"
    assert b"34.757123" not in client.get(f"{BASE}/requests.json").content


def test_post_with_only_an_address_string_is_enough(client, api_key):
    response = client.post(f"{BASE}/requests.json", post_data(api_key))
    assert response.status_code == 201
    assert HelpRequest.objects.get().latitude is None


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"address_string": None}, "请提供求助地点：lat 和 long（WGS-84），或 address_string。"),
        ({"address_string": "  "}, "请提供求助地点：lat 和 long（WGS-84），或 address_string。"),
        ({"address_string": None, "address_id": "A-1024"}, "本平台没有地址目录，无法识别 address_id"),
        ({"lat": "34.75"}, "long: 请同时填写纬度和经度"),
        ({"address_string": None, "long": "113.66"}, "lat: 请同时填写纬度和经度"),
        ({"lat": "north", "long": "113.66"}, "lat: 纬度应是以度为单位的数字"),
        ({"lat": "34.75", "long": "113,66"}, "long: 经度应是以度为单位的数字"),
        ({"lat": "Infinity", "long": "113.66"}, "lat: 纬度应是以度为单位的数字"),
        ({"lat": "39.9042", "long": "116.4074"}, "lat: 该位置（纬度 39.904200，经度 116.407400）不在本市范围内"),
    ],
)
def test_post_location_errors_are_400(client, api_key, overrides, expected):
    response = client.post(f"{BASE}/requests.json", post_data(api_key, **overrides))
    assert response.status_code == 400
    assert any(e["description"].startswith(expected) for e in errors_of(response)), response.content.decode()
    assert not HelpRequest.objects.exists()


# --- The spec's keys ------------------------------------------------------------------


def test_keys_the_portal_does_not_keep_are_null_not_missing(client):
    req = HelpRequestFactory()
    [item] = json.loads(client.get(f"{BASE}/requests/{req.ticket_number}.json").content)
    for key in ("address_id", "zipcode", "media_url", "lat", "long"):
        assert key in item and item[key] is None
    root = ET.fromstring(client.get(f"{BASE}/requests.xml").content)
    for key in ("address_id", "zipcode", "media_url"):
        element = root.find(f"request/{key}")
        assert element is not None and element.text is None


def test_unknown_service_code_on_post_is_404_in_both_formats(client, api_key):
    response = client.post(f"{BASE}/requests.json", post_data(api_key, service_code="nope"))
    assert response.status_code == 404
    assert errors_of(response) == [{"code": 404, "description": "service_code 不存在：nope"}]
    response = client.post(f"{BASE}/requests.xml", post_data(api_key, service_code="nope"))
    assert response.status_code == 404 and xml_errors_of(response) == [("404", "service_code 不存在：nope")]
    assert not HelpRequest.objects.exists()


def test_a_missing_service_code_is_still_400(client, api_key):
    response = client.post(f"{BASE}/requests.json", post_data(api_key, service_code=None))
    assert response.status_code == 400
    assert errors_of(response)[0]["description"].startswith("service_code: 请选择求助类别。")


def test_expected_datetime_is_empty_once_the_request_is_finished(client):
    open_one = HelpRequestFactory()
    # Closed by the workflow with its contact promise still open (nobody recorded a contact):
    # only the finished state, not the deadlines, empties expected_datetime.
    closed = request_in_state(State.CLOSED)
    assert closed.deadlines.open().exists()
    items = {i["service_request_id"]: i for i in json.loads(client.get(f"{BASE}/requests.json").content)}
    assert items[open_one.ticket_number]["expected_datetime"] is not None
    assert items[closed.ticket_number]["status"] == "closed"
    assert items[closed.ticket_number]["expected_datetime"] is None
    root = ET.fromstring(client.get(f"{BASE}/requests/{closed.ticket_number}.xml").content)
    assert root.find("request/expected_datetime").text is None


# --- Errors are always the spec's list ----------------------------------------------

RESOURCES = [
    "discovery",
    "services",
    "services/minsheng",
    "requests",
    "requests/ZZ20260101-0001",
    "tokens/6f1c1a6e-3f3a-4b8e-9f57-0d7c2b1f0c11",
]


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("method", ["put", "delete", "patch", "options"])
def test_other_methods_get_a_405_error_list_with_allow_not_a_csrf_page(resource, method):
    client = Client(enforce_csrf_checks=True)  # as a server-side client, without the CSRF cookie
    response = getattr(client, method)(f"{BASE}/{resource}.json", data="x=1", content_type="text/plain")
    assert response.status_code == 405
    [error] = errors_of(response)
    assert error["description"].startswith(f"不支持 {method.upper()} 请求")
    allowed = "GET, HEAD, POST" if resource == "requests" else "GET, HEAD"
    assert response["Allow"] == allowed
    response = getattr(client, method)(f"{BASE}/{resource}.xml")
    assert response.status_code == 405 and xml_errors_of(response)[0][0] == "405"


@pytest.mark.parametrize("resource", RESOURCES)
def test_head_answers_like_get_without_a_body(client, resource):
    get = client.get(f"{BASE}/{resource}.json")
    head = client.head(f"{BASE}/{resource}.json")
    assert head.status_code == get.status_code
    assert head["Content-Type"] == get["Content-Type"] == "application/json; charset=utf-8"
    assert head["Content-Length"] == str(len(get.content))
    assert head.content == b""


def test_unknown_paths_answer_any_method_with_the_error_list():
    client = Client(enforce_csrf_checks=True)
    response = client.put(f"{BASE}/nothing.json")
    assert response.status_code == 404 and errors_of(response)[0]["code"] == 404


def test_a_chunked_body_is_411_not_a_misleading_key_error(client, api_key):
    headers = {"Transfer-Encoding": "chunked"}
    response = client.post(f"{BASE}/requests.json", post_data(api_key), headers=headers)
    assert response.status_code == 411
    [error] = errors_of(response)
    assert "chunked" in error["description"] and "api_key" not in error["description"]
    response = client.post(f"{BASE}/requests.xml", post_data(api_key), headers=headers)
    assert xml_errors_of(response)[0][0] == "411"
    assert not HelpRequest.objects.exists()


def test_a_json_body_is_415_not_a_misleading_key_error(client, api_key):
    response = client.post(f"{BASE}/requests.json", post_data(api_key), content_type="application/json")
    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in errors_of(response)[0]["description"]


# --- start_date / end_date in every W3C form ------------------------------------------


@pytest.fixture
def november_and_december():
    november = HelpRequestFactory(now=dt.datetime(2026, 11, 5, 9, 30, tzinfo=SHANGHAI))
    december = HelpRequestFactory(now=dt.datetime(2026, 12, 1, 0, 10, tzinfo=SHANGHAI))
    return november.ticket_number, december.ticket_number


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"start_date": "2026-11", "end_date": "2026-11"}, ["nov"]),
        ({"start_date": "2026-11-05", "end_date": "2026-11-05"}, ["nov"]),
        ({"start_date": "2026-11-06", "end_date": "2026-12"}, ["dec"]),
        ({"start_date": "2026-10", "end_date": "2026-12-01"}, ["dec", "nov"]),
        ({"end_date": "2026"}, ["dec", "nov"]),  # the last 90 days of 2026
        ({"start_date": "2026-11-05T09:30+08:00", "end_date": "2026-11-05T09:31+08:00"}, ["nov"]),
        ({"start_date": "2026-11-05T01:29:59Z", "end_date": "2026-11-05T01:30:00.5Z"}, ["nov"]),
        ({"start_date": "2026-11-05T09:30:01+08:00", "end_date": "2026-11-30T23:59:59.999+08:00"}, []),
        ({"start_date": "2026-11-30T16:10:00Z", "end_date": "2026-12-01T00:10:00+08:00"}, ["dec"]),
        ({"end_date": "2026-11"}, ["nov"]),
    ],
)
def test_start_and_end_dates_accept_every_w3c_form(client, november_and_december, params, expected):
    numbers = dict(zip(("nov", "dec"), november_and_december, strict=True))
    response = client.get(f"{BASE}/requests.json", params)
    assert response.status_code == 200, response.content.decode()
    assert [i["service_request_id"] for i in json.loads(response.content)] == [numbers[k] for k in expected]


@pytest.mark.parametrize("value", ["2026-13", "2026-11-31", "26-11", "2026/11", "2026-11-05T25:00Z", "9999"])
def test_a_date_that_is_no_w3c_form_is_400(client, value):
    response = client.get(f"{BASE}/requests.json", {"start_date": value})
    assert response.status_code == 400
    assert "start_date 不是有效的 ISO 8601 时间" in errors_of(response)[0]["description"]


# --- The service definition tells what the server enforces ------------------------------


def test_the_service_definition_states_required_fields_and_limits(client):
    definition = json.loads(client.get(f"{BASE}/services/minsheng.json").content)
    rules = {a["code"]: a for a in definition["attributes"] if not a["variable"]}
    assert {code: rules[code]["required"] for code in rules} == {
        "last_name": True,
        "phone": True,
        "description": True,
        "location": True,
        "media_url": False,
    }
    assert "最多40字" in rules["last_name"]["datatype_description"]
    assert "最多30个字符" in rules["phone"]["datatype_description"]
    assert "10–2000字" in rules["description"]["datatype_description"]
    assert "34.25,112.7,35.0,114.25" in rules["location"]["datatype_description"]
    assert "最多200字" in rules["location"]["datatype_description"]
    title = next(a for a in definition["attributes"] if a["code"] == "title")
    assert title["required"] and "最多60字" in title["datatype_description"]
    orders = [a["order"] for a in definition["attributes"]]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
