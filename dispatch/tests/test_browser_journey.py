"""The dispatcher's journey, counted: from the login page to a new request listed and handed over.

Each page load is a document the browser loads (the `load` event of the page):
a POST answered by a redirect counts once, for the page it lands on. The goal
(issue 13) is at most 4 page loads and no typing beyond the note; the count is
reported in bench/RESULTS.md.
"""

from __future__ import annotations

import pytest
from django.apps import apps

from dispatch import queues
from dispatch.access import scope_of
from dispatch.models import RoutingRecord, Unit
from dispatch.reference_data import responsibility_rules_seed
from dispatch.tests import factories
from dispatch.tests.browser import staff_login
from requests_app.models import Event, HelpRequest, State
from requests_app.tests.factories import HelpRequestFactory, category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1366, "height": 768}
NOTE = "请今天联系市民"


class Journey:
    """A staff page that counts the documents it loads and the fields typed into."""

    def __init__(self, browser, live_server):
        self.base = live_server.url
        self.live_server = live_server
        self.context = browser.new_context(locale="zh-CN", viewport=SCREEN)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.loads: list[str] = []
        self.typed: list[str] = []
        self.page.on("load", lambda page: self.loads.append(page.url))

    def fill(self, selector: str, value: str) -> None:
        self.typed.append(selector)
        self.page.fill(selector, value)

    def login(self, user) -> None:
        staff_login(self.page, self.live_server, user)  # signing in is not counted as typing
        assert self.page.url == f"{self.base}/admin/"

    def open_next_to_list(self) -> None:
        """From the 工作台: the first (most urgent) request of 待列单."""
        with self.page.expect_navigation():
            self.page.click("[data-queue=to_list] ol li:first-child a")
        self.page.wait_for_selector("#workflow-actions")

    def submit(self, action: str) -> None:
        with self.page.expect_navigation():
            self.page.click(f"button[name=submit-{action}]")
        self.page.wait_for_selector(".messagelist .success")


def _desk():
    responsibility_rules_seed(apps)
    dispatcher = factories.dispatcher(username="disp")
    texts = [
        ("路口信号灯一直闪黄灯", "经三路纬五路十字路口的信号灯一直闪黄灯，早晚高峰车辆抢行，非常危险。"),
        ("农业路红绿灯坏了", "农业路文化路口的红绿灯不亮，交通很乱。"),
        ("花园路信号灯不亮", "花园路东风路口的信号灯晚上不亮。"),
    ]
    for title, content in texts:
        HelpRequestFactory(category=category("jiaotong"), title=title, content=content)
    ordered = list(queues.queue_requests(key="to_list", scope=scope_of(dispatcher)))
    return dispatcher, ordered, Unit.objects.get(name="郑州市公安局")


def _handed_over_as_suggested(req: HelpRequest, police: Unit) -> None:
    req.refresh_from_db()
    assert req.state == State.HANDED_OVER
    kinds = list(Event.objects.filter(request=req).order_by("created_at", "id").values_list("to_state", flat=True))
    assert kinds[-2:] == [State.LISTED, State.HANDED_OVER]
    record = RoutingRecord.objects.get(request=req)
    assert (record.chosen_unit, record.rank) == (police, 1)
    assert req.assignments.get(is_active=True, role="lead").instructions == NOTE


