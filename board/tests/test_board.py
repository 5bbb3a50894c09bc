"""The public board: search, filters, pages, and only what the one public view allows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from board import selectors
from helpdesk.tests.pages import html_of
from requests_app import services as request_services
from requests_app.models import District
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory, category, district

pytestmark = pytest.mark.django_db


def test_the_board_lists_approved_text_newest_first(client, consented, publish):
    first = publish(consented(title="路灯不亮"), title="经三路路灯不亮", content="经三路路灯不亮一周，夜间出行不安全。")
    second = publish(consented(title="停水"), title="小区停水", content="小区停水三天，请协调恢复供水。")
    html = html_of(client.get("/board/"), "问政板", "经三路路灯不亮", "小区停水")
    assert html.index(second.ticket_number) < html.index(first.ticket_number)


def test_chinese_search_matches_pairs_of_characters(client, consented, publish):
    publish(consented(), title="小区停水", content="小区停水三天，请协调恢复供水。")
    publish(consented(), title="路灯不亮", content="经三路路灯不亮一周，夜间出行不安全。")
    html = html_of(client.get("/board/", {"q": "停水"}), "小区停水")
    assert "路灯不亮" not in html
    html = html_of(client.get("/board/", {"q": "水停"}), "没有找到公开的诉求")
    assert "小区停水" not in html
    html_of(client.get("/board/", {"q": "灯"}), "路灯不亮")
    html_of(client.get("/board/", {"q": "路灯 夜间"}), "路灯不亮")


def test_district_and_channel_filters(client, consented, publish):
    publish(consented(district=district("jinshui")), title="金水区停水", content="金水区某小区停水三天了。")
    publish(
        consented(district=district("zhongyuan"), category=category("jiaotong")),
        title="中原区红绿灯",
        content="路口红绿灯坏了很多天。",
    )
    html = html_of(client.get("/board/", {"district": "zhongyuan"}), "中原区红绿灯")
    assert "金水区停水" not in html
    html = html_of(client.get("/board/", {"category": "minsheng"}), "金水区停水")
    assert "中原区红绿灯" not in html


def test_pages_without_counting_the_board(client, consented, publish, django_assert_max_num_queries):
    for n in range(selectors.PAGE_SIZE + 1):
        publish(consented(), title=f"停水{n}号", content="小区停水三天，请协调恢复供水。")
    with CaptureQueriesContext(connection) as queries:
        html = html_of(client.get("/board/"), "下一页")
    # The only count is 我也遇到 for the page's own rows: never one over the board.
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("board_metoo" in sql for sql in counts)
    assert html.count('class="bg-white p-3 rounded-3 shadow-sm mb-3 board-entry"') == selectors.PAGE_SIZE
    html = html_of(client.get("/board/", {"page": "2"}), "上一页")
    assert html.count("board-entry") == 1
    with django_assert_max_num_queries(6):
        client.get("/board/", {"q": "停水", "district": "jinshui", "page": "1"})


def test_a_withdrawn_consent_leaves_the_board_at_once(client, consented, publish):
    req = publish(consented(), title="小区停水", content="小区停水三天，请协调恢复供水。")
    html_of(client.get(f"/board/{req.ticket_number}/"), "小区停水")
    request_services.request_publish_consent_set(help_request=req, consent=False)
    assert client.get(f"/board/{req.ticket_number}/").status_code == 404
    html = html_of(client.get("/board/"), "没有找到公开的诉求")
    assert req.ticket_number not in html


def test_the_reply_shows_once_approved(client, resolved_consented, publish):
    req = resolved_consented()
    publish(req, reply="已协调供水公司，当日恢复供水。")
    html = html_of(client.get(f"/board/{req.ticket_number}/"), "单位答复", "已协调供水公司，当日恢复供水。", "已办结")
    assert 'id="me-too-form"' not in html  # resolved: nothing more to join


def test_districts_are_real(db):
    assert District.objects.filter(code="zhongyuan").exists()


def test_consent_given_later_puts_the_request_in_the_approval_queue(client):
    req = HelpRequestFactory(publish_consent=False)
    assert not selectors.publications_pending_qs().filter(pk=req.pk).exists()
    token = track_token_for(ticket_number=req.ticket_number)
    client.post(f"/help/track/{token}/publication/", {"consent": "1"})
    assert selectors.publications_pending_qs().filter(pk=req.pk).exists()
