"""The location in real Chromium: "使用我的位置" fills the form from the browser's geolocation, the
citizen's pages show ~100 m, staff who call the citizen see the exact point; the optional map."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dispatch.tests import factories
from dispatch.tests.browser import staff_page
from requests_app.models import HelpRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 二七广场, Zhengzhou, as the phone's GPS reports it.
HERE = {"latitude": 34.7571234, "longitude": 113.6654321, "accuracy": 15}


def _citizen_page(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation=HERE,
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    return context, page


def _fill_request(page) -> None:
    page.select_option("select[name=category]", label="民生")
    page.select_option("select[name=district]", label="二七区")
    page.fill("input[name=name]", "李四")
    page.fill("input[name=phone]", "139 0000 1234")
    page.fill("input[name=title]", "路口井盖丢失")
    page.fill("textarea[name=content]", "二七广场东侧路口的井盖丢失两天了，晚上很危险，请尽快处理。")
    page.check("input[name=consent]")


def test_the_location_button_fills_the_form_and_the_point_is_exact_only_for_staff(live_server, browser, settings):
    settings.FORM_MIN_FILL_SECONDS = 0
    context, page = _citizen_page(browser)
    page.goto(f"{live_server.url}/help/new/")
    _fill_request(page)
    button = page.get_by_role("button", name="使用我的位置")
    assert button.is_visible()  # shown by static/js/location.js once it finds navigator.geolocation
    button.click()
    # Locator assertions (no page-side eval, which the CSP forbids).
    expect(page.locator("input[name=latitude]")).to_have_value("34.757123")
    expect(page.locator("input[name=longitude]")).to_have_value("113.665432")
    assert "已填入您的位置" in page.text_content("#geolocate-status")
    page.get_by_role("button", name="提交求助").click()
    page.wait_for_url("**/help/receipt/**")

    req = HelpRequest.objects.get()
    assert (str(req.latitude), str(req.longitude)) == ("34.757123", "113.665432")
    # The receipt and the progress page: ~100 m, never the exact point.
    assert page.text_content("#public-location").strip() == "约 34.757, 113.665（精确到约100米）"
    page.click("#progress-link")
    page.wait_for_url("**/help/track/**")
    assert "约 34.757, 113.665" in page.text_content("#public-location")
    assert "34.757123" not in page.content()
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    context.close()

    # The dispatcher (who calls the citizen) sees the exact point.
    dispatcher = factories.dispatcher(username="disp")
    staff = staff_page(browser, live_server, dispatcher)
    staff.goto(f"{live_server.url}/admin/requests_app/helprequest/{req.pk}/change/")
    assert staff.text_content("#exact-location") == "34.757123, 113.665432"
    staff.context.close()


def test_with_tiles_a_tap_on_the_local_map_sets_the_point(live_server, browser, settings):
    # Every tile is one local image: the map works without any outside server.
    settings.MAP_TILE_URL = "/static/vendor/leaflet/images/layers.png?{z}/{x}/{y}"
    context, page = _citizen_page(browser)
    page.goto(f"{live_server.url}/help/new/")
    page.wait_for_selector("#location-map.leaflet-container")
    page.click("#location-map", position={"x": 150, "y": 120})
    expect(page.locator("input[name=latitude]")).to_have_value(re.compile(r"^3[45]\.\d{6}$"))
    latitude = float(page.input_value("input[name=latitude]"))
    longitude = float(page.input_value("input[name=longitude]"))
    assert 34.25 <= latitude <= 35.0 and 112.7 <= longitude <= 114.25
    assert page.locator("#location-map .leaflet-marker-icon").count() == 1
    # The button moves the marker to the phone's position.
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("input[name=latitude]")).to_have_value("34.757123")
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    context.close()
