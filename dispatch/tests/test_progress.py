"""The citizen's progress page stays right once the sweep has flagged or an extension has moved a deadline."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dispatch.deadlines import deadlines_extend, deadlines_meet, deadlines_sweep
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory

from .conftest import T0

HOUR = dt.timedelta(hours=1)


def statuses(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-kind="(\w+)" data-status="(\w+)"', html))


@pytest.mark.django_db
def test_progress_page_shows_missed_met_running_and_extended_due_times(client, clock_staff):
    req = HelpRequestFactory(now=T0)
    url = reverse("requests_app:track_token", args=[track_token_for(ticket_number=req.ticket_number)])
    with time_machine.travel(T0 + 2 * HOUR, tick=False):
        deadlines_sweep(now=timezone.now())  # contact is late: flagged
        deadlines_extend(help_request=req, kinds=["resolve"], by=3 * HOUR)  # 17:00 → 20:00 local
        html = client.get(url).content.decode()
    assert statuses(html) == {"contact": "missed", "resolve": "running", "feedback": "running"}
    assert "2026-03-15 20:00" in html and "2026-03-15 17:00" not in html
    assert "超时未完成" not in html, "the sweep's event is internal"

    # Contact made late: still "missed", with the time it was done.
    deadlines_meet(help_request=req, kinds=["contact"], at=T0 + 3 * HOUR)
    with time_machine.travel(T0 + 4 * HOUR, tick=False):
        html = client.get(url).content.decode()
    assert statuses(html)["contact"] == "missed"
    assert "完成于 2026-03-15 13:00" in html

    # The extension rescued resolve: met before its new due time.
    deadlines_meet(help_request=req, kinds=["resolve"], at=T0 + 8 * HOUR)
    with time_machine.travel(T0 + 8 * HOUR, tick=False):
        assert statuses(client.get(url).content.decode())["resolve"] == "met"