def test_list_and_hand_over_in_four_page_loads(live_server, browser):
    dispatcher, ordered, police = _desk()
    first, second = ordered[0], ordered[1]
    journey = Journey(browser, live_server)
    page = journey.page

    journey.login(dispatcher)  # 1: the login page, 2: the 工作台
    journey.open_next_to_list()  # 3: the request, opened from 待列单
    assert f"/helprequest/{first.pk}/change/" in page.url
    # 列单并交单 is open, the citizen's category filled in and the suggested unit pre-selected:
    # the dispatcher only types the note.
    form = page.locator("details[data-action=list_hand_over]")
    assert form.get_attribute("open") is not None
    assert page.input_value("select[name='list_hand_over-unit']") == str(police.pk)
    assert "规则：交通" in form.locator("#routing-hint").text_content()
    journey.fill("[name='list_hand_over-instructions']", NOTE)
    journey.submit("list_hand_over")  # 4: back on the request, listed and handed over

    assert len(journey.loads) == 4, journey.loads
    assert journey.typed == ["[name='list_hand_over-instructions']"]
    assert f"{first.ticket_number}：已列单并交单" in page.text_content(".messagelist")
    timeline = page.text_content("#events-group")
    assert "平台已受理，列入办理清单" in timeline and "已交办至 郑州市公安局" in timeline
    _handed_over_as_suggested(first, police)

    # 下一件: the next request waiting in 待列单, with the same form ready.
    with page.expect_navigation():
        page.click("#next-in-queue")
    assert f"/helprequest/{second.pk}/change/" in page.url
    assert page.locator("details[data-action=list_hand_over][open]").count() == 1

    # 确认并打开下一件: one page load per request from here on.
    loads = len(journey.loads)
    journey.fill("[name='list_hand_over-instructions']", NOTE)
    with page.expect_navigation():
        page.click("#submit-then-next")
    assert f"/helprequest/{ordered[2].pk}/change/" in page.url
    assert f"{second.ticket_number}：已列单并交单" in page.text_content(".messagelist")
    assert len(journey.loads) == loads + 1
    _handed_over_as_suggested(second, police)
    journey.context.close()


def test_the_two_step_journey_it_replaces(live_server, browser):
    """列单, then 交单 on the page that follows: what the desk took before, one page load more."""
    dispatcher, ordered, police = _desk()
    journey = Journey(browser, live_server)
    page = journey.page

    journey.login(dispatcher)
    journey.open_next_to_list()
    page.click("details[data-action=list] summary")
    journey.submit("list")
    page.click("details[data-action=hand_over] summary")
    assert page.input_value("select[name='hand_over-unit']") == str(police.pk)
    journey.fill("[name='hand_over-instructions']", NOTE)
    journey.submit("hand_over")

    assert len(journey.loads) == 5, journey.loads
    _handed_over_as_suggested(ordered[0], police)
    journey.context.close()


def test_a_changed_category_moves_the_suggested_unit(live_server, browser):
    """The citizen filed it under 教育; the dispatcher files it under 交通: the unit follows, still 4 loads."""
    responsibility_rules_seed(apps)
    dispatcher = factories.dispatcher(username="disp")
    req = HelpRequestFactory(category=category("jiaoyu"), title="学校门口信号灯坏了", content="学校门口的信号灯不亮。")
    school, police = Unit.objects.get(name="郑州市教育局"), Unit.objects.get(name="郑州市公安局")
    journey = Journey(browser, live_server)
    page = journey.page

    journey.login(dispatcher)
    journey.open_next_to_list()
    assert page.input_value("select[name='list_hand_over-unit']") == str(school.pk)
    traffic = category("jiaotong")
    page.select_option("select[name='list_hand_over-category']", str(traffic.pk))
    page.wait_for_selector(f"#routing-hint[data-category='{traffic.pk}']")
    assert page.input_value("select[name='list_hand_over-unit']") == str(police.pk)
    assert "规则：交通" in page.text_content("#routing-hint")
    journey.submit("list_hand_over")

    assert len(journey.loads) == 4, journey.loads
    req.refresh_from_db()
    assert (req.state, req.category) == (State.HANDED_OVER, traffic)
    record = RoutingRecord.objects.get(request=req)
    assert (record.chosen_unit, record.rank, record.source) == (police, 1, "rule")
    journey.context.close()


def test_the_desk_form_passes_axe(live_server, axe_context, axe_violations):
    """The 列单并交单 form and the hint above it: no axe-core violation of any impact."""
    dispatcher, ordered, _police = _desk()
    page = axe_context.new_page()
    page.set_viewport_size(SCREEN)
    staff_login(page, live_server, dispatcher)
    change = f"{live_server.url}/admin/requests_app/helprequest/{ordered[0].pk}/change/"
    page.goto(f"{change}?_changelist_filters=queue%3Dto_list")
    page.wait_for_selector("details[data-action=list_hand_over][open]")
    axe_violations(page)  # injects axe-core; Django admin's own markup is not ours to judge here
    ours = page.evaluate("() => axe.run('#workflow-actions', {resultTypes: ['violations']})")["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in ours] == []
