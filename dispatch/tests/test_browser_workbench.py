"""Staff pages in headless Chromium at 1366 x 768, a common office screen: the 工作台 and the worklist."""

from __future__ import annotations

import pytest

from dispatch.tests import factories
from requests_app.models import State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Cells of the worklist that wrap onto a third line, and whether the list scrolls sideways.
LAYOUT = """() => {
  const results = document.querySelector("#changelist .results");
  const tall = [...document.querySelectorAll("#result_list tbody td, #result_list tbody th")]
    .filter(c => { const s = getComputedStyle(c);
      return c.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom) > 2.5 * parseFloat(s.fontSize); })
    .map(c => c.className + ": " + c.innerText.slice(0, 20));
  return {page: document.scrollingElement.scrollWidth, list: results.scrollWidth - results.clientWidth, tall};
}"""


def test_dispatcher_goes_from_the_workbench_to_a_readable_worklist(live_server, browser, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    unit = factories.unit("金水区人民政府")
    dispatcher = factories.dispatcher(username="disp")
    for title in ("小区门口的路灯坏了一个多月晚上出行很不方便老人摔倒过请尽快修复", "停水", "噪音扰民"):
        factories.HelpRequestFactory(title=title)
    factories.request_in_state(
        State.RETURNED,
        dispatcher_user=dispatcher,
        handler_user=factories.handler(unit, username="h"),
        supervisor_user=factories.supervisor(username="s"),
        lead=unit,
    )
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "disp")
    page.fill("#id_password", factories.PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#workbench")
    assert page.text_content("tr[data-queue=to_list] td.count").strip() == "3"
    assert page.text_content("tr[data-queue=to_hand_over] td.count").strip() == "1"

    page.click("tr[data-queue=to_list] th a")
    page.wait_for_selector("#result_list")
    layout = page.evaluate(LAYOUT)
    assert layout["page"] <= 1366 and layout["list"] <= 0 and layout["tall"] == [], layout
    # The long title is clipped to one line; the whole of it is on hover.
    assert page.locator("#result_list .cell-clip[title^='小区门口的路灯坏了']").count() == 1
    context.close()
