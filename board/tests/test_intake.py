"""At intake, before submitting: open board requests that read like the one being written."""

import pytest

from helpdesk.tests.pages import html_of
from requests_app.tests.factories import district

pytestmark = pytest.mark.django_db


def test_the_form_links_the_board_and_asks_for_look_alikes(client):
    html = html_of(
        client.get("/help/new/"), "先看看问政板", 'id="board-similar"', "/board/similar/", "board-similar.js"
    )
    assert 'href="/board/"' in html


def test_look_alikes_are_open_board_requests_that_read_the_same(client, consented, publish, resolved_consented):
    water = publish(consented(), title="小区停水三天", content="金水区某小区从周一开始停水，至今没有恢复。")
    publish(consented(), title="路灯不亮", content="经三路路灯不亮一周，夜间出行不安全。")
    publish(resolved_consented(title="停水", content="小区停水，已经恢复了。"), title="小区停水", content="小区停水。")
    hidden = consented(title="小区停水三天了", content="我们小区停水三天，至今没有恢复供水。")  # not approved
    response = client.post(
        "/board/similar/",
        {
            "title": "我家小区停水",
            "content": "从周一开始停水三天了，一直没有恢复。",
            "district": district("jinshui").pk,
        },
    )
    html = html_of(response, "我也遇到", f"/board/{water.ticket_number}/")
    assert "路灯不亮" not in html and hidden.ticket_number not in html
    assert html.count("<li>") == 1  # the resolved one has nothing left to join


def test_nothing_alike_shows_nothing(client, consented, publish):
    publish(consented(), title="小区停水三天", content="金水区某小区从周一开始停水，至今没有恢复。")
    response = client.post("/board/similar/", {"title": "孩子入学咨询", "content": "想了解报名需要的材料。"})
    assert response.status_code == 200 and response.content.decode().strip() == ""


def test_look_alikes_are_posted_never_asked_for_in_a_url(client):
    assert client.get("/board/similar/", {"title": "小区停水"}).status_code == 405
