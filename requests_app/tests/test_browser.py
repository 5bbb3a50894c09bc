"""A citizen's journey in real headless Chromium on a phone-sized screen."""

import pytest

from requests_app.models import HelpRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_citizen_submits_on_a_phone_and_opens_the_progress_page(live_server, phone_page, settings):
    # A script types faster than any person; the fill-time check has its own tests.
    settings.FORM_MIN_FILL_SECONDS = 0
    page = phone_page
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="我要求助").first.click()
    page.wait_for_url("**/help/new/")

    page.select_option("select[name=category]", label="寻医买药")
    page.check("input[name=urgency][value=urgent]")
    page.select_option("select[name=district]", label="金水区")
    page.fill("input[name=name]", "李四")
    page.fill("input[name=phone]", "139 0000 1234")
    page.fill("input[name=title]", "透析病人需要就医通道")
    page.fill("textarea[name=content]", "家中老人需要每周三次透析，小区封控出不去，请帮忙协调就医。")
    # First try without consent: the message shows and nothing typed is lost.
    page.get_by_role("button", name="提交求助").click()
    page.wait_for_selector("text=请阅读并勾选同意隐私说明")
    assert page.input_value("input[name=title]") == "透析病人需要就医通道"
    assert HelpRequest.objects.count() == 0

    page.check("input[name=consent]")
    page.get_by_role("button", name="提交求助").click()
    page.wait_for_url("**/help/receipt/**")
    ticket = page.text_content("#ticket-number").strip()
    req = HelpRequest.objects.get()
    assert ticket == req.ticket_number
    assert page.locator(".qr svg").count() == 1
    assert "3小时内落实解决紧急问题" in page.content()

    page.click("#progress-link")
    page.wait_for_url("**/help/track/**")
    assert page.text_content("#request-state").strip() == "已提交"
    assert "李*" in page.text_content("#masked-contact")
    assert "139****1234" in page.text_content("#masked-contact")
    assert "市民提交求助" in page.text_content("#timeline")

    # And by number + phone from the lookup form.
    page.goto(live_server.url + "/help/track/")
    page.fill("input[name=ticket_number]", ticket)
    page.fill("input[name=phone]", "13900001234")
    page.get_by_role("button", name="查询").click()
    page.wait_for_selector("#timeline")
    assert ticket in page.content()
    # Every page ran under the strict Content-Security-Policy without a violation.
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []


def test_after_an_error_page_going_back_and_sending_again_stores_the_request_once(
    live_server, phone_page, settings, monkeypatch
):
    """The 500 page says: no ticket number seen, go back and send it again, it never makes a duplicate.

    The worst case for that promise: the request was stored, then the answer failed.
    """
    from requests_app import selectors

    settings.FORM_MIN_FILL_SECONDS = 0
    real = selectors.track_token_for
    calls = []

    def fails_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the answer fails after the request was stored")
        return real(**kwargs)

    monkeypatch.setattr(selectors, "track_token_for", fails_once)
    page = phone_page
    page.goto(live_server.url + "/help/new/")
    fields = {
        "input[name=name]": "李四",
        "input[name=phone]": "13900001234",
        "input[name=title]": "楼道灯坏了一个月",
        "textarea[name=content]": "三号楼二单元的楼道灯坏了一个月，晚上上下楼很危险，请帮忙修一下。",
    }

    def fill():
        page.select_option("select[name=category]", label="寻医买药")
        page.check("input[name=urgency][value=normal]")
        page.select_option("select[name=district]", label="金水区")
        for selector, value in fields.items():
            page.fill(selector, value)
        page.check("input[name=consent]")

    fill()
    page.get_by_role("button", name="提交求助").click()
    page.wait_for_selector("text=系统繁忙，请稍后再试")
    assert "看到求助编号" in page.content() and "重复提交不会产生重复的求助" in page.content()
    assert HelpRequest.objects.count() == 1  # stored, though the citizen saw no number

    page.go_back()
    page.wait_for_url("**/help/new/")
    if page.input_value("input[name=title]") != fields["input[name=title]"]:
        fill()  # a browser that does not restore what was typed: the citizen types it again
    page.get_by_role("button", name="提交求助").click()
    page.wait_for_url("**/help/receipt/**")
    req = HelpRequest.objects.get()  # still one
    assert page.text_content("#ticket-number").strip() == req.ticket_number
    assert len(calls) == 2
