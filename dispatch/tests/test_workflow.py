"""The transition table, walked pair by pair, and each action's effects."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from dispatch import access
from dispatch.forms import ACTION_FORMS
from dispatch.models import Assignment, ExtensionRequest
from dispatch.workflow import (
    ACTIONS,
    ACTIONS_BY_NAME,
    CITIZEN,
    IN_HAND_STATES,
    Principal,
    Role,
    TransitionError,
    transition_apply,
)
from requests_app.models import Deadline, Event, HelpRequest, State
from requests_app.tests.factories import HelpRequestFactory

pytestmark = pytest.mark.django_db

VALID_PARAMS = {
    "list": {"request_type": "help", "tag_nan": True},
    "record_contact": {"note": "已电话联系"},
    "mark_invalid": {"reason": "测试信息"},
    "mark_duplicate": {},  # filled per test: needs a main request
    "hand_over": {},  # filled per test: needs a unit
    "accept": {},
    "return": {"reason": "不属于本单位职责"},
    "add_note": {"note": "正在协调", "is_public": False},
    "resolve": {"result": "已恢复供水"},
    "request_extension": {"hours": 24, "reason": "需协调多个部门"},
    "approve_extension": {"note": "同意"},
    "refuse_extension": {"note": "请抓紧办理"},
    "urge": {"note": "请加快"},
    "reopen": {"reason": "市民反映仍未解决"},
    "close": {"note": "市民满意"},
    "rate": {"rating": "satisfied", "comment": "谢谢"},
    "record_callback": {"rating": "basic", "comment": "电话回访：基本满意"},
}


def _params(action: str, staff) -> dict:
    params = dict(VALID_PARAMS[action])
    if action == "mark_duplicate":
        params["duplicate_of"] = HelpRequestFactory()
    if action == "hand_over":
        params["unit"] = staff.unit_a
    return params


def _actor_for(action: str, staff):
    spec = ACTIONS_BY_NAME[action]
    if Role.CITIZEN in spec.roles:
        return CITIZEN
    if Role.DISPATCHER in spec.roles:
        return staff.dispatcher
    if Role.SUPERVISOR in spec.roles:
        return staff.supervisor
    return staff.handler_a


def _prepare(action: str, req: HelpRequest, staff) -> None:
    """Set up what an action's guard needs beyond the state (a pending extension to decide)."""
    if action in ("approve_extension", "refuse_extension") and req.state in IN_HAND_STATES:
        transition_apply(
            request_id=req.pk, action="request_extension", actor=staff.handler_a, hours=12, reason="需协调"
        )


def _snapshot(req: HelpRequest) -> tuple:
    fresh = HelpRequest.objects.get(pk=req.pk)
    fields = {f.attname: getattr(fresh, f.attname) for f in HelpRequest._meta.concrete_fields}
    return (
        fields,
        list(Event.objects.filter(request=req).values_list("pk", flat=True)),
        list(Assignment.objects.filter(request=req).order_by("pk").values()),
        list(Deadline.objects.filter(request=req).order_by("pk").values()),
        list(ExtensionRequest.objects.filter(request=req).order_by("pk").values()),
    )


def _assert_refused(req: HelpRequest, action: str, actor, params: dict, django_capture_on_commit_callbacks) -> str:
    before = _snapshot(req)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(TransitionError) as exc:
        transition_apply(request_id=req.pk, action=action, actor=actor, **params)
    assert _snapshot(req) == before
    assert callbacks == []
    assert exc.value.message
    return exc.value.message


@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("action", [a.name for a in ACTIONS])
def test_every_state_action_pair(state, action, staff, make_request, django_capture_on_commit_callbacks):
    """Allowed pairs succeed with one right event; every other pair is refused and changes nothing."""
    spec = ACTIONS_BY_NAME[action]
    req = make_request(state)
    _prepare(action, req, staff)
    actor = _actor_for(action, staff)
    params = _params(action, staff)
    if state not in spec.from_states:
        message = _assert_refused(req, action, actor, params, django_capture_on_commit_callbacks)
        assert "不能" in message
        return
    events_before = Event.objects.filter(request=req).count()
    with django_capture_on_commit_callbacks(execute=True):
        result = transition_apply(request_id=req.pk, action=action, actor=actor, **params)
    assert result.state == (spec.to_state or state)
    assert HelpRequest.objects.get(pk=req.pk).state == result.state
    assert Event.objects.filter(request=req).count() == events_before + 1
    event = Event.objects.filter(request=req).latest("created_at", "id")
    assert (event.from_state, event.to_state) == (state, spec.to_state or state)
    if isinstance(actor, Principal):
        assert event.actor is None
        assert event.actor_label == actor.label
    else:
        assert event.actor == actor
        assert event.actor_label == actor.get_full_name()
    assert event.kind == spec.event_kind
    assert event.is_public == spec.is_public
    assert event.data["action"] == action


