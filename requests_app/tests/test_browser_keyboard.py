"""Keyboard only, and the 长辈版, in real headless Chromium.

A citizen who uses no mouse submits a request and looks it up with Tab,
Space, Enter (arrow keys in a list) and typing: every stop shows its focus,
and the errors are announced and tied to their fields. The 长辈版 is one
button on every public page, remembered, and works without JavaScript: base
text at least 18 px, controls at least 44 px, no sideways scrolling at 360 px.
"""

from __future__ import annotations

import pytest

from requests_app.models import HelpRequest
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What has the focus, and whether a person can see it (a 2 px or thicker outline).
FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  return {
    tag: e.tagName, id: e.id, name: e.getAttribute("name"), text: (e.innerText || "").trim().slice(0, 40),
    visible: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2 && r.width > 0 && r.height > 0,
  };
}"""


def _tab_to(page, selector: str, limit: int = 60) -> dict:
    """Tab until `selector` has the focus; every element passed on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        assert focus is not None and focus["visible"], f"focus not visible on {focus}"
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return focus
    raise AssertionError(f"{selector} not reached by Tab")


def _choose(page, label: str) -> None:
    """In the focused <select>, move with the arrow keys to the option labelled `label`."""
    steps = page.evaluate(
        "(label) => { const s = document.activeElement;"
        " return [...s.options].findIndex(o => o.label === label) - s.selectedIndex; }",
        label,
    )
    assert steps >= 0
    for _ in range(steps):
        page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.selectedOptions[0].label") == label


def test_keyboard_only_citizen_submits_and_looks_up(live_server, browser, settings):
    settings.FORM_MIN_FILL_SECONDS = 0
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/")

    # The first stop skips the header, and is visible when focused.
    focus = _tab_to(page, ".skip-link", limit=1)
    assert focus["text"] == "跳到主要内容"
    _tab_to(page, "main a[href='/help/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/help/new/")

    _tab_to(page, "select[name=category]")
    _choose(page, "寻医买药")
    _tab_to(page, "input[name=urgency]")
    page.keyboard.press("ArrowRight")  # 一般 -> 紧急: arrows move the choice in a radio group
    assert page.is_checked("input[name=urgency][value=urgent]")
    _tab_to(page, "select[name=district]")
    _choose(page, "金水区")
    _tab_to(page, "input[name=name]")
    page.keyboard.type("李四")
    _tab_to(page, "input[name=phone]")
    page.keyboard.type("13900001234")
    _tab_to(page, "input[name=title]")
    page.keyboard.type("独居老人需要送药")
    _tab_to(page, "textarea[name=content]")
    page.keyboard.type("老人行动不便，常用的降压药明天就吃完了，请帮忙联系社区送药。")
    # Forgot the consent box: submit with Enter on the button.
    _tab_to(page, "#request-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#form-errors")

    # The error summary is announced and has the focus; the field says what is wrong, and why.
    assert page.evaluate("document.activeElement.id") == "form-errors"
    summary = page.locator("#form-errors")
    assert summary.get_attribute("role") == "alert" and summary.get_attribute("aria-live") == "assertive"
    assert "请阅读并勾选同意隐私说明后再提交" in summary.text_content()
    consent = page.locator("input[name=consent]")
    assert consent.get_attribute("aria-invalid") == "true"
    described = consent.get_attribute("aria-describedby").split()
    assert any("请阅读并勾选同意隐私说明" in page.locator(f"#{i}").text_content() for i in described)
    assert page.input_value("input[name=title]") == "独居老人需要送药"
    assert HelpRequest.objects.count() == 0

    # The summary's link takes the focus to the field; Space ticks it, Enter on the button sends.
    _tab_to(page, "#form-errors a")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "consent"
    page.keyboard.press("Space")
    assert page.is_checked("input[name=consent]")
    _tab_to(page, "#request-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/help/receipt/**")
    ticket = page.text_content("#ticket-number").strip()
    assert HelpRequest.objects.get().ticket_number == ticket

    # And looks it up by number and phone, still by keyboard.
    _tab_to(page, "nav a[href='/help/track/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/help/track/")
    _tab_to(page, "input[name=ticket_number]")
    page.keyboard.type(ticket)
    _tab_to(page, "input[name=phone]")
    page.keyboard.type("13900001234")
    page.keyboard.press("Enter")
    page.wait_for_selector("#timeline")
    assert page.text_content("#request-state").strip() == "已提交"
    context.close()


# Every text and control as a person sees it: sizes in CSS px, sideways scrolling.
MEASURE = """() => {
  const small = [], tiny = [];
  const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 1 && r.height > 1
    && getComputedStyle(e).visibility !== "hidden" && !e.closest(".hp-field, .visually-hidden, svg"); };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (n.textContent.trim() && e && shown(e) && parseFloat(getComputedStyle(e).fontSize) < 18)
      small.push(`${e.tagName}.${e.className}: ${n.textContent.trim().slice(0, 20)}`);
  }
  for (const e of document.querySelectorAll("a.btn, button, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea, .form-check")) {
    if (shown(e) && e.getBoundingClientRect().height < 44) tiny.push(`${e.tagName}.${e.className} ${e.getAttribute("name") || ""}`);
  }
  return {
    large: document.documentElement.classList.contains("text-large"),
    base: parseFloat(getComputedStyle(document.body).fontSize),
    small, tiny, scroll: document.scrollingElement.scrollWidth,
  };
}"""


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_elder_mode_on_every_public_page_at_360px(live_server, browser, settings, javascript):
    settings.FORM_MIN_FILL_SECONDS = 0
    req = HelpRequestFactory(phone="13900001234")
    token = track_token_for(ticket_number=req.ticket_number)
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    url = live_server.url
    page.goto(url + "/help/track/?ticket_number=" + req.ticket_number)
    assert page.evaluate(MEASURE)["scroll"] <= 360
    page.get_by_role("button", name="长辈版（大字）").click()
    # Back on the same page, now in large text, and remembered for the next ones.
    page.wait_for_selector("html.text-large")
    assert page.url == url + "/help/track/?ticket_number=" + req.ticket_number
    assert page.get_by_role("button", name="退出长辈版").count() == 1

    pages = {
        "home": "/",
        "form": "/help/new/",
        "receipt": f"/help/receipt/{token}/",
        "lookup": "/help/track/",
        "progress": f"/help/track/{token}/",
        "stats": "/stats/",
        "poster": "/poster/",
        "404": "/no-such-page/",
    }
    problems = {}
    for name, path in pages.items():
        page.goto(url + path)
        m = page.evaluate(MEASURE)
        if not (m["large"] and m["base"] >= 18 and not m["small"] and not m["tiny"] and m["scroll"] <= 360):
            problems[name] = m
    page.goto(url + "/help/new/")
    page.locator("#request-form button[type=submit]").click()
    page.wait_for_selector("#form-errors")
    m = page.evaluate(MEASURE)
    if m["small"] or m["tiny"] or m["scroll"] > 360:
        problems["form with errors"] = m
    assert problems == {}

    page.get_by_role("button", name="退出长辈版").click()
    page.wait_for_selector("#request-form")
    assert page.evaluate("document.documentElement.classList.contains('text-large')") is False
    context.close()
