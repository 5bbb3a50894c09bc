"""The README's pictures, taken by browser journeys: `make screenshots` writes them to docs/screenshots/.

Skipped unless SCREENSHOTS_DIR is set (the make target sets it), so `make test`
never rewrites committed files. The journeys still assert what they show, so a
picture of an error page cannot slip into the README.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dispatch.tests import factories
from dispatch.tests.browser import staff_login
from requests_app.models import State
from requests_app.selectors import track_token_for

OUT = os.environ.get("SCREENSHOTS_DIR")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not OUT, reason="set SCREENSHOTS_DIR (make screenshots) to take the README's pictures"),
]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
DESK = {"viewport": {"width": 1366, "height": 768}}


def _shot(page, name: str, *, full_page: bool = False) -> None:
    Path(OUT).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(OUT) / f"{name}.png"), full_page=full_page)


def _demo_requests(dispatcher, handler, supervisor, unit):
    made = {}
    titles = {
        State.SUBMITTED: "小区门口路灯连续一周不亮",
        State.LISTED: "孩子入学需要准备哪些材料",
        State.HANDED_OVER: "经三路井盖缺失，夜里很危险",
        State.ACCEPTED: "楼上漏水到我家，物业不管",
        State.RESOLVED: "小区停水三天，一直没人处理",
    }
    for state, title in titles.items():
        made[state] = factories.request_in_state(
            state, dispatcher_user=dispatcher, handler_user=handler, supervisor_user=supervisor, lead=unit, title=title
        )
    return made


def test_the_readmes_pictures(live_server, browser):
    unit = factories.unit("金水区人民政府")
    dispatcher = factories.dispatcher(username="dispatcher")
    handler = factories.handler(unit, username="handler")
    supervisor = factories.supervisor(username="supervisor")
    made = _demo_requests(dispatcher, handler, supervisor, unit)

    phone = browser.new_context(locale="zh-CN", **PHONE).new_page()
    phone.goto(f"{live_server.url}/")
    assert "我要求助" in phone.content()
    _shot(phone, "citizen-home")
    phone.goto(f"{live_server.url}/help/new/")
    assert phone.locator("form").count()
    _shot(phone, "citizen-form", full_page=True)
    token = track_token_for(ticket_number=made[State.ACCEPTED].ticket_number)
    phone.goto(f"{live_server.url}/help/track/{token}/")
    assert made[State.ACCEPTED].ticket_number in phone.content()
    _shot(phone, "citizen-progress", full_page=True)
    phone.goto(f"{live_server.url}/stats/")
    assert "办理数据" in phone.content() or "stats" in phone.url
    _shot(phone, "public-stats", full_page=True)
    phone.context.close()

    desk = browser.new_context(locale="zh-CN", **DESK).new_page()
    staff_login(desk, live_server, dispatcher)
    desk.wait_for_selector("#workbench")
    _shot(desk, "staff-workbench")
    desk.click(f"#workbench [data-queue=to_list] a:has-text('{made[State.SUBMITTED].ticket_number}')")
    desk.wait_for_selector("#workflow-actions")
    _shot(desk, "staff-change-page", full_page=True)
    desk.context.close()
