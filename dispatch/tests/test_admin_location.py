"""The request page shows staff the exact point (with the GIS link) when they may see the contact, else ~100 m."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from requests_app.models import State

pytestmark = pytest.mark.django_db

POINT = {"latitude": Decimal("34.757123"), "longitude": Decimal("113.665432")}


def test_contact_staff_see_the_exact_point_and_the_gis_link(client, staff, make_request, settings):
    settings.GIS_URL_TEMPLATE = "https://gis.example.gov.cn/map?lat={lat}&lng={lon}"
    req = make_request(State.ACCEPTED, **POINT)
    client.force_login(staff.handler_a)  # the lead unit: calls the citizen
    response = client.get(reverse("admin:requests_app_helprequest_change", args=[req.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span id="exact-location">34.757123, 113.665432</span>' in html
    assert 'href="https://gis.example.gov.cn/map?lat=34.757123&amp;lng=113.665432"' in html
    assert 'id="location-map"' not in html  # no tiles configured: no map


def test_other_staff_see_what_the_public_sees(client, staff, make_request):
    req = make_request(State.ACCEPTED, **POINT)
    client.force_login(staff.handler_b)  # an assisting unit: masked contact
    response = client.get(reverse("admin:requests_app_helprequest_change", args=[req.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "约 34.757, 113.665" in html
    assert "34.757123" not in html and "113.665432" not in html


def test_with_tiles_the_staff_page_shows_the_point_on_the_local_map(client, staff, make_request, settings):
    settings.MAP_TILE_URL = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
    req = make_request(State.LISTED, **POINT)
    client.force_login(staff.dispatcher)
    html = client.get(reverse("admin:requests_app_helprequest_change", args=[req.pk])).content.decode()
    assert 'data-lat="34.757123" data-lon="113.665432"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html


def test_no_point_no_link(client, staff, make_request, settings):
    settings.GIS_URL_TEMPLATE = "https://gis.example.gov.cn/map?lat={lat}&lng={lon}"
    req = make_request(State.LISTED)
    client.force_login(staff.dispatcher)
    response = client.get(reverse("admin:requests_app_helprequest_change", args=[req.pk]))
    assert response.status_code == 200
    assert req.ticket_number in response.content.decode()
    assert "gis.example.gov.cn" not in response.content.decode()


def test_public_figures_carry_no_point(client, make_request):
    make_request(State.CLOSED, **POINT)
    response = client.get(reverse("dispatch_public:stats"), {"days": "30"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="p-received">1<' in html
    assert "34.757" not in html and "113.665" not in html


def test_webhook_payloads_carry_the_rounded_point_only(staff):
    from requests_app.models import Event
    from requests_app.open311 import services as open311_services
    from requests_app.tests.factories import category, district
    from requests_app.tests.open311_helpers import make_client

    client, _ = make_client(name="网格化管理系统")
    data = {
        "category": category(),
        "urgency": "normal",
        "district": district(),
        "name": "张三",
        "phone": "13812345678",
        "address": "",
        "title": "井盖丢失",
        "content": "二七广场东侧路口的井盖丢失两天了。",
        **POINT,
    }
    req = open311_services.service_request_create(client=client, data=data).request
    payload = open311_services._webhook_payload(event=Event.objects.get(request=req))
    assert (payload["service_request"]["lat"], payload["service_request"]["long"]) == (34.757, 113.665)