@pytest.mark.parametrize("action", [a.name for a in ACTIONS])
def test_wrong_role_is_refused(action, staff, make_request, django_capture_on_commit_callbacks):
    spec = ACTIONS_BY_NAME[action]
    state = next(s for s in State.values if s in spec.from_states)
    req = make_request(state)
    _prepare(action, req, staff)
    by_role = {Role.DISPATCHER: staff.dispatcher, Role.SUPERVISOR: staff.supervisor, Role.HANDLER: staff.handler_a}
    wrong = [user for role, user in by_role.items() if role not in spec.roles] + [staff.nobody]
    for actor in wrong:
        message = _assert_refused(req, action, actor, _params(action, staff), django_capture_on_commit_callbacks)
        assert "没有权限" in message


@pytest.mark.parametrize("action", [a.name for a in ACTIONS if Role.HANDLER in a.roles])
def test_wrong_unit_is_refused(action, staff, make_request, django_capture_on_commit_callbacks):
    spec = ACTIONS_BY_NAME[action]
    state = (
        next(s for s in State.values if s in spec.from_states and s != State.SUBMITTED)
        if action != "record_contact"
        else State.HANDED_OVER
    )
    req = make_request(state)
    outsiders = [staff.handler_c]
    if spec.unit_scope == "lead":
        outsiders.append(staff.handler_b)  # an assisting unit may only add notes
    for actor in outsiders:
        message = _assert_refused(req, action, actor, _params(action, staff), django_capture_on_commit_callbacks)
        assert "单位" in message


def test_forms_match_the_table():
    for action in ACTIONS:
        assert set(ACTION_FORMS[action.name].base_fields) == set(action.fields), action.name


def test_unknown_action_and_missing_request_are_refused(staff, make_request):
    req = make_request(State.SUBMITTED)
    with pytest.raises(TransitionError):
        transition_apply(request_id=req.pk, action="teleport", actor=staff.dispatcher)
    with pytest.raises(TransitionError):
        transition_apply(request_id=req.pk + 1000, action="list", actor=staff.dispatcher)


def test_list_sets_triage_fields_and_starts_the_urgent_clock(staff, make_request):
    req = make_request(State.SUBMITTED)
    assert not req.deadlines.filter(kind=Deadline.Kind.URGENT).exists()
    transition_apply(
        request_id=req.pk, action="list", actor=staff.dispatcher, is_urgent=True, tag_pan=True, request_type="complaint"
    )
    req.refresh_from_db()
    assert (req.state, req.is_urgent, req.tag_pan, req.request_type) == (State.LISTED, True, True, "complaint")
    assert req.deadlines.filter(kind=Deadline.Kind.URGENT, waived_at__isnull=True).exists()
    # Dropping 急 waives the urgent clock again.
    transition_apply(request_id=req.pk, action="list", actor=staff.dispatcher, is_urgent=False)
    assert req.deadlines.get(kind=Deadline.Kind.URGENT).waived_at is not None


def test_record_contact_meets_the_contact_deadline_once(staff, make_request):
    req = make_request(State.SUBMITTED)
    transition_apply(request_id=req.pk, action="record_contact", actor=staff.dispatcher)
    req.refresh_from_db()
    first = req.first_contact_at
    assert first is not None
    assert req.deadlines.get(kind=Deadline.Kind.CONTACT).met_at == first
    transition_apply(request_id=req.pk, action="record_contact", actor=staff.dispatcher)
    req.refresh_from_db()
    assert req.first_contact_at == first


def test_hand_over_creates_assignments_and_a_public_event(staff, make_request):
    req = make_request(State.LISTED)
    transition_apply(
        request_id=req.pk,
        action="hand_over",
        actor=staff.dispatcher,
        unit=staff.unit_a,
        assist_units=[staff.unit_b, staff.unit_a],
        instructions="请当天联系市民",
    )
    rows = {(a.unit_id, a.role) for a in Assignment.objects.filter(request=req, is_active=True)}
    assert rows == {(staff.unit_a.pk, "lead"), (staff.unit_b.pk, "assist")}
    event = req.events.latest("created_at", "id")
    assert event.is_public and event.message.startswith("已交办至 金水区人民政府")
    assert event.unit_name == "金水区人民政府"
    assert "请当天联系市民" not in event.note  # instructions are internal


def test_return_goes_back_to_the_dispatchers_queue_and_counts_against_the_unit(staff, make_request):
    req = make_request(State.HANDED_OVER)
    transition_apply(request_id=req.pk, action="return", actor=staff.handler_a, reason="应由市卫健委办理")
    lead = Assignment.objects.get(request=req, role="lead")
    assert lead.returned_at is not None and not lead.is_active
    assert not Assignment.objects.filter(request=req, is_active=True).exists()
    assert not access.requests_visible_to(user=staff.handler_a).filter(pk=req.pk).exists()
    assert access.requests_visible_to(user=staff.dispatcher).filter(pk=req.pk, state=State.RETURNED).exists()
    transition_apply(request_id=req.pk, action="hand_over", actor=staff.dispatcher, unit=staff.unit_b)
    assert Assignment.objects.get(request=req, is_active=True).unit == staff.unit_b


