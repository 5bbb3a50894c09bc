"""The staff admin: worklist, scoping, masking, action buttons and the bulk hand-over."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from dispatch.workflow import transition_apply
from helpdesk.tests.pages import html_of
from requests_app.clock import request_clock_refresh
from requests_app.models import Deadline, HelpRequest, State

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:requests_app_helprequest_changelist")


def _change(req):
    return reverse("admin:requests_app_helprequest_change", args=[req.pk])


def _action(req, name):
    return reverse("admin:requests_app_helprequest_action", args=[req.pk, name])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_changelist_query_count_does_not_grow_with_rows(client, staff, make_request, django_assert_max_num_queries):
    for state in (State.SUBMITTED, State.LISTED, State.HANDED_OVER, State.ACCEPTED, State.RESOLVED) * 4:
        make_request(state)
    client.force_login(staff.dispatcher)
    # 10 + 1: the clock's banner reads when the sweep last ran (dispatch/health.py) when its cache
    # key is missing, as in a fresh test; at most once per sweep interval, whatever the rows.
    with django_assert_max_num_queries(11):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.content.decode().count('class="action-checkbox"') >= 20
    # Filters, late included, do not add per-row queries either (the unit filter reads the unit's
    # assisted requests once: dispatch.access.requests_of_units_q).
    with django_assert_max_num_queries(11):
        response = client.get(CHANGELIST, {"late": "1", "tag": "nan", "state": "accepted", "unit": staff.unit_a.pk})
    assert response.status_code == 200


def test_worklist_columns_show_next_step_and_time_left(client, staff, make_request):
    req = make_request(State.HANDED_OVER)
    client.force_login(staff.dispatcher)
    html = client.get(CHANGELIST).content.decode()
    assert "待签收（承办单位）" in html
    assert "剩 " in html
    assert "金水区" in html  # lead unit's short name
    # Past due: the column says how late, and the late filter finds it.
    Deadline.objects.filter(request=req, kind="contact").update(due_at=timezone.now() - dt.timedelta(minutes=90))
    request_clock_refresh(request_ids=[req.pk])  # the rows were written past the services
    html = client.get(CHANGELIST, {"late": "1"}).content.decode()
    assert req.ticket_number in html and "超时 1小时30分" in html


def test_late_filter_ignores_met_and_waived_deadlines_and_finished_requests(client, staff, make_request):
    late = make_request(State.LISTED)
    met = make_request(State.LISTED)
    finished = make_request(State.CLOSED)  # e.g. closed without the citizen's rating
    past = timezone.now() - dt.timedelta(hours=2)
    Deadline.objects.filter(request__in=[late, met], kind="contact").update(due_at=past)
    Deadline.objects.filter(request=met, kind="contact").update(met_at=past)
    Deadline.objects.filter(request=finished, kind="feedback").update(due_at=past, met_at=None)
    request_clock_refresh(request_ids=[late.pk, met.pk, finished.pk])  # the rows were written past the services
    client.force_login(staff.supervisor)
    html = client.get(CHANGELIST, {"late": "1"}).content.decode()
    assert late.ticket_number in html and met.ticket_number not in html
    assert finished.ticket_number not in html


def test_search_by_phone_and_ticket(client, staff, make_request):
    req = make_request(State.SUBMITTED, phone="13912345678")
    other = make_request(State.SUBMITTED)
    client.force_login(staff.dispatcher)
    html = client.get(CHANGELIST, {"q": "139 1234 5678"}).content.decode()
    assert req.ticket_number in html and other.ticket_number not in html
    html = client.get(CHANGELIST, {"q": req.ticket_number.lower()}).content.decode()
    assert req.ticket_number in html and other.ticket_number not in html


def test_handler_of_another_unit_gets_404_everywhere(client, staff, make_request):
    req = make_request(State.HANDED_OVER)
    client.force_login(staff.handler_c)
    html = html_of(client.get(CHANGELIST), 'id="changelist"')
    assert req.ticket_number not in html
    html = html_of(client.get(CHANGELIST, {"q": req.ticket_number}), 'id="changelist"')
    assert _change(req) not in html
    urls = [
        _change(req),
        reverse("admin:requests_app_helprequest_history", args=[req.pk]),
        reverse("admin:requests_app_helprequest_delete", args=[req.pk]),
        *[_action(req, name) for name in ("accept", "return", "add_note", "resolve", "list", "nonsense")],
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"accept-note": "x"}).status_code == 404, url
    req.refresh_from_db()
    assert req.state == State.HANDED_OVER
    # The lead unit's handler does see it.
    client.force_login(staff.handler_a)
    assert client.get(_change(req)).status_code == 200
    assert req.ticket_number in client.get(CHANGELIST).content.decode()


def test_returned_request_leaves_the_handlers_list(client, staff, make_request):
    req = make_request(State.RETURNED)
    client.force_login(staff.handler_a)
    assert client.get(_change(req)).status_code == 404
    client.force_login(staff.dispatcher)
    assert "被退回，待重新交单" in client.get(CHANGELIST).content.decode()


def test_contact_details_are_masked_for_roles_that_do_not_contact_the_citizen(client, staff, make_request):
    req = make_request(State.ACCEPTED, name="王小明", phone="13812345678")
    for user, full in (
        (staff.dispatcher, True),
        (staff.supervisor, True),
        (staff.handler_a, True),
        (staff.handler_b, False),
    ):
        client.force_login(user)
        html = client.get(_change(req)).content.decode()
        assert ("13812345678" in html) is full, user
        assert ("王小明" in html) is full, user
        if not full:
            assert "138****5678" in html and "王**" in html
    # Citizen fields are never inputs.
    assert 'name="phone"' not in html and 'name="name"' not in html


def test_change_view_offers_only_the_actions_the_user_may_take(client, staff, make_request):
    req = make_request(State.HANDED_OVER)
    client.force_login(staff.handler_a)
    html = client.get(_change(req)).content.decode()
    for name in ("accept", "return", "add_note", "record_contact"):
        assert f'data-action="{name}"' in html
    for name in ("resolve", "close", "hand_over"):
        assert f'data-action="{name}"' not in html
    client.force_login(staff.handler_b)  # assisting unit: notes only
    html = client.get(_change(req)).content.decode()
    assert 'data-action="add_note"' in html and 'data-action="accept"' not in html


def test_action_post_applies_the_transition(client, staff, make_request):
    req = make_request(State.SUBMITTED)
    client.force_login(staff.dispatcher)
    response = client.post(
        _action(req, "list"),
        {"list-category": req.category_id, "list-is_urgent": "on", "list-tag_nan": "on", "list-request_type": "help"},
    )
    assert response.status_code == 302 and response.url == _change(req)
    req.refresh_from_db()
    assert (req.state, req.is_urgent, req.tag_nan, req.request_type) == (State.LISTED, True, True, "help")
    assert any("已列单" in m for m in _messages(response))
    response = client.post(
        _action(req, "hand_over"), {"hand_over-unit": staff.unit_a.pk, "hand_over-instructions": "请办理"}
    )
    req.refresh_from_db()
    assert req.state == State.HANDED_OVER


def test_refused_action_shows_a_chinese_error_and_changes_nothing(client, staff, make_request):
    req = make_request(State.SUBMITTED)
    client.force_login(staff.supervisor)
    response = client.post(_action(req, "close"), {"close-note": ""})
    assert response.status_code == 302
    assert any("销号失败" in m and "不能销号" in m for m in _messages(response))
    req.refresh_from_db()
    assert req.state == State.SUBMITTED and req.events.count() == 1
    client.force_login(staff.dispatcher)
    response = client.post(_action(req, "mark_invalid"), {"mark_invalid-reason": ""})
    assert any("未能提交" in m for m in _messages(response))
    assert client.get(_action(req, "list")).status_code == 405


def test_mark_duplicate_takes_the_main_number_as_typed_and_refuses_an_unknown_one(client, staff, make_request):
    main = make_request(State.LISTED)
    req = make_request(State.SUBMITTED)
    client.force_login(staff.dispatcher)
    response = client.post(_action(req, "mark_duplicate"), {"mark_duplicate-duplicate_of": "ZZ20990101-0001"})
    assert any("未能提交" in m and "请填写有效的主件编号" in m for m in _messages(response))
    req.refresh_from_db()
    assert req.state == State.SUBMITTED and req.events.count() == 1

    typed = f"  {main.ticket_number.lower()} "
    response = client.post(_action(req, "mark_duplicate"), {"mark_duplicate-duplicate_of": typed})
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.state, req.duplicate_of) == (State.DUPLICATE, main)


def test_bulk_hand_over_loops_through_the_workflow(client, staff, make_request):
    listed = [make_request(State.LISTED) for _ in range(3)]
    closed = make_request(State.CLOSED)
    ids = [str(r.pk) for r in [*listed, closed]]
    client.force_login(staff.dispatcher)
    response = client.post(CHANGELIST, {"action": "hand_over_selected", "_selected_action": ids})
    assert response.status_code == 200
    assert "批量交单" in response.content.decode()
    response = client.post(
        CHANGELIST,
        {"action": "hand_over_selected", "_selected_action": ids, "apply": "1", "unit": staff.unit_b.pk},
    )
    assert response.status_code == 302
    states = dict(HelpRequest.objects.filter(pk__in=ids).values_list("pk", "state"))
    assert [states[r.pk] for r in listed] == [State.HANDED_OVER] * 3
    assert states[closed.pk] == State.CLOSED
    messages = _messages(response)
    assert any("已交单3件" in m for m in messages) and any(closed.ticket_number in m for m in messages)
    for r in listed:
        assert r.events.latest("created_at", "id").message == "已交办至 郑州市卫生健康委员会"


def test_handlers_cannot_bulk_hand_over(client, staff, make_request):
    req = make_request(State.HANDED_OVER)
    client.force_login(staff.handler_a)
    html = html_of(client.get(CHANGELIST), 'id="changelist"', req.ticket_number)
    assert "hand_over_selected" not in html
    client.post(
        CHANGELIST,
        {"action": "hand_over_selected", "_selected_action": [req.pk], "apply": "1", "unit": staff.unit_c.pk},
    )
    req.refresh_from_db()
    assert req.assignments.get(is_active=True, role="lead").unit == staff.unit_a


def test_timeline_is_newest_first(client, staff, make_request):
    req = make_request(State.ACCEPTED)
    transition_apply(request_id=req.pk, action="add_note", actor=staff.handler_a, note="最新的记录", is_public=False)
    client.force_login(staff.supervisor)
    html = client.get(_change(req)).content.decode()
    assert html.index("最新的记录") < html.index("市民提交求助")


@pytest.mark.parametrize("role", ["dispatcher", "supervisor"])
def test_changelist_never_sorts_by_a_column_that_is_not_sortable(client, staff, make_request, role):
    """A hand-made `?o=` on the title column keeps the default order (no full-table sort by free text)."""
    older = make_request(State.SUBMITTED, title="A 最早的标题")
    newer = make_request(State.SUBMITTED, title="Z 最新的标题")
    client.force_login(getattr(staff, role))
    url = "/admin/requests_app/helprequest/"
    columns = client.get(url).context["cl"].list_display
    response = client.get(url, {"o": str(list(columns).index("title_cell"))})
    assert response.status_code == 200
    cl = response.context["cl"]
    assert "title" not in cl.get_ordering_field_columns().values()
    ids = [r.pk for r in cl.result_list]
    assert ids.index(newer.pk) < ids.index(older.pk)  # newest first, not by title
    # A sortable column still sorts.
    sorted_by_ticket = client.get(url, {"o": str(list(columns).index("ticket_number"))}).context["cl"]
    assert [r.pk for r in sorted_by_ticket.result_list][:2] == [older.pk, newer.pk]
