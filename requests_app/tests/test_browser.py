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
