"""The 工作台 (admin index): each role's queues with counts and the most urgent requests, and 下一件."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch import queues
from dispatch.access import scope_of
from helpdesk.tests.pages import html_of
from requests_app.clock import request_clock_refresh
from requests_app.models import Deadline, State

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
CHANGELIST = reverse("admin:requests_app_helprequest_changelist")


def _tile(html: str, key: str) -> str:
    match = re.search(rf'<article class="workbench-tile[^"]*" data-queue="{key}">(.*?)</article>', html, re.S)
    assert match, f"no {key} tile"
    return match.group(1)


def _count(tile: str) -> str:
    return re.search(r'<span class="workbench-count">([^<]+)</span>', tile).group(1)


def test_a_dispatcher_sees_their_queues_with_counts_and_the_most_urgent_first(client, staff, make_request):
    late, soon = make_request(State.SUBMITTED), make_request(State.SUBMITTED)
    listed, returned = make_request(State.LISTED), make_request(State.RETURNED)
    handed = make_request(State.HANDED_OVER)
    now = timezone.now()
    Deadline.objects.filter(request=late, kind="contact").update(due_at=now - dt.timedelta(minutes=5))
    Deadline.objects.filter(request=soon, kind="contact").update(due_at=now + dt.timedelta(minutes=5))
    request_clock_refresh(request_ids=[late.pk, soon.pk])  # the rows were written past the services
    client.force_login(staff.dispatcher)
    html = html_of(client.get(INDEX), 'id="workbench"', "交办员的工作")
    to_list = _tile(html, "to_list")
    assert _count(to_list) == "2"
    assert to_list.index(late.ticket_number) < to_list.index(soon.ticket_number), "most urgent first"
    to_hand_over = _tile(html, "to_hand_over")
    assert _count(to_hand_over) == "2"
    assert listed.ticket_number in to_hand_over and returned.ticket_number in to_hand_over
    assert late.ticket_number in _tile(html, "late") and soon.ticket_number in _tile(html, "due_soon")
    assert handed.ticket_number not in to_list + to_hand_over
    assert "承办单位的工作" not in html and 'data-queue="to_accept"' not in html
    # Each tile links into the changelist filtered by its queue.
    assert f'href="{CHANGELIST}?queue=to_list"' in to_list


def test_a_handler_sees_only_what_their_unit_leads(client, staff, make_request):
    ours = make_request(State.HANDED_OVER)  # lead: unit A, assisting: unit B
    accepted = make_request(State.ACCEPTED)
    client.force_login(staff.handler_a)
    html = html_of(client.get(INDEX), "承办单位的工作")
    assert ours.ticket_number in _tile(html, "to_accept")
    assert accepted.ticket_number in _tile(html, "in_progress")
    assert 'data-queue="to_list"' not in html

    client.force_login(staff.handler_b)  # assisting only: nothing to accept or handle
    html = html_of(client.get(INDEX), "承办单位的工作")
    assert _count(_tile(html, "to_accept")) == "0" and ours.ticket_number not in html

    client.force_login(staff.handler_c)  # another unit: sees none of it
    html = html_of(client.get(INDEX), "承办单位的工作")
    assert ours.ticket_number not in html and accepted.ticket_number not in html


def test_a_supervisor_sees_late_extensions_and_unsatisfied(client, staff, make_request):
    from dispatch.workflow import transition_apply

    req = make_request(State.ACCEPTED)
    transition_apply(request_id=req.pk, action="request_extension", actor=staff.handler_a, hours=12, reason="需协调")
    client.force_login(staff.supervisor)
    html = html_of(client.get(INDEX), "督办员的工作")
    assert req.ticket_number in _tile(html, "extension_pending")
    for key in ("late", "unsatisfied"):
        _tile(html, key)


def test_the_workbench_reads_a_fixed_number_of_queries(client, staff, make_request, django_assert_max_num_queries):
    for state in (State.SUBMITTED, State.LISTED, State.HANDED_OVER, State.RESOLVED) * 3:
        make_request(state)
    client.force_login(staff.dispatcher)
    client.get(INDEX)  # warm the session and permission caches
    with django_assert_max_num_queries(20):
        html_of(client.get(INDEX), 'id="workbench"')


def test_a_queue_changelist_and_next_in_queue(client, staff, make_request):
    first, second = make_request(State.SUBMITTED), make_request(State.SUBMITTED)
    other = make_request(State.LISTED)
    now = timezone.now()
    Deadline.objects.filter(request=first, kind="contact").update(due_at=now + dt.timedelta(minutes=10))
    Deadline.objects.filter(request=second, kind="contact").update(due_at=now + dt.timedelta(minutes=20))
    request_clock_refresh(request_ids=[first.pk, second.pk])
    client.force_login(staff.dispatcher)
    html = html_of(client.get(CHANGELIST, {"queue": "to_list"}), 'id="changelist"', first.ticket_number)
    assert second.ticket_number in html and other.ticket_number not in html
    assert html.index(first.ticket_number) < html.index(second.ticket_number)

    change = reverse("admin:requests_app_helprequest_change", args=[first.pk])
    page = html_of(client.get(change, {"_changelist_filters": "queue=to_list"}), 'id="next-in-queue"', "返回队列")
    next_url = re.search(r'id="next-in-queue" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert next_url.startswith(reverse("admin:requests_app_helprequest_change", args=[second.pk]))

    # After an action the page comes back in the same queue, and 下一件 is the next request.
    action = reverse("admin:requests_app_helprequest_action", args=[first.pk, "list"])
    response = client.post(
        f"{action}?_changelist_filters=queue%3Dto_list", {"list-category": first.category_id}, follow=True
    )
    page = html_of(response, "已列单", 'id="next-in-queue"')
    first.refresh_from_db()
    assert first.state == State.LISTED
    assert f"/{second.pk}/change/" in re.search(r'id="next-in-queue" href="([^"]+)"', page).group(1)


def test_queue_counts_are_capped(staff, make_request, monkeypatch):
    monkeypatch.setattr(queues, "COUNT_CAP", 2)
    for _ in range(3):
        make_request(State.SUBMITTED)
    summary = queues.queue_summary(key="to_list", scope=scope_of(staff.dispatcher))
    assert (summary.capped, summary.count_text) == (True, "2+")


def test_open_work_opens_by_time_left_and_a_clicked_column_wins(client, staff, make_request):
    later, sooner = make_request(State.SUBMITTED), make_request(State.SUBMITTED)
    now = timezone.now()
    Deadline.objects.filter(request=later, kind="contact").update(due_at=now + dt.timedelta(minutes=50))
    Deadline.objects.filter(request=sooner, kind="contact").update(due_at=now + dt.timedelta(minutes=5))
    request_clock_refresh(request_ids=[later.pk, sooner.pk])
    client.force_login(staff.dispatcher)
    html = html_of(client.get(CHANGELIST, {"state__exact": "submitted"}), 'id="changelist"', later.ticket_number)
    assert html.index(sooner.ticket_number) < html.index(later.ticket_number)
    html = html_of(client.get(CHANGELIST), 'id="changelist"', later.ticket_number)  # everything: newest first
    assert html.index(sooner.ticket_number) < html.index(later.ticket_number)
    html = html_of(client.get(CHANGELIST, {"state__exact": "submitted", "o": "1"}), 'id="changelist"')
    assert html.index(later.ticket_number) < html.index(sooner.ticket_number), "by ticket number, as clicked"
