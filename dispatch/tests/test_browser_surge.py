"""A surge in the browser: citizens file alike requests, `detect_surges` flags them, the supervisor
merges them into one lead from the dashboard, one reply on the lead reaches every citizen."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from dispatch.models import Surge
from dispatch.tests import factories
from dispatch.tests.browser import staff_page
from dispatch.tests.test_browser import _act
from dispatch.workflow import transition_apply
from requests_app.models import HelpRequest, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Six citizens about one water cut, each in their own words.
WORDINGS = [
    ("金水路停水了", "金水路一带从中午开始停水，到现在还没来水，也没有看到停水通知。"),
    ("金水路家里没水", "金水路今天突然停水了，做饭洗漱都不行，请问什么时候恢复供水？"),
    ("金水路突然停水", "金水路附近突然停水，问物业说是市政管道的问题，请尽快抢修。"),
    ("停水没有通知", "金水路这边停水没有任何通知，老人孩子在家很不方便。"),
    ("金水路小区停水", "我们金水路小区全楼停水好几个小时了，供水公司电话打不通。"),
    ("停水问题", "反映金水路停水问题，从上午到现在一直没有水。"),
]
REPLY = "金水路供水管道爆裂已抢修完毕，今日18时起恢复供水。"


def _submit(page, base: str, *, title: str, content: str, phone: str) -> str:
    page.context.clear_cookies()
    page.goto(f"{base}/help/new/")
    page.select_option("select[name=category]", label="民生")
    page.select_option("select[name=district]", label="金水区")
    page.fill("input[name=name]", "王五")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=title]", title)
    page.fill("textarea[name=content]", content)
    page.check("input[name=consent]")
    page.get_by_role("button", name="提交求助").click()
    page.wait_for_url("**/help/receipt/**")
    return page.text_content("#ticket-number").strip()


def test_a_surge_is_flagged_merged_in_one_step_and_answered_with_one_reply(
    live_server, browser, phone_page, settings, capsys
):
    settings.FORM_MIN_FILL_SECONDS = 0
    # Six in a quiet channel: a surge with a lower threshold (the defaults' figures: bench/RESULTS.md).
    settings.SURGE_THRESHOLD = 1e-3
    settings.SURGE_BASELINE_FLOOR = 0.5
    unit = factories.unit("金水区人民政府")
    dispatcher = factories.dispatcher(username="disp")
    handler = factories.handler(unit, username="hand")
    supervisor = factories.supervisor(username="sup", email="sup@example.gov.cn")

    citizens = []
    for i, (title, content) in enumerate(WORDINGS):
        phone = f"1390000{i:04d}"
        citizens.append((_submit(phone_page, live_server.url, title=title, content=content, phone=phone), phone))
    assert HelpRequest.objects.count() == len(WORDINGS)

    call_command("detect_surges")
    assert "flagged=1" in capsys.readouterr().out
    surge = Surge.objects.get()

    # The supervisor sees it on the dashboard, opens it and merges the members into the first.
    page = staff_page(browser, live_server, supervisor)
    page.goto(live_server.url + reverse("admin:dispatch_dashboard"))
    row = page.locator(f"#surges tr[data-surge='{surge.pk}']")
    assert "金水区 · 民生 · 6 件" in row.inner_text()
    with page.expect_navigation():
        row.locator("a").click()
    assert page.locator("#surge-members tbody tr").count() == len(WORDINGS)
    lead_number = citizens[0][0]
    lead = HelpRequest.objects.get(ticket_number=lead_number)
    assert page.locator(f"#lead-{lead.pk}").is_checked()  # the first member is proposed as the lead
    with page.expect_navigation():
        page.click("#surge-merge button[name=merge]")
    assert "已将 5 件并入主件" in page.text_content(".messagelist .success")
    assert page.text_content("#surge-state").strip() == "已并单"
    page.context.close()
    assert HelpRequest.objects.filter(state=State.DUPLICATE, duplicate_of=lead).count() == len(WORDINGS) - 1

    # The lead is handed over; its unit replies once.
    transition_apply(request_id=lead.pk, action="list", actor=dispatcher)
    transition_apply(request_id=lead.pk, action="hand_over", actor=dispatcher, unit=unit)
    transition_apply(request_id=lead.pk, action="accept", actor=handler)
    page = staff_page(browser, live_server, handler)
    page.goto(f"{live_server.url}/admin/requests_app/helprequest/{lead.pk}/change/")
    _act(page, "resolve", fill={"result": REPLY})
    page.context.close()

    # Every citizen finds the reply on their progress page, by ticket number and phone.
    for number, phone in citizens:
        phone_page.context.clear_cookies()
        phone_page.goto(live_server.url + "/help/track/")
        phone_page.fill("input[name=ticket_number]", number)
        phone_page.fill("input[name=phone]", phone)
        phone_page.get_by_role("button", name="查询").click()
        phone_page.wait_for_selector("#timeline")
        assert number in phone_page.content()
        assert REPLY in phone_page.text_content("#timeline"), number
    assert [e for e in phone_page.console_errors if "Content Security Policy" in e] == []
