"""Property: every /stats/ figure read through the daily rollups equals the figure aggregated from the rows.

Random requests over the last twelve days (any channel, district, urgency),
each walked by the workflow to a random state at random times, deadline
sweeps in between; then the figures for 7 and 30 days are compared, again
after more changes to already rolled-up days (dirty days) and once time has
passed a running promise's due time (a day past its `valid_until`).
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch import access, dashboard, monthly, problems, rollups, stats
from dispatch.access import CITIZEN
from dispatch.deadlines import deadlines_sweep
from dispatch.models import StatsDay
from dispatch.tests.factories import PATHS
from dispatch.workflow import TransitionError, transition_apply
from requests_app.models import Category, District, Source, State, Urgency
from requests_app.tests.factories import HelpRequestFactory

NOW = dt.datetime(2026, 3, 15, 2, 30, tzinfo=dt.UTC)  # 10:30 in Zhengzhou

REQUEST = st.tuples(
    st.integers(0, 12 * 24 - 1),  # hours before NOW
    st.integers(0, 11),  # category
    st.integers(0, 15),  # district
    st.booleans(),  # urgent
    st.sampled_from([s for s in PATHS if s != State.DUPLICATE]),
    st.sampled_from([10, 45, 90, 300, 900]),  # minutes between steps
    st.sampled_from([None, "satisfied", "unsatisfied"]),
)


def _walk(req, target: str, step: int, rating: str | None, staff, unit, stop: dt.datetime) -> None:
    params = {
        "list": (staff.dispatcher, {}),
        "hand_over": (staff.dispatcher, {"unit": unit, "assist_units": []}),
        "accept": (staff.handler_a, {}),
        "return": (staff.handler_a, {"reason": "不属于本单位职责"}),
        "resolve": (staff.handler_a, {"result": "已解决"}),
        "reopen": (staff.supervisor, {"reason": "仍未解决"}),
        "close": (staff.supervisor, {}),
        "mark_invalid": (staff.dispatcher, {"reason": "测试"}),
    }
    at = req.created_at
    for action in PATHS[target]:
        at = at + dt.timedelta(minutes=step)
        if at >= stop:
            return
        if action == "close" and rating:
            actor, action, extra = CITIZEN, "rate", {"rating": rating}
        else:
            actor, extra = params[action]
        with contextlib.suppress(TransitionError):
            transition_apply(request_id=req.pk, action=action, actor=actor, now=at, **extra)


def _assert_equal(now: dt.datetime, *, rebuild: bool, users=()) -> None:
    if rebuild:  # as beat does; without it, stale days are counted live
        rollups.days_refresh(first=(NOW - dt.timedelta(days=40)).date(), last=now.date(), now=now)
    for days in (7, 30):
        assert stats.figures_compute(days=days, now=now) == stats.figures_from_rows(days=days, now=now)
        since = now - dt.timedelta(days=days)
        assert rollups.sources_read(since=since, now=now) == rollups.sources_live(ranges=[(since, now)])
        # The dashboard's unit table, in each role's scope (a handler sees only their unit).
        for user in users:
            got = dashboard.units_scorecard(user=user, days=days, now=now)
            assert got == dashboard.units_scorecard_from_rows(user=user, days=days, now=now)
    # 每月一题's figures of this month and the month before, whole and for a handler's unit.
    for month in (monthly.month_add(NOW.date().replace(day=1), -1), NOW.date().replace(day=1)):
        since, until = monthly.month_bounds(month)
        scopes = [access.scope_of(user) for user in users]
        for unit_ids in (None, *(sorted(s.handler_unit_ids) for s in scopes if not s.sees_all)):
            got = monthly.problems_read(month=month, now=now, unit_ids=unit_ids)
            assert got == problems.problems_live(ranges=[(since, min(until, now))], now=now, unit_ids=unit_ids)


@pytest.mark.django_db
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(requests=st.lists(REQUEST, min_size=1, max_size=8), later=st.lists(st.integers(0, 7), max_size=4))
def test_figures_from_rollups_equal_figures_from_rows(staff, requests, later):
    StatsDay.objects.all().delete()  # examples share the test's transaction
    categories = list(Category.objects.order_by("id"))
    districts = list(District.objects.order_by("id"))
    units = [staff.unit_a, staff.unit_b, staff.unit_c]
    made = []
    for i, (hours, cat, dist, urgent, target, step, rating) in enumerate(requests):
        req = HelpRequestFactory(
            now=NOW - dt.timedelta(hours=hours, minutes=i),
            category=categories[cat % len(categories)],
            district=districts[dist % len(districts)],
            urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
            phone=f"1390000000{i % 3}",  # three callers: 每月一题's repeat callers
            source=Source.values[(cat + dist) % len(Source.values)],
        )
        _walk(req, target, step, rating, staff, units[i % 3], stop=NOW)
        made.append(req)
    for hours in (200, 100, 30, 5, 0):
        deadlines_sweep(now=NOW - dt.timedelta(hours=hours))
    users = (staff.supervisor, staff.handler_a)
    _assert_equal(NOW, rebuild=False, users=users)  # nothing rolled up yet: all live
    _assert_equal(NOW, rebuild=True, users=users)
    # The rollups are built now: changes to requests of past days mark their day dirty.
    at = NOW + dt.timedelta(minutes=5)
    for index in later:
        req = made[index % len(made)]
        for action, actor, extra in (
            ("reopen", staff.supervisor, {"reason": "仍未解决"}),
            ("mark_invalid", staff.dispatcher, {"reason": "测试"}),
            ("accept", staff.handler_a, {}),
        ):
            with contextlib.suppress(TransitionError):
                transition_apply(request_id=req.pk, action=action, actor=actor, now=at, **extra)
    _assert_equal(at + dt.timedelta(minutes=1), rebuild=False, users=users)  # dirty days counted live
    _assert_equal(at + dt.timedelta(minutes=1), rebuild=True, users=users)
    # Later still, running promises of rolled-up days fall due and hand-overs leave the
    # acceptance window, without a row changing.
    _assert_equal(NOW + dt.timedelta(hours=30), rebuild=False, users=users)
    _assert_equal(NOW + dt.timedelta(hours=30), rebuild=True, users=users)


@pytest.mark.django_db
def test_a_day_is_rebuilt_only_when_stale(staff):
    req = HelpRequestFactory(now=NOW - dt.timedelta(days=3))
    day = rollups.timezone.localdate(req.created_at)
    assert rollups.days_refresh(first=day, last=day, now=NOW) == 1
    assert rollups.days_refresh(first=day, last=day, now=NOW) == 0  # fresh
    transition_apply(request_id=req.pk, action="list", actor=staff.dispatcher, now=NOW)
    assert StatsDay.objects.get(day=day).dirty
    assert rollups.days_refresh(first=day, last=day, now=NOW) == 1
    # Today is never rolled up: it is always counted live.
    assert (
        rollups.days_refresh(first=rollups.timezone.localdate(NOW), last=rollups.timezone.localdate(NOW), now=NOW) == 0
    )