def test_return_is_refused_after_the_window_and_after_acceptance(
    staff, make_request, django_capture_on_commit_callbacks
):
    req = make_request(State.HANDED_OVER)
    assigned_at = Assignment.objects.get(request=req, is_active=True, role="lead").assigned_at
    late = assigned_at + dt.timedelta(seconds=settings.RETURN_WINDOW_SECONDS + 1)
    with pytest.raises(TransitionError, match="退单时限"):
        transition_apply(request_id=req.pk, action="return", actor=staff.handler_a, reason="x", now=late)
    accepted = make_request(State.ACCEPTED)
    _assert_refused(accepted, "return", staff.handler_a, {"reason": "x"}, django_capture_on_commit_callbacks)


def test_mark_duplicate_links_closes_and_waives(staff, make_request):
    main = make_request(State.LISTED)
    req = make_request(State.SUBMITTED)
    with pytest.raises(TransitionError):
        transition_apply(request_id=req.pk, action="mark_duplicate", actor=staff.dispatcher, duplicate_of=req)
    transition_apply(request_id=req.pk, action="mark_duplicate", actor=staff.dispatcher, duplicate_of=main)
    req.refresh_from_db()
    assert (req.state, req.duplicate_of, req.is_open) == (State.DUPLICATE, main, False)
    assert req.closed_at is not None
    assert not req.deadlines.filter(met_at__isnull=True, waived_at__isnull=True).exists()


def test_resolve_and_close_meet_their_deadlines(staff, make_request):
    req = make_request(State.ACCEPTED, urgency="urgent")
    transition_apply(request_id=req.pk, action="resolve", actor=staff.handler_a, result="已送医")
    met = dict(req.deadlines.values_list("kind", "met_at"))
    assert met["urgent"] and met["resolve"] and not met["feedback"]
    assert req.events.latest("created_at", "id").note == "已送医"
    transition_apply(request_id=req.pk, action="close", actor=staff.supervisor)
    req.refresh_from_db()
    assert req.state == State.CLOSED and req.closed_at
    assert req.deadlines.get(kind="feedback").met_at == req.closed_at


def test_extensions_move_due_times_and_are_capped(staff, make_request, settings):
    settings.MAX_EXTENSIONS = 1
    req = make_request(State.ACCEPTED)
    due_before = req.deadlines.get(kind="resolve").due_at
    transition_apply(request_id=req.pk, action="request_extension", actor=staff.handler_a, hours=24, reason="需协调")
    with pytest.raises(TransitionError, match="待审批"):
        transition_apply(request_id=req.pk, action="request_extension", actor=staff.handler_a, hours=5, reason="再延")
    transition_apply(request_id=req.pk, action="approve_extension", actor=staff.supervisor)
    req.refresh_from_db()
    assert req.extensions_used == 1
    assert req.deadlines.get(kind="resolve").due_at == due_before + dt.timedelta(hours=24)
    event = req.events.latest("created_at", "id")
    assert event.is_public and "延期24小时" in event.message and "办结时限延至" in event.message
    with pytest.raises(TransitionError, match="次数已用完"):
        transition_apply(request_id=req.pk, action="request_extension", actor=staff.handler_a, hours=5, reason="再延")


def test_refusing_an_extension_needs_a_reason_and_moves_nothing(staff, make_request):
    req = make_request(State.ACCEPTED)
    due_before = req.deadlines.get(kind="resolve").due_at
    transition_apply(request_id=req.pk, action="request_extension", actor=staff.handler_a, hours=24, reason="需协调")
    with pytest.raises(TransitionError):
        transition_apply(request_id=req.pk, action="refuse_extension", actor=staff.supervisor)
    transition_apply(request_id=req.pk, action="refuse_extension", actor=staff.supervisor, note="请按时办结")
    assert req.deadlines.get(kind="resolve").due_at == due_before
    assert ExtensionRequest.objects.get(request=req).status == "refused"


def test_reopen_lets_the_lead_unit_resolve_again(staff, make_request):
    req = make_request(State.REOPENED)
    assert req.reopen_count == 1 and req.resolved_at is None
    transition_apply(request_id=req.pk, action="resolve", actor=staff.handler_a, result="已再次上门处理")
    req.refresh_from_db()
    assert req.state == State.RESOLVED


def test_assisting_unit_adds_notes_but_internal_notes_stay_internal(staff, make_request):
    req = make_request(State.ACCEPTED)
    transition_apply(request_id=req.pk, action="add_note", actor=staff.handler_b, note="已派医生", is_public=False)
    event = req.events.latest("created_at", "id")
    assert (event.is_public, event.unit_name) == (False, "郑州市卫生健康委员会")
    transition_apply(request_id=req.pk, action="add_note", actor=staff.handler_b, note="医生已上门", is_public=True)
    assert req.events.latest("created_at", "id").is_public


def test_missing_required_text_is_refused_without_change(staff, make_request, django_capture_on_commit_callbacks):
    req = make_request(State.ACCEPTED)
    _assert_refused(req, "resolve", staff.handler_a, {"result": "  "}, django_capture_on_commit_callbacks)
