"""Admin for the clock: the supervisors' late queue (latest first, scoped) and the outbox with failures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission

from dispatch import roles
from dispatch.deadlines import deadlines_sweep
from dispatch.models import Notification
from dispatch.notifications import Message, notifications_queue
from requests_app.tests.factories import HelpRequestFactory

from . import factories
from .conftest import T0, hand_over

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def late(clock_staff):
    """Three breached requests (late by 9 h, 5 h, 1 h at T0+10h) and one on time; the oldest handed to the unit."""
    reqs = [HelpRequestFactory(now=T0 + offset * HOUR) for offset in (0, 4, 8)]
    HelpRequestFactory(now=T0 + 10 * HOUR)
    hand_over(reqs[1], clock_staff["unit"])
    deadlines_sweep(now=T0 + 10 * HOUR)
    return reqs


@pytest.mark.django_db
def test_supervisors_queue_lists_breached_cases_latest_first(client, clock_staff, late, django_assert_max_num_queries):
    client.force_login(clock_staff["sup"])
    with django_assert_max_num_queries(12):
        response = client.get("/admin/dispatch/laterequest/")
    assert response.status_code == 200
    html = response.content.decode()
    positions = [html.index(r.ticket_number) for r in late]
    assert positions == sorted(positions)
    assert len(response.context["cl"].result_list) == 3


@pytest.mark.django_db
def test_handlers_see_only_their_units_late_cases(client, clock_staff, late):
    # A handler granted the late queue's view permission sees only the unit's cases there.
    # (Granting the supervisor's permissions makes a supervisor, who sees all: dispatch.access.)
    plain = factories.StaffUserFactory(username="plain")
    plain.user_permissions.add(
        *roles.roles_ensure()[roles.HANDLER].permissions.all(),
        Permission.objects.get(codename="view_laterequest"),
    )
    clock_staff["unit"].members.add(plain)
    client.force_login(plain)
    cl = client.get("/admin/dispatch/laterequest/").context["cl"]
    assert [r.pk for r in cl.result_list] == [late[1].pk]


@pytest.mark.django_db
def test_failed_notifications_are_listed_and_can_be_requeued(client, clock_staff, django_capture_on_commit_callbacks):
    (row,) = notifications_queue(
        messages=[Message(channel="email", recipients=["x@zz.gov.cn"], subject="s", body="b", kind="breach")]
    )
    Notification.objects.filter(pk=row.pk).update(state="failed", attempts=5, last_error="SMTPError: boom")
    client.force_login(clock_staff["disp"])
    response = client.get("/admin/dispatch/notification/?state__exact=failed")
    assert response.status_code == 200 and "x@zz.gov.cn" in response.content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(
            "/admin/dispatch/notification/",
            {"action": "retry_failed", "_selected_action": [row.pk], "index": 0},
        )
    row.refresh_from_db()
    assert row.state == "queued" and row.attempts == 0
    assert len(callbacks) == 1
