"""The staff desk at a common office screen (1366×768), in headless Chromium."""

from __future__ import annotations

import os

import pytest

from dispatch.tests import factories
from dispatch.tests.browser import staff_page
from requests_app.models import State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1366, "height": 768}
LONG_TITLE = "金水区经三路与农业路交叉口东北角人行道上的井盖缺失已经三天了，夜里很危险"


def test_the_changelist_reads_at_1366_by_768(live_server, browser):
    unit = factories.unit("金水区人民政府")
    dispatcher = factories.dispatcher(username="disp")
    handler = factories.handler(unit, username="hand")
    supervisor = factories.supervisor(username="sup")
    for state in (State.SUBMITTED, State.LISTED, State.HANDED_OVER, State.ACCEPTED, State.RESOLVED) * 2:
        factories.request_in_state(
            state,
            dispatcher_user=dispatcher,
            handler_user=handler,
            supervisor_user=supervisor,
            lead=unit,
            title=LONG_TITLE,
        )
    page = staff_page(browser, live_server, dispatcher, viewport=SCREEN)
    page.goto(f"{live_server.url}/admin/requests_app/helprequest/")
    page.wait_for_selector("#result_list")
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=os.environ["SCREENSHOTS"] + "/changelist.png", full_page=True)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= SCREEN["width"], "no horizontal scroll"
    # No cell wraps: every body cell is one line high (its text is cut with the full text on hover).
    heights = page.evaluate(
        """() => [...document.querySelectorAll('#result_list tbody tr:first-child td, #result_list tbody tr:first-child th')]
            .map(c => [c.className, c.getBoundingClientRect().height, parseFloat(getComputedStyle(c).lineHeight) || 16])"""
    )
    for name, height, line in heights:
        assert height < 2.6 * line, f"{name} wraps: {height}px high"
    title = page.locator("#result_list tbody tr:first-child td.field-title_cell span").first
    assert title.get_attribute("title") == LONG_TITLE
