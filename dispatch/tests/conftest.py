"""Shared fixtures for the back-office tests.

`staff`/`make_request`: one user per role and handlers of three units, requests brought to any
state by the workflow. `clock_staff`: a supervisor, dispatcher and handler with email addresses,
and the handler's unit with a mailbox (for the deadline and notification tests).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from dispatch.models import Assignment
from dispatch.tests import factories
from dispatch.workflow import request_lead_unit_refresh


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The default hasher costs ~0.3 s per user on purpose; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db):
    unit_a = factories.unit("金水区人民政府")
    unit_b = factories.unit("郑州市卫生健康委员会")
    unit_c = factories.unit("郑州市教育局")
    return SimpleNamespace(
        unit_a=unit_a,
        unit_b=unit_b,
        unit_c=unit_c,
        dispatcher=factories.dispatcher(username="disp"),
        supervisor=factories.supervisor(username="sup"),
        handler_a=factories.handler(unit_a, username="hand_a"),
        handler_b=factories.handler(unit_b, username="hand_b"),
        handler_c=factories.handler(unit_c, username="hand_c"),
        nobody=factories.StaffUserFactory(username="nobody"),
    )


@pytest.fixture
def make_request(staff):
    """make_request(state) → a request brought there by the workflow, lead unit A, assisting unit B."""

    def make(state: str, **kwargs):
        return factories.request_in_state(
            state,
            dispatcher_user=staff.dispatcher,
            handler_user=staff.handler_a,
            supervisor_user=staff.supervisor,
            lead=staff.unit_a,
            assist=staff.unit_b,
            **kwargs,
        )

    return make


T0 = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Zhengzhou


@pytest.fixture
def clock_staff(db):
    """supervisor, dispatcher and handler users (with emails) and the handler's unit."""
    unit = factories.unit("金水区人民政府")
    unit.email = "jinshui@zz.gov.cn"
    unit.save(update_fields=["email"])
    return {
        "sup": factories.supervisor(username="sup", email="sup@zz.gov.cn"),
        "disp": factories.dispatcher(username="disp", email="disp@zz.gov.cn"),
        "hand": factories.handler(unit, username="hand", email="hand@zz.gov.cn"),
        "unit": unit,
    }


def hand_over(help_request, unit) -> Assignment:
    assignment = Assignment.objects.create(request=help_request, unit=unit, role=Assignment.Role.LEAD)
    request_lead_unit_refresh(request_ids=[help_request.pk])
    return assignment
