"""A dispatcher in headless Chromium: one-click 并单 from a suggestion at 列单, the pre-selected unit at 交单."""

from __future__ import annotations

import pytest
from django.apps import apps

from dispatch.models import RoutingRecord, Unit
from dispatch.reference_data import responsibility_rules_seed
from dispatch.tests import factories
from dispatch.tests.browser import staff_page
from dispatch.tests.test_browser import _act
from requests_app.models import HelpRequest, State
from requests_app.tests.factories import HelpRequestFactory, category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merge_a_suggested_duplicate_and_hand_over_to_the_preselected_unit(live_server, browser):
    responsibility_rules_seed(apps)
    dispatcher = factories.dispatcher(username="disp")
    main = HelpRequestFactory(
        category=category("jiaotong"),
        title="路口信号灯一直闪黄灯",
        content="经三路纬五路十字路口的信号灯一直闪黄灯，早晚高峰车辆抢行，非常危险，请尽快维修。",
    )
    again = HelpRequestFactory(
        category=category("jiaotong"),
        title="经三路路口红绿灯坏了",
        content="经三路纬五路路口的红绿灯一直闪黄灯，交通很乱，差点出事故。",
    )
    HelpRequestFactory(title="广场舞噪音扰民", content="经三路纬五路小区的广场舞每天晚上音响开得特别大。")

    # 列单: the new request's page lists the earlier one as a possible duplicate; 并单 is one click.
    page = staff_page(browser, live_server, dispatcher)
    page.goto(f"{live_server.url}/admin/requests_app/helprequest/{again.pk}/change/")
    row = page.locator(f"#duplicate-hints tr[data-ticket='{main.ticket_number}']")
    assert "%" in row.text_content()
    assert "广场舞" not in page.text_content("#duplicate-hints")
    row.locator("button").click()
    page.wait_for_selector(".messagelist .success")
    assert f"与求助件{main.ticket_number}内容相同，合并办理" in page.text_content("#events-group")
    again.refresh_from_db()
    assert (again.state, again.duplicate_of_id) == (State.DUPLICATE, main.pk)

    # 交单 of the main request: the 权责清单 pre-selects the traffic police, and says why.
    page.goto(f"{live_server.url}/admin/requests_app/helprequest/{main.pk}/change/")
    _act(page, "list")
    page.click("details[data-action=hand_over] summary")
    police = Unit.objects.get(name="郑州市公安局")
    assert page.input_value("select[name='hand_over-unit']") == str(police.pk)
    assert "规则：交通 × 「红绿灯、信号灯、违停、乱停、消防通道」" in page.text_content("#routing-hint")
    page.click("button[name=submit-hand_over]")
    page.wait_for_selector(".messagelist .success")
    assert "已交办至 郑州市公安局" in page.text_content("#events-group")
    page.context.close()

    record = RoutingRecord.objects.get(request=main)
    assert (record.chosen_unit, record.rank, record.source) == (police, 1, "rule")
    assert HelpRequest.objects.get(pk=main.pk).state == State.HANDED_OVER
