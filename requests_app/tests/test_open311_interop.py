"""Interoperability: the `georeport` client from PyPI (0.3.1) drives a live server, JSON and XML.

georeport wraps the GET calls (services, a service definition, a request by id,
a filtered list). It has no call for discovery, POST or token lookup, so those
go through `requests`, the HTTP library georeport itself uses, exactly as an
integrator would write them next to it.
"""

from __future__ import annotations

import http.client
import urllib.parse

import pytest
import requests
from django.utils import timezone
from georeport import GeoReport

from requests_app.models import HelpRequest
from requests_app.tests.open311_helpers import make_client, post_data

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("open311_lists_every_request")]


# The server closes each connection after its answer: no live-server thread is left waiting on a
# keep-alive connection, holding a database connection, when the test database is dropped.
CLOSE = {"Connection": "close"}


@pytest.fixture
def endpoint(live_server):
    """(the endpoint URL discovery announces, an API key)."""
    _, key = make_client()
    discovery = requests.get(f"{live_server.url}/open311/v2/discovery.json", headers=CLOSE, timeout=10)
    discovery.raise_for_status()
    [production] = discovery.json()["endpoints"]
    assert "application/json" in production["formats"] and "text/xml" in production["formats"]
    assert production["url"] == f"{live_server.url}/open311/v2/"
    return production["url"], key


def test_georeport_walks_the_whole_api_in_json(endpoint):
    url, key = endpoint
    client = GeoReport(url, api_key=key)

    services = client.get_service_list()
    assert {"minsheng", "jiaotong"} <= {s["service_code"] for s in services}
    definition = client.get_service_definition("minsheng")
    assert definition["service_code"] == "minsheng"
    inputs = [a["code"] for a in definition["attributes"] if a["variable"]]
    assert inputs == ["title", "urgency", "district", "consent"]

    # POST: what a client sends after reading the definition (attributes for the variable ones).
    form = post_data(client.api_key, address_string=None, lat="34.7571234", long="113.6654321")
    created = requests.post(f"{client.root_address}/requests.json", data=form, headers=CLOSE, timeout=10)
    assert created.status_code == 201, created.text
    [receipt] = created.json()
    number = receipt["service_request_id"]
    req = HelpRequest.objects.get(ticket_number=number)
    assert (str(req.latitude), str(req.longitude)) == ("34.757123", "113.665432")

    tokens = requests.get(f"{client.root_address}/tokens/{receipt['token']}.json", headers=CLOSE, timeout=10)
    assert tokens.json() == [{"service_request_id": number, "token": receipt["token"]}]

    one = client.get_service_request(number)
    assert one["service_request_id"] == number and one["status"] == "open"
    assert (one["lat"], one["long"]) == (34.757, 113.665)  # rounded: never the exact point
    assert one["address_id"] is None and one["zipcode"] is None and one["media_url"] is None
    assert one["expected_datetime"]

    month = timezone.localdate().strftime("%Y-%m")  # a W3C reduced form: this month
    listed = client.get_service_requests(service_code="minsheng", status="open", start_date=month)
    assert [r["service_request_id"] for r in listed] == [number]
    assert client.get_service_requests(service_code="jiaotong", start_date=month) == []
    assert client.get_service_requests(service_request_id=number)[0]["service_request_id"] == number


def test_georeport_reads_the_xml_format(endpoint):
    url, key = endpoint
    created = requests.post(f"{url.rstrip('/')}/requests.xml", data=post_data(key), headers=CLOSE, timeout=10)
    assert created.status_code == 201, created.text
    client = GeoReport(url, output_format="xml")
    services = client.get_service_list()
    assert "minsheng" in {s["service_code"] for s in services}
    definition = client.get_service_definition("minsheng")
    assert definition["service_code"] == "minsheng"
    number = HelpRequest.objects.get().ticket_number
    one = client.get_service_request(number)
    assert one["service_request_id"] == number and one["address"] == "金水区"
    assert one["lat"] is None and one["media_url"] is None  # present, empty
    assert client.get_service_requests(status="open")["service_request_id"] == number  # xmltodict: one item


def test_errors_reach_the_client_as_the_spec_list(endpoint):
    url, key = endpoint
    client = GeoReport(url, api_key=key)
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_definition("nope")
    assert raised.value.response.status_code == 404
    assert raised.value.response.json()[0]["code"] == 404
    half = post_data(key, lat="34.75")
    response = requests.post(f"{client.root_address}/requests.json", data=half, headers=CLOSE, timeout=10)
    assert response.status_code == 400 and response.json()[0]["description"].startswith("long: ")
    response = requests.put(f"{client.root_address}/requests.json", data=post_data(key), headers=CLOSE, timeout=10)
    assert response.status_code == 405 and response.json()[0]["code"] == 405
    head = requests.head(f"{client.root_address}/services.json", headers=CLOSE, timeout=10)
    assert head.status_code == 200 and head.headers["Content-Type"].startswith("application/json")


def test_a_really_chunked_body_gets_411(endpoint):
    url, key = endpoint
    parts = urllib.parse.urlsplit(url)
    body = urllib.parse.urlencode(post_data(key)).encode()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("POST", f"{parts.path}requests.json")
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        connection.send(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        response = connection.getresponse()
        assert response.status == 411
        assert response.getheader("Content-Type") == "application/json; charset=utf-8"
        assert "chunked" in response.read().decode()
    finally:
        connection.close()
    assert not HelpRequest.objects.exists()
