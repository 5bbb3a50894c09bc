"""我也遇到 feeds the surge rule and the surge pages: each join counts like one more request.

board registers `selectors.me_too_times` with `dispatch.joins` in `BoardConfig.ready()`;
dispatch never imports board.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from board.models import MeToo
from board.services import me_too_add
from dispatch import joins
from dispatch.models import Surge
from dispatch.surges.rule import predictive_tail
from dispatch.surges.services import surges_detect
from helpdesk.tests.pages import html_of
from requests_app.tests.factories import HelpRequestFactory, category, district

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)  # a Tuesday, 18:00 in Zhengzhou
WATER = ("金水路小区突然停水", "金水路一带今天下午突然停水，没有提前通知，家里老人做不了饭，请尽快恢复供水。")


@pytest.fixture(autouse=True)
def rule_settings(settings):
    settings.SURGE_WINDOW_SECONDS = 2 * 3600
    settings.SURGE_BASELINE_WEEKS = 4
    settings.SURGE_THRESHOLD = 1e-3
    settings.SURGE_MIN_SIZE = 5
    settings.SURGE_BASELINE_FLOOR = 0.5


def submit(at, **kwargs):
    return HelpRequestFactory(
        title=WATER[0], content=WATER[1], district=district("jinshui"), category=category("minsheng"), now=at, **kwargs
    )


def join(req, n, *, at, first_phone=13900000000):
    for i in range(n):
        phone = str(first_phone + i)
        MeToo.objects.create(request=req, phone=phone, phone_hash=f"h{req.pk}-{phone}", created_at=at)


@pytest.fixture
def on_board(staff, publish):
    """Three similar requests in the last 20 minutes, the first consented and on the board."""
    first = publish(submit(NOW - dt.timedelta(minutes=20), publish_consent=True))
    return [first, submit(NOW - dt.timedelta(minutes=15)), submit(NOW - dt.timedelta(minutes=10))]


def test_board_registers_its_me_too_as_the_detectors_joins(on_board):
    assert joins.joins_of(request_ids=[on_board[0].pk]) == {}
    me_too_add(ticket_number=on_board[0].ticket_number, phone="13912345678", now=NOW - dt.timedelta(minutes=5))
    found = joins.joins_of(request_ids=[r.pk for r in on_board])
    assert found == {on_board[0].pk: [NOW - dt.timedelta(minutes=5)]}
    assert joins.joins_of(request_ids=[on_board[0].pk], since=NOW - dt.timedelta(minutes=5)) == {}


def test_each_me_too_counts_like_one_more_request(on_board):
    assert surges_detect(now=NOW).flagged == []  # three requests alone are below the minimum of five
    for i in range(4):
        me_too_add(
            ticket_number=on_board[0].ticket_number, phone=f"1391234567{i}", now=NOW - dt.timedelta(minutes=8 - i)
        )
    result = surges_detect(now=NOW)
    assert len(result.flagged) == 1
    surge = Surge.objects.get()
    assert (surge.observed, surge.joins, surge.window_seconds) == (3, 4, 1800)
    assert surge.tail_probability == pytest.approx(predictive_tail(7, 2, 4))  # λ: the floor, 0.5
    assert surge.summary == "金水区 · 民生 · 3 件 + 4 人也遇到 / 30 分钟，平时 0.5 件"
    assert set(surge.members.values_list("pk", flat=True)) == {r.pk for r in on_board}  # joins are no members


def test_joins_outside_the_window_do_not_count(on_board):
    join(on_board[0], 4, at=NOW - dt.timedelta(hours=3))  # before the window (impossible for a new request,
    join(on_board[1], 4, at=NOW + dt.timedelta(minutes=1))  # but a replay's `now` sees the future too)
    assert surges_detect(now=NOW).flagged == []


def test_past_joins_count_in_the_baseline_too(on_board):
    """Where 我也遇到 on such requests is usual at this hour, the same count is no surge."""
    for week in range(1, 5):
        past = submit(NOW - dt.timedelta(weeks=week, minutes=12))
        join(past, 6, at=NOW - dt.timedelta(weeks=week, minutes=10))
    join(on_board[0], 4, at=NOW - dt.timedelta(minutes=5))
    assert surges_detect(now=NOW).flagged == []  # 7 where 7 a week are usual


def test_a_surge_grows_its_numbers_with_joins_alone(on_board):
    join(on_board[0], 3, at=NOW - dt.timedelta(minutes=5))
    surges_detect(now=NOW)
    surge = Surge.objects.get()
    assert (surge.observed, surge.joins) == (3, 3)
    join(on_board[0], 6, at=NOW + dt.timedelta(minutes=2), first_phone=13700000000)
    surges_detect(now=NOW + dt.timedelta(minutes=5))
    surge.refresh_from_db()
    assert (surge.observed, surge.joins, surge.members.count()) == (3, 9, 3)


def test_dashboard_and_surge_admin_show_the_me_too_count(client, staff, on_board, django_assert_max_num_queries):
    join(on_board[0], 4, at=NOW - dt.timedelta(minutes=5))
    surges_detect(now=NOW)
    surge = Surge.objects.get()
    client.force_login(staff.supervisor)
    html = html_of(client.get(reverse("admin:dispatch_dashboard")), 'id="surges"')
    panel = html.split('id="surges"', 1)[1].split("</table>", 1)[0]
    assert "3 件 + 4 人也遇到 / 30 分钟" in panel and '<td class="me-too">4</td>' in panel
    assert "每个“我也遇到”按一件计" in html
    changelist = html_of(client.get(reverse("admin:dispatch_surge_changelist")), "3 件 + 4 人也遇到")
    assert '<td class="field-me_too_column">4</td>' in changelist
    page = html_of(client.get(reverse("admin:dispatch_surge_change", args=[surge.pk])), 'id="surge-members"')
    rows = page.split('id="surge-members"', 1)[1]
    assert f'data-request="{on_board[0].pk}"' in rows
    first_row = rows.split(f'data-request="{on_board[0].pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="me-too">4</td>' in first_row
    assert "7 件或更多的概率" in page and "其中 4 件是市民在问政板上" in page
    # The list's 我也遇到 column costs the same few queries for any number of surges.
    with django_assert_max_num_queries(12):
        client.get(reverse("admin:dispatch_surge_changelist"))
