"""A request's location: optional, WGS-84, inside the city's box; public outputs show ~100 m only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app import location
from requests_app.forms import HelpRequestForm
from requests_app.models import HelpRequest, State
from requests_app.public import coordinate_public
from requests_app.retention import requests_anonymise, requests_anonymise_again
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory
from requests_app.tests.test_forms import valid_data

pytestmark = pytest.mark.django_db

# A point in Zhengzhou (二七广场), to more decimals than a phone gives.
EXACT = (Decimal("34.7571234"), Decimal("113.6654321"))


def test_the_location_is_optional():
    form = HelpRequestForm(valid_data())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["latitude"] is None and form.cleaned_data["longitude"] is None


def test_a_point_in_the_city_is_kept_to_six_decimals():
    form = HelpRequestForm(valid_data(latitude=" 34.7571234 ", longitude="113.6654321"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["latitude"] == Decimal("34.757123")
    assert form.cleaned_data["longitude"] == Decimal("113.665432")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"latitude": "34.75"}, "longitude", "请同时填写纬度和经度"),
        ({"longitude": "113.66"}, "latitude", "请同时填写纬度和经度"),
        ({"latitude": "北纬34度", "longitude": "113.66"}, "latitude", "纬度应是以度为单位的数字"),
        ({"latitude": "34.75", "longitude": "NaN"}, "longitude", "经度应是以度为单位的数字"),
        ({"latitude": "1e400", "longitude": "113.66"}, "latitude", "纬度应是以度为单位的数字"),
        # Beijing: a real point, but not this city's.
        ({"latitude": "39.9042", "longitude": "116.4074"}, "latitude", "不在本市范围内（纬度 34.25–35.0"),
        # Latitude and longitude swapped, a common slip.
        ({"latitude": "113.66", "longitude": "34.75"}, "latitude", "不在本市范围内"),
    ],
)
def test_a_wrong_point_gets_a_clear_chinese_message(client, data, field, message):
    form = HelpRequestForm(valid_data(**data))
    assert not form.is_valid()
    assert any(message in e for e in form.errors[field]), form.errors
    response = client.post(reverse("requests_app:submit"), valid_data(**data))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not HelpRequest.objects.exists()


def test_the_box_is_a_setting(settings):
    settings.CITY_BBOX = [39.4, 115.4, 41.1, 117.5]  # Beijing
    assert HelpRequestForm(valid_data(latitude="39.9042", longitude="116.4074")).is_valid()
    assert not HelpRequestForm(valid_data(latitude="34.757", longitude="113.665")).is_valid()


def test_the_form_shows_the_button_hidden_until_script_finds_geolocation_and_no_map_by_default(client):
    response = client.get(reverse("requests_app:submit"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="geolocate"' in html and "使用我的位置" in html
    assert 'name="latitude"' in html and 'name="longitude"' in html
    assert "js/location.js" in html
    assert "leaflet" not in html and 'id="location-map"' not in html
    assert "<script>" not in html  # no inline script: the CSP forbids them


def test_a_tile_url_switches_on_the_local_leaflet_map(client, settings):
    settings.MAP_TILE_URL = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
    html = client.get(reverse("requests_app:submit")).content.decode()
    assert 'id="location-map"' in html and 'data-tile-url="https://tiles.example.gov.cn/{z}/{x}/{y}.png"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/vendor/leaflet/leaflet.css" in html


def test_the_submitted_point_is_stored_exactly(client, settings):
    settings.FORM_MIN_FILL_SECONDS = 0
    response = client.post(reverse("requests_app:submit"), valid_data(latitude="34.757123", longitude="113.665432"))
    assert response.status_code == 302
    req = HelpRequest.objects.get()
    assert (req.latitude, req.longitude) == (Decimal("34.757123"), Decimal("113.665432"))


def test_public_rounding_is_about_100_metres():
    assert coordinate_public(Decimal("34.757623")) == Decimal("34.758")
    assert coordinate_public(None) is None
    # 0.001° of latitude is 111 m; a published point is within ~56 m of the real one.
    assert abs(coordinate_public(EXACT[0]) - EXACT[0]) <= Decimal("0.0005")


@pytest.mark.parametrize("page", ["requests_app:receipt", "requests_app:track_token"])
def test_receipt_and_progress_show_the_rounded_point_only(client, page):
    req = HelpRequestFactory(latitude=Decimal("34.757123"), longitude=Decimal("113.665432"))
    response = client.get(reverse(page, args=[track_token_for(ticket_number=req.ticket_number)]))
    assert response.status_code == 200
    html = response.content.decode()
    assert req.ticket_number in html
    assert "约 34.757, 113.665" in html
    assert "34.757123" not in html and "113.665432" not in html and "34.7571" not in html


def test_a_request_without_a_point_shows_no_location_row(client):
    req = HelpRequestFactory()
    response = client.get(reverse("requests_app:track_token", args=[track_token_for(ticket_number=req.ticket_number)]))
    assert response.status_code == 200
    assert req.ticket_number in response.content.decode()
    assert 'id="public-location"' not in response.content.decode()


def test_the_database_refuses_half_a_point():
    from django.db import IntegrityError, transaction

    req = HelpRequestFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        HelpRequest.objects.filter(pk=req.pk).update(latitude=Decimal("34.75"))


def test_anonymisation_keeps_only_the_public_100_metres():
    req = HelpRequestFactory(latitude=Decimal("34.757123"), longitude=Decimal("113.665432"))
    HelpRequest.objects.filter(pk=req.pk).update(
        state=State.CLOSED, updated_at=timezone.now() - dt.timedelta(days=4000)
    )
    assert requests_anonymise(older_than=dt.timedelta(days=365)) == 1
    req.refresh_from_db()
    assert req.anonymised_at is not None
    assert (req.latitude, req.longitude) == (Decimal("34.757"), Decimal("113.665"))
    # Finishing an earlier anonymisation again changes nothing more.
    requests_anonymise_again()
    req.refresh_from_db()
    assert (req.latitude, req.longitude) == (Decimal("34.757"), Decimal("113.665"))


def test_gis_link_uses_only_http_templates(settings):
    settings.GIS_URL_TEMPLATE = "https://gis.example.gov.cn/map?lat={lat}&lng={lon}"
    assert location.gis_url(latitude=EXACT[0], longitude=EXACT[1]) == (
        "https://gis.example.gov.cn/map?lat=34.7571234&lng=113.6654321"
    )
    settings.GIS_URL_TEMPLATE = "javascript:alert({lat})"
    assert location.gis_url(latitude=EXACT[0], longitude=EXACT[1]) == ""


@pytest.mark.parametrize("box", [[34.25, 112.7, 35.0], [35.0, 112.7, 34.25, 114.25], [34.25, 190, 35.0, 200]])
def test_a_bounding_box_that_is_no_box_fails_the_system_check(settings, box):
    from requests_app.checks import city_bbox_check

    assert city_bbox_check(None) == []
    settings.CITY_BBOX = box
    [error] = city_bbox_check(None)
    assert error.id == "requests_app.E002"
