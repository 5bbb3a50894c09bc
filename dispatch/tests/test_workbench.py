"""The 工作台 on the admin index: each role's queues, counts, the most urgent three, links that filter."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dispatch.workbench import workbench_for
from requests_app.models import State

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def _queues(user) -> dict[str, dict[str, int]]:
    return {r.role: {q.key: q.count for q in r.queues} for r in workbench_for(user=user)}


def test_each_role_gets_its_own_queues_with_counts(staff, make_request):
    for state in (State.SUBMITTED, State.SUBMITTED, State.LISTED, State.RETURNED, State.HANDED_OVER, State.ACCEPTED):
        make_request(state)
    make_request(State.RESOLVED)
    make_request(State.REOPENED)
    assert _queues(staff.dispatcher) == {"dispatcher": {"to_list": 2, "to_hand_over": 2, "late": 0, "to_visit": 1}}
    assert _queues(staff.handler_a) == {"handler": {"to_accept": 1, "in_progress": 1, "rework": 1, "late": 0}}
    assert _queues(staff.supervisor) == {"supervisor": {"late": 0, "rework": 1, "to_visit": 1}}
    # A handler sees only their units' requests; staff without a role, nothing.
    assert _queues(staff.handler_c) == {"handler": {"to_accept": 0, "in_progress": 0, "rework": 0, "late": 0}}
    assert _queues(staff.nobody) == {}


def test_the_index_lists_the_most_urgent_three_and_links_into_the_filtered_changelist(client, staff, make_request):
    requests = [make_request(State.SUBMITTED, title=f"第{i}件求助") for i in range(5)]
    client.force_login(staff.dispatcher)
    response = client.get(INDEX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="workbench"' in html
    row = re.search(r'<tr data-queue="to_list">(.*?)</tr>', html, re.S).group(1)
    assert ">5</td>" in row
    # Earliest deadline first: the oldest three submissions.
    shown = re.findall(r"/admin/requests_app/helprequest/(\d+)/change/", row)
    assert shown == [str(r.pk) for r in requests[:3]]
    link = re.search(r'<a href="([^"]+)">待列单</a>', row).group(1).replace("&amp;", "&")
    changelist = client.get(link)
    assert changelist.status_code == 200
    listed = changelist.content.decode()
    assert all(r.ticket_number in listed for r in requests)
    # Sorted by time left (the 时限 column's header is marked as the sort).
    assert re.search(r'class="sortable column-time_left sorted ascending"', listed)


def test_the_to_hand_over_link_includes_returned_requests(client, staff, make_request):
    listed, returned = make_request(State.LISTED), make_request(State.RETURNED)
    other = make_request(State.SUBMITTED)
    client.force_login(staff.dispatcher)
    queue = next(q for q in workbench_for(user=staff.dispatcher)[0].queues if q.key == "to_hand_over")
    html = client.get(queue.url).content.decode()
    assert listed.ticket_number in html and returned.ticket_number in html
    assert other.ticket_number not in html
