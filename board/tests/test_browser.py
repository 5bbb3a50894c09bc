"""Browser journeys of the 问政 board, in Debian's Chromium, with axe-core on every board page.

A citizen consents at intake; staff approve the published text; another citizen, writing
the same problem, finds it on the form, adds 我也遇到; on 办结 both are told by SMS.
"""

from __future__ import annotations

import pytest

from board import services
from dispatch.models import Notification
from dispatch.tests import factories
from dispatch.tests.browser import staff_page
from dispatch.workflow import transition_apply
from requests_app.models import HelpRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consent_approve_find_at_intake_me_too_and_both_told(live_server, browser, phone_page, settings):
    settings.FORM_MIN_FILL_SECONDS = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    unit = factories.unit("金水区人民政府")
    dispatcher, handler = factories.dispatcher(username="d"), factories.handler(unit, username="h")
    page, url = phone_page, live_server.url

    # Citizen A files a request and ticks 公开我的诉求和答复.
    page.goto(url + "/help/new/")
    page.select_option("select[name=category]", label="民生")
    page.select_option("select[name=district]", label="金水区")
    page.fill("input[name=name]", "李四")
    page.fill("input[name=phone]", "13900001234")
    page.fill("input[name=title]", "小区停水三天")
    page.fill("textarea[name=content]", "金水区某小区从周一开始停水，至今没有恢复，老人孩子生活困难。")
    page.check("input[name=publish]")
    page.check("input[name=consent]")
    page.locator("#request-form button[type=submit]").click()
    page.wait_for_selector("#ticket-number")
    first = HelpRequest.objects.get()
    assert first.publish_consent

    # A dispatcher reads the redacted draft in admin's editor and approves it.
    desk = staff_page(browser, live_server, dispatcher)
    desk.goto(f"{url}/admin/board/pendingpublication/{first.pk}/change/")
    assert desk.input_value("#approve-form [name=title]") == "小区停水三天"
    assert "李四" not in desk.content() and "13900001234" not in desk.content()
    with desk.expect_navigation():
        desk.click("#approve-form input[name=approve]")
    assert first.ticket_number in desk.text_content(".messagelist")  # back on the queue: 已批准公开
    desk.context.close()
    for action, actor, params in (
        ("list", dispatcher, {}),
        ("hand_over", dispatcher, {"unit": unit}),
        ("accept", handler, {}),
    ):
        transition_apply(request_id=first.pk, action=action, actor=actor, **params)

    # Citizen B starts writing the same problem: the form shows the board request.
    page.context.clear_cookies()
    page.goto(url + "/help/new/")
    page.select_option("select[name=district]", label="金水区")
    page.fill("input[name=title]", "我们小区停水")
    page.fill("textarea[name=content]", "从周一开始停水三天了，一直没有恢复。")
    link = page.locator("#board-similar-list a")
    link.wait_for()
    assert "小区停水三天" in link.inner_text()
    link.click()
    page.wait_for_selector("#board-entry")
    assert "李四" not in page.content() and "13900001234" not in page.content()
    page.fill("#me-too-form input[name=phone]", "13700005678")
    page.locator("#me-too-form button[type=submit]").click()
    page.wait_for_selector("#messages")
    assert page.locator("#me-too-count").inner_text() == "1"
    assert page.console_errors == []  # the look-alike script runs under the CSP

    # 办结: A is asked to rate, B is told the outcome.
    transition_apply(request_id=first.pk, action="resolve", actor=handler, result="已恢复供水")
    told = set(
        Notification.objects.filter(channel="sms", event__to_state="resolved", request=first).values_list(
            "recipient", flat=True
        )
    )
    assert told == {"13900001234", "13700005678"}
    page.reload()
    assert page.locator("#board-state").inner_text() == "已办结"
    assert page.locator("#me-too-form").count() == 0


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_axe_violation_on_the_board_pages(live_server, axe_context, axe_violations, settings, language):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    unit = factories.unit("金水区人民政府")
    dispatcher = factories.dispatcher(username="d")
    req = factories.request_in_state(
        "accepted", dispatcher_user=dispatcher, lead=unit, publish_consent=True, title="小区停水三天"
    )
    services.publication_approve(
        help_request_id=req.pk, actor=dispatcher, **services.publication_draft(help_request=req)
    )
    axe_context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = axe_context.new_page()
    found = {}

    def check(name: str, path: str | None = None, status: int = 200) -> None:
        if path is not None:
            assert page.goto(live_server.url + path).status == status, name
        violations = axe_violations(page)
        if violations:
            found[name] = violations

    check("board", "/board/")
    check("board search, nothing found", "/board/?q=%E8%B7%AF%E7%81%AF")
    check("board entry with 我也遇到", f"/board/{req.ticket_number}/")
    page.fill("#me-too-form input[name=phone]", "123")
    page.locator("#me-too-form button[type=submit]").click()
    page.wait_for_selector("#me-too-error")
    check("我也遇到 with an error")
    page.goto(live_server.url + "/help/new/")
    page.fill("input[name=title]", "小区停水")
    page.fill("textarea[name=content]", "小区停水三天了，一直没有恢复。")
    page.locator("#board-similar-list").wait_for()
    check("form with look-alikes")
    assert found == {}
