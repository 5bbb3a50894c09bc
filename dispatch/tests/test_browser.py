"""Staff work a request through admin in headless Chromium; the citizen watches each public step."""

from __future__ import annotations

import pytest

from dispatch.tests import factories
from dispatch.tests.browser import staff_page
from requests_app.models import HelpRequest, State
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _act(page, action: str, fill: dict[str, str] | None = None, select: dict[str, str] | None = None) -> None:
    page.click(f"details[data-action={action}] summary")
    for name, value in (fill or {}).items():
        page.fill(f"[name='{action}-{name}']", value)
    for name, label in (select or {}).items():
        page.select_option(f"select[name='{action}-{name}']", label=label)
    page.click(f"button[name=submit-{action}]")
    page.wait_for_selector(".messagelist .success")


def test_dispatcher_handler_supervisor_and_the_citizen(live_server, browser):
    unit = factories.unit("金水区人民政府")
    dispatcher = factories.dispatcher(username="disp")
    handler = factories.handler(unit, username="hand")
    supervisor = factories.supervisor(username="sup")
    req = HelpRequestFactory(title="小区停水三天")
    change_url = f"{live_server.url}/admin/requests_app/helprequest/{req.pk}/change/"

    # Dispatcher: finds it in the worklist, lists it and hands it over (列单, 交单).
    page = staff_page(browser, live_server, dispatcher)
    page.goto(f"{live_server.url}/admin/requests_app/helprequest/")
    assert "待列单" in page.text_content("#result_list")
    page.click(f"text={req.ticket_number}")
    page.wait_for_url(change_url)
    _act(page, "list")
    _act(page, "hand_over", fill={"instructions": "请今天联系市民"}, select={"unit": "金水区人民政府"})
    assert "已交办至 金水区人民政府" in page.text_content("#events-group")
    page.context.close()

    # Handler of the lead unit: accepts and resolves (签收, 办结).
    page = staff_page(browser, live_server, handler)
    page.goto(change_url)
    assert req.phone in page.content()  # the lead unit must be able to call the citizen
    _act(page, "accept")
    _act(page, "add_note", fill={"note": "内部：已联系自来水公司"})
    _act(page, "resolve", fill={"result": "已协调自来水公司抢修，今日18时恢复供水。"})
    page.context.close()

    # Supervisor: closes it out (销号).
    page = staff_page(browser, live_server, supervisor)
    page.goto(change_url)
    _act(page, "close", fill={"note": "已电话回访，市民满意"})
    assert page.locator("details[data-action]").count() == 0
    page.context.close()

    req.refresh_from_db()
    assert req.state == State.CLOSED

    # The citizen's progress page shows each public step, and no internal note.
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/help/track/{track_token_for(ticket_number=req.ticket_number)}/")
    timeline = page.text_content("#timeline")
    for step in ("市民提交求助", "平台已受理", "已交办至 金水区人民政府", "金水区人民政府 已签收", "已办结",
                 "今日18时恢复供水", "已反馈办理结果，销号"):  # fmt: skip
        assert step in timeline, step
    assert "自来水公司抢修" in timeline
    assert "内部：" not in timeline
    assert "请今天联系市民" not in timeline
    assert page.text_content("#request-state").strip() == "已销号"
    context.close()
    assert HelpRequest.objects.get(pk=req.pk).events.filter(is_public=False).exists()
