"""The knowledge base at intake in real headless Chromium: answered without a ticket, an emergency, a redirection."""

import pytest

from kb.models import DirectAnswer
from kb.tests import factories
from requests_app.models import HelpRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _type_question(page, title: str, content: str) -> None:
    page.select_option("select[name=category]", label="民生")
    # Typed like a person (input events), so the form's script asks for advice as they type.
    page.locator("input[name=title]").press_sequentially(title)
    page.locator("textarea[name=content]").press_sequentially(content)


def test_a_question_is_answered_at_intake_without_a_ticket(live_server, phone_page):
    water = factories.answer()
    page = phone_page
    page.goto(live_server.url + "/help/new/")
    _type_question(page, "小区停水了", "我们楼一天都没水了，什么时候来水？")
    page.wait_for_selector("#answer-suggestions")
    assert water.question in page.text_content("#answer-suggestions")
    assert "0371-67449999" in page.text_content("#answer-suggestions .answer-body")
    page.get_by_role("button", name="这解决了我的问题").first.click()
    page.wait_for_selector("#solved-thanks")
    assert "本次未生成求助件" in page.text_content("#solved-thanks")
    assert DirectAnswer.objects.filter(answer=water).count() == 1
    assert HelpRequest.objects.count() == 0
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []


def test_an_emergency_phrase_shows_the_notice_first(live_server, phone_page):
    factories.answer()
    page = phone_page
    page.goto(live_server.url + "/help/new/")
    _type_question(page, "我爸突然晕倒了", "家里老人晕倒了叫不醒，小区封控出不去")
    notice = page.wait_for_selector("#emergency-notice")
    assert "120" in notice.text_content() and "110" in notice.text_content() and "119" in notice.text_content()
    assert page.locator("#emergency-notice a[href='tel:120']").is_visible()
    # Above the form and any other advice.
    assert notice.bounding_box()["y"] < page.locator("#request-form").bounding_box()["y"]
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []


def test_a_consumer_dispute_shows_the_redirection_and_may_still_be_submitted(live_server, phone_page, settings):
    settings.FORM_MIN_FILL_SECONDS = 0
    factories.consumer_rule()
    page = phone_page
    page.goto(live_server.url + "/help/new/")
    _type_question(page, "网购买到假货商家不给退款", "在网上买的电饭锅是假货，商家拒绝退货退款，请帮忙。")
    page.wait_for_selector(".redirect-notice")
    text = page.text_content(".redirect-notice")
    assert "12315" in text and "您仍然可以在本平台提交求助" in text
    assert page.locator(".redirect-notice a[href='tel:12315']").is_visible()
    # The citizen still submits: the advice was seen as they typed, so one submit goes through.
    page.check("input[name=urgency][value=normal]")
    page.select_option("select[name=district]", label="金水区")
    page.fill("input[name=name]", "李四")
    page.fill("input[name=phone]", "13900001234")
    page.check("input[name=consent]")
    page.get_by_role("button", name="提交求助").click()
    page.wait_for_url("**/help/receipt/**")
    assert HelpRequest.objects.count() == 1
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
