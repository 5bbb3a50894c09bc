"""Duplicate suggestions at 列单: Chinese text similarity, the candidates' window and scope, one-click 并单."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dispatch import access, similar
from dispatch.tests.data.labelled import duplicate_pairs
from dispatch.textsim import char_set, request_similarity
from dispatch.workflow import transition_apply
from requests_app.models import Event, HelpRequest, State
from requests_app.tests.factories import HelpRequestFactory, district

pytestmark = pytest.mark.django_db

LIGHT = ("路灯不亮", "花园路锦艺城小区附近的路灯已经一个多星期不亮了，晚上出门一片漆黑，请尽快维修。")
LIGHT_AGAIN = ("路灯坏了好几天", "我住在花园路锦艺城小区，门口这段路的路灯从上周开始就坏了，晚上走路很危险。")
NOISE_SAME_STREET = ("广场舞噪音扰民", "花园路锦艺城小区的广场舞每天晚上音响开得特别大，影响居民休息。")


def _req(title_content, **kwargs) -> HelpRequest:
    title, content = title_content
    return HelpRequestFactory(title=title, content=content, **kwargs)


def test_characters_not_words():
    assert char_set("交通信号灯坏了，！ OK") == frozenset("交通信号灯坏了ok")
    dup = request_similarity(*LIGHT, *LIGHT_AGAIN)
    near_miss = request_similarity(*LIGHT, *NOISE_SAME_STREET)
    assert dup >= similar.THRESHOLD > near_miss
    assert request_similarity(*LIGHT, *LIGHT) == pytest.approx(1.0)
    assert request_similarity("", "", *LIGHT) == 0.0


def test_precision_and_recall_on_the_labelled_pairs():
    """A guard against regressions of the scoring (the figures themselves are in bench/RESULTS.md)."""
    pairs = duplicate_pairs()
    hits = [(request_similarity(p["a"]["title"], p["a"]["content"], p["b"]["title"], p["b"]["content"])
             >= similar.THRESHOLD, p["label"]) for p in pairs]  # fmt: skip
    tp = sum(1 for h, label in hits if h and label)
    fp = sum(1 for h, label in hits if h and not label)
    fn = sum(1 for h, label in hits if not h and label)
    assert tp / (tp + fp) >= 0.9
    assert tp / (tp + fn) >= 0.8


def test_suggests_recent_alike_requests_of_the_same_district_best_first(staff):
    scope = access.scope_of(staff.dispatcher)
    with time_machine.travel(timezone.now() - dt.timedelta(days=31)):
        _req(LIGHT_AGAIN)  # too old
    dup = _req(LIGHT_AGAIN)
    exact = _req(LIGHT)
    _req(NOISE_SAME_STREET)  # same street, another problem
    _req(LIGHT, district=district("erqi"))  # another district
    invalid = _req(LIGHT)
    transition_apply(request_id=invalid.pk, action="mark_invalid", actor=staff.dispatcher, reason="测试信息")
    req = _req(LIGHT)
    found = similar.requests_similar(help_request=req, scope=scope)
    assert [s.request.pk for s in found] == [exact.pk, dup.pk]
    assert found[0].percent == 100
    assert found[0].score > found[1].score >= similar.THRESHOLD
    # A longer window finds the old one too.
    longer = similar.requests_similar(help_request=req, scope=scope, window_days=40)
    assert len(longer) == 3


def test_at_most_five(staff):
    for _ in range(7):
        _req(LIGHT)
    found = similar.requests_similar(help_request=_req(LIGHT), scope=access.scope_of(staff.dispatcher))
    assert len(found) == similar.LIMIT == 5


def test_only_requests_the_user_may_see(staff, make_request):
    mine = make_request(State.HANDED_OVER, title=LIGHT[0], content=LIGHT[1])
    _req(LIGHT)  # not handed over to anyone: the handler may not see it
    req = make_request(State.HANDED_OVER, title=LIGHT[0], content=LIGHT[1])
    found = similar.requests_similar(help_request=req, scope=access.scope_of(staff.handler_a))
    assert [s.request.pk for s in found] == [mine.pk]
    assert similar.requests_similar(help_request=req, scope=access.scope_of(staff.nobody)) == []


def _change(client, req):
    return client.get(reverse("admin:requests_app_helprequest_change", args=[req.pk]))


def test_triage_page_lists_duplicates_and_merges_in_one_click(client, staff, django_assert_max_num_queries):
    main = _req(LIGHT_AGAIN)
    _req(NOISE_SAME_STREET)
    req = _req(LIGHT)
    client.force_login(staff.dispatcher)
    # 28: the page also carries 列单并交单: the routing suggestion (returned units, rules, history)
    # and its category and unit selects, a fixed number of queries (was 22 without it).
    with django_assert_max_num_queries(28):
        response = _change(client, req)
    assert response.status_code == 200
    html = response.content.decode()
    hints = re.search(r'<div class="duplicate-hints".*?</div>', html, re.S).group(0)
    assert main.ticket_number in hints
    assert "广场舞" not in hints
    assert re.search(r"\d+%", hints)

    # 并单: the hint's own form posts the mark_duplicate action with the main request filled in.
    action = reverse("admin:requests_app_helprequest_action", args=[req.pk, "mark_duplicate"])
    assert f'action="{action}"' in hints
    response = client.post(action, {"mark_duplicate-duplicate_of": main.ticket_number, "mark_duplicate-note": ""})
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.state, req.duplicate_of_id) == (State.DUPLICATE, main.pk)
    assert Event.objects.filter(request=req, to_state=State.DUPLICATE, data__duplicate_of=main.ticket_number).exists()


def test_no_duplicate_panel_once_handed_over(client, staff, make_request):
    _req(LIGHT)
    req = make_request(State.HANDED_OVER, title=LIGHT[0], content=LIGHT[1])
    client.force_login(staff.dispatcher)
    response = _change(client, req)
    assert response.status_code == 200
    html = response.content.decode()
    assert req.ticket_number in html
    assert 'id="workflow-actions"' in html
    assert "duplicate-hints" not in html


def test_handlers_never_see_the_panel(client, staff, make_request):
    req = make_request(State.HANDED_OVER, title=LIGHT[0], content=LIGHT[1])
    _req(LIGHT)
    client.force_login(staff.handler_a)
    response = _change(client, req)
    assert response.status_code == 200
    assert 'id="workflow-actions"' in response.content.decode()
    assert "duplicate-hints" not in response.content.decode()
