"""Property: the request's denormalised columns always equal what its rows say.

Random histories of workflow actions (every action of the table, by a user
holding its role, most of them refused in the state they meet) and deadline
sweeps at advancing times. After every step, for every request,
`next_due_at/next_due_kind/missed_due_at/missed_kind` equal the ORM's reading
of the deadline rows (`requests_app.clock.clock_expected`), and `lead_unit_id`
the unit of its active lead assignment (`dispatch.workflow.lead_unit_expected`).
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.access import CITIZEN, SYSTEM
from dispatch.deadlines import deadlines_sweep
from dispatch.workflow import TransitionError, lead_unit_expected, transition_apply
from requests_app.clock import clock_expected
from requests_app.models import HelpRequest, Urgency
from requests_app.tests.factories import HelpRequestFactory

T0 = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)

ACTIONS = [
    "list",
    "list_urgent",
    "list_not_urgent",
    "record_contact",
    "mark_invalid",
    "mark_duplicate",
    "hand_over",
    "hand_over_b",
    "accept",
    "return",
    "add_note",
    "resolve",
    "request_extension",
    "approve_extension",
    "refuse_extension",
    "urge",
    "rate_good",
    "rate_bad",
    "record_callback",
    "reopen",
    "close",
]

STEP = st.one_of(
    st.tuples(st.just("act"), st.integers(0, 2), st.sampled_from(ACTIONS)),
    st.tuples(st.just("sweep"), st.integers(0, 2), st.sampled_from([10, 50, 70, 200, 500, 1500])),
)


def _apply(name: str, req: HelpRequest, staff, now: dt.datetime, other: HelpRequest) -> None:
    d, h, s = staff.dispatcher, staff.handler_a, staff.supervisor
    calls = {
        "list": (d, "list", {}),
        "list_urgent": (d, "list", {"is_urgent": True}),
        "list_not_urgent": (d, "list", {"is_urgent": False}),
        "record_contact": (h, "record_contact", {"note": "已电话联系"}),
        "mark_invalid": (d, "mark_invalid", {"reason": "测试信息"}),
        "mark_duplicate": (d, "mark_duplicate", {"duplicate_of": other.ticket_number}),
        "hand_over": (d, "hand_over", {"unit": staff.unit_a, "assist_units": [staff.unit_b]}),
        "hand_over_b": (d, "hand_over", {"unit": staff.unit_b}),
        "accept": (h, "accept", {}),
        "return": (h, "return", {"reason": "不属于本单位职责"}),
        "add_note": (h, "add_note", {"note": "进展"}),
        "resolve": (h, "resolve", {"result": "已解决"}),
        "request_extension": (h, "request_extension", {"hours": 24, "reason": "需要协调"}),
        "approve_extension": (s, "approve_extension", {"note": "同意"}),
        "refuse_extension": (s, "refuse_extension", {"note": "不同意"}),
        "urge": (s, "urge", {"note": "请尽快"}),
        "rate_good": (CITIZEN, "rate", {"rating": "satisfied"}),
        "rate_bad": (CITIZEN, "rate", {"rating": "unsatisfied"}),
        "record_callback": (d, "record_callback", {"rating": "basic"}),
        "reopen": (s, "reopen", {"reason": "仍未解决"}),
        "close": (SYSTEM, "close", {}),
    }
    actor, action, params = calls[name]
    with contextlib.suppress(TransitionError):
        transition_apply(request_id=req.pk, action=action, actor=actor, now=now, **params)


def _assert_clock_matches_rows(requests: list[HelpRequest]) -> None:
    stored = {
        r["pk"]: (r["next_due_at"], r["next_due_kind"], r["missed_due_at"], r["missed_kind"])
        for r in HelpRequest.objects.filter(pk__in=[r.pk for r in requests]).values(
            "pk", "next_due_at", "next_due_kind", "missed_due_at", "missed_kind"
        )
    }
    for req in requests:
        assert stored[req.pk] == clock_expected(request_id=req.pk), req.ticket_number


def _assert_lead_unit_matches_rows(requests: list[HelpRequest]) -> None:
    stored = dict(HelpRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list("pk", "lead_unit_id"))
    for req in requests:
        assert stored[req.pk] == lead_unit_expected(request_id=req.pk), req.ticket_number


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(urgent=st.lists(st.booleans(), min_size=3, max_size=3), steps=st.lists(STEP, min_size=1, max_size=25))
def test_clock_and_lead_unit_columns_equal_the_rows_after_every_action_and_sweep(staff, urgent, steps):
    # Examples share the test's transaction: each checks only its own three requests.
    now = T0
    requests = [
        HelpRequestFactory(now=T0, urgency=Urgency.URGENT if flag else Urgency.NORMAL, phone=f"1380000000{i}")
        for i, flag in enumerate(urgent)
    ]
    _assert_clock_matches_rows(requests)
    _assert_lead_unit_matches_rows(requests)
    for kind, index, arg in steps:
        if kind == "sweep":
            now = now + dt.timedelta(minutes=arg)
            deadlines_sweep(now=now)
        else:
            now = now + dt.timedelta(minutes=1)
            _apply(arg, requests[index], staff, now, other=requests[(index + 1) % 3])
        _assert_clock_matches_rows(requests)
        _assert_lead_unit_matches_rows(requests)
