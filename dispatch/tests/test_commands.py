"""`manage.py sweep_deadlines` runs the same sweep by hand."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from requests_app.models import Deadline
from requests_app.tests.factories import HelpRequestFactory


@pytest.mark.django_db
def test_sweep_deadlines_command_flags_overdue_deadlines_once(clock_staff):
    req = HelpRequestFactory(now=timezone.now() - dt.timedelta(hours=2))
    out = StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert "breached=1" in out.getvalue()
    assert Deadline.objects.get(request=req, kind="contact").breached_at is not None
    out = StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert "breached=0" in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_makes_accounts_and_demo_requests_once():
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from requests_app.models import HelpRequest

    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    assert get_user_model().objects.filter(username__in=["dispatcher", "handler", "supervisor"]).count() == 3
    operator = get_user_model().objects.get(username="operator")
    assert operator.has_perm("dispatch.intake_request") and "operator    password: yibang-demo-2026" in out.getvalue()
    states = sorted(HelpRequest.objects.values_list("state", flat=True))
    # The sixth is the 问政 board's (board's seed_demo): consented, answered, approved.
    assert states == ["accepted", "closed", "handed_over", "listed", "resolved", "submitted"]
    assert "password: yibang-demo-2026" in out.getvalue()
