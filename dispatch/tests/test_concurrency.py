"""Two people acting on one request at the same moment, on PostgreSQL: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from dispatch.models import Assignment
from dispatch.tests import factories
from dispatch.workflow import TransitionError, transition_apply
from requests_app.models import Event, State

pytestmark = pytest.mark.django_db(transaction=True)


def _race(calls) -> list[object]:
    """Run the calls in threads released together; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.fixture
def actors(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    unit_a, unit_b = factories.unit("金水区人民政府"), factories.unit("郑州市卫生健康委员会")
    return {
        "dispatcher": factories.dispatcher(username="d1"),
        "dispatcher2": factories.dispatcher(username="d2"),
        "supervisor": factories.supervisor(username="s1"),
        "handler": factories.handler(unit_a, username="h1"),
        "handler2": factories.handler(unit_a, username="h2"),
        "unit_a": unit_a,
        "unit_b": unit_b,
    }


def test_two_handlers_accept_and_return_at_once_exactly_one_wins(on_postgres, actors):
    req = factories.request_in_state(
        State.HANDED_OVER,
        dispatcher_user=actors["dispatcher"],
        handler_user=actors["handler"],
        supervisor_user=actors["supervisor"],
        lead=actors["unit_a"],
    )
    events_before = Event.objects.filter(request=req).count()
    results = _race(
        [
            lambda: transition_apply(request_id=req.pk, action="accept", actor=actors["handler"]),
            lambda: transition_apply(request_id=req.pk, action="return", actor=actors["handler2"], reason="非本单位"),
        ]
    )
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1
    assert isinstance(losses[0], TransitionError)
    req.refresh_from_db()
    assert req.state in (State.ACCEPTED, State.RETURNED)
    assert Event.objects.filter(request=req).count() == events_before + 1


def test_two_dispatchers_hand_over_at_once_exactly_one_lead(on_postgres, actors):
    req = factories.request_in_state(
        State.LISTED,
        dispatcher_user=actors["dispatcher"],
        handler_user=actors["handler"],
        supervisor_user=actors["supervisor"],
        lead=actors["unit_a"],
    )
    results = _race(
        [
            lambda: transition_apply(
                request_id=req.pk, action="hand_over", actor=actors["dispatcher"], unit=actors["unit_a"]
            ),
            lambda: transition_apply(
                request_id=req.pk, action="hand_over", actor=actors["dispatcher2"], unit=actors["unit_b"]
            ),
        ]
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, TransitionError) for r in results if isinstance(r, Exception))
    assert Assignment.objects.filter(request=req, is_active=True, role="lead").count() == 1
    assert Event.objects.filter(request=req, data__action="hand_over").count() == 1
