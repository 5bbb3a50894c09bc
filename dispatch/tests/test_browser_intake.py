"""An operator enters a caller's request by keyboard alone; the citizen's SMS carries a number the lookup accepts."""

from __future__ import annotations

import re

import pytest

from dispatch import roles
from dispatch.models import Notification
from dispatch.tests import factories
from dispatch.tests.browser import staff_page
from requests_app.models import Category, District, HelpRequest, Source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _choose(page, position: int) -> None:
    """A closed <select> with the keyboard: one ArrowDown per option below the empty one."""
    for _ in range(position):
        page.keyboard.press("ArrowDown")


def test_an_operator_enters_a_phone_request_by_keyboard_alone(live_server, browser):
    operator = factories.StaffUserFactory(username="op_kb", role=roles.OPERATOR)
    districts = list(District.objects.filter(is_active=True))
    categories = list(Category.objects.filter(is_active=True))
    district = next(d for d in districts if d.code == "jinshui")
    category = next(c for c in categories if c.code == "minsheng")
    page = staff_page(browser, live_server, operator, next_path="/staff/intake/")

    # The phone field has the focus; the source is 电话 already. From here on: keys only.
    assert page.evaluate("document.activeElement.name") == "phone"
    page.keyboard.type("13900002468")
    page.keyboard.press("Tab")
    page.keyboard.insert_text("赵大爷")
    page.keyboard.press("Tab")
    _choose(page, districts.index(district) + 1)
    page.keyboard.press("Tab")
    _choose(page, categories.index(category) + 1)
    page.keyboard.press("Tab")  # 一般 is checked: the radio group is one stop
    page.keyboard.press("Tab")
    page.keyboard.insert_text("小区路灯坏了")
    page.keyboard.press("Tab")
    page.keyboard.insert_text("小区东门的路灯坏了半个月，晚上老人出门看不清路。")
    page.keyboard.press("Tab")  # address: optional
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the citizen was told the privacy notice
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "intake-submit"
    page.keyboard.press("Enter")

    page.wait_for_selector("#intake-ticket")
    req = HelpRequest.objects.get()
    shown = page.text_content("#intake-ticket").strip()
    assert shown == req.ticket_number
    assert (req.source, req.district_id, req.category_id, req.name) == (
        Source.PHONE,
        district.pk,
        category.pk,
        "赵大爷",
    )

    sms = Notification.objects.get(request=req, kind=Notification.Kind.RECEIVED)
    number = re.search(r"编号(\S+?)。", sms.body).group(1)

    page.context.close()
    citizen_context = browser.new_context(locale="zh-CN")
    citizen = citizen_context.new_page()
    citizen.goto(f"{live_server.url}/help/track/")
    citizen.fill("input[name=ticket_number]", number)
    citizen.fill("input[name=phone]", "139 0000 2468")
    citizen.get_by_role("button", name="查询").click()
    citizen.wait_for_selector("#timeline")
    assert number in citizen.content() and "话务员代录求助" in citizen.text_content("#timeline")
    citizen_context.close()
