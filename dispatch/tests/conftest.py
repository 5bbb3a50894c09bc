"""Fixtures for the back office: one staff user per role, a unit, a request handed to it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from dispatch import roles
from dispatch.models import Assignment, Unit, UnitMembership

T0 = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Zhengzhou


@pytest.fixture
def staff(db):
    """supervisor, dispatcher and handler users (with emails) and the handler's unit."""
    groups = roles.roles_ensure()
    users = {}
    for name, role in (("sup", roles.SUPERVISOR), ("disp", roles.DISPATCHER), ("hand", roles.HANDLER)):
        user = get_user_model().objects.create_user(
            username=name, email=f"{name}@zz.gov.cn", password="x-pass-123456", is_staff=True
        )
        user.groups.add(groups[role])
        users[name] = user
    unit = Unit.objects.get(name="金水区人民政府")
    unit.email = "jinshui@zz.gov.cn"
    unit.save(update_fields=["email"])
    UnitMembership.objects.create(unit=unit, user=users["hand"])
    users["unit"] = unit
    return users


def hand_over(help_request, unit) -> Assignment:
    return Assignment.objects.create(request=help_request, unit=unit, role=Assignment.Role.LEAD)
