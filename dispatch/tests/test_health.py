"""/healthz, /readyz and the clock's banner: a stopped deadline sweep is visible to monitors and staff."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError
from django.utils import timezone

from dispatch import health
from dispatch.deadlines import deadlines_sweep
from dispatch.models import ClockRun, Notification
from requests_app.tests.factories import HelpRequestFactory

pytestmark = pytest.mark.django_db


def test_healthz_says_the_process_is_alive(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_checks_database_cache_broker_and_the_sweeps_age(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert set(body["checks"]) == {"database", "cache", "broker", "clock"}
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
    assert body["checks"]["broker"]["ok"], body
    assert body["checks"]["clock"] == {
        "ok": False,  # never swept yet
        "ms": body["checks"]["clock"]["ms"],
        "last_completed_at": None,
        "age_seconds": None,
        "interval_seconds": settings.DEADLINE_SWEEP_SECONDS,
        "stale_after_seconds": 3 * settings.DEADLINE_SWEEP_SECONDS,
    }
    assert body["status"] == "degraded"

    deadlines_sweep(now=timezone.now())
    assert ClockRun.objects.get(job="deadlines-sweep").completed_at is not None
    body = client.get("/readyz").json()
    assert body["status"] == "ok", body
    assert body["checks"]["clock"]["ok"] and body["checks"]["clock"]["age_seconds"] < 5
    assert client.get("/readyz?strict=1").status_code == 200


def test_a_sweep_older_than_three_intervals_is_stale_for_readyz_and_strict_monitors(client, settings):
    settings.DEADLINE_SWEEP_SECONDS = 30
    deadlines_sweep(now=timezone.now())
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=91)):
        response = client.get("/readyz")
        assert response.status_code == 200  # still serving: the load balancer keeps it
        body = response.json()
        assert body["status"] == "degraded"
        assert body["checks"]["clock"]["ok"] is False and body["checks"]["clock"]["age_seconds"] >= 91
        assert client.get("/readyz?strict=1").status_code == 503


def test_readyz_fails_without_the_database(client, monkeypatch):
    def down():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "_database", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "fail"
    assert response.json()["checks"]["database"] == {
        "ok": False,
        "ms": pytest.approx(0, abs=1000),
        "error": "DatabaseError",
    }


def test_readyz_reports_a_broker_that_is_away_without_waiting_for_it(client, settings, monkeypatch):
    from helpdesk.breaker import breaker

    breaker("broker").failure(OSError("Connection refused"))
    body = client.get("/readyz").json()
    assert body["status"] == "degraded" and body["checks"]["broker"]["ok"] is False


@pytest.fixture
def supervisor(db):
    from dispatch import roles

    user = get_user_model().objects.create_user(username="sup", password="x-pass-123456", is_staff=True)
    user.groups.add(roles.roles_ensure()[roles.SUPERVISOR])
    return user


def test_staff_pages_show_a_banner_when_the_last_sweep_is_older_than_three_intervals(client, supervisor, settings):
    settings.DEADLINE_SWEEP_SECONDS = 30
    client.force_login(supervisor)
    deadlines_sweep(now=timezone.now())
    response = client.get("/admin/")
    assert response.status_code == 200 and "督办与统计" in response.content.decode()
    assert "时限监控已停止" not in response.content.decode()

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        for url in ("/admin/", "/admin/requests_app/helprequest/"):
            response = client.get(url)
            assert response.status_code == 200
            html = response.content.decode()
            assert 'id="clock-banner"' in html and "时限监控已停止" in html and "10 分钟前" in html
    client.logout()
    response = client.get("/admin/login/")
    assert response.status_code == 200 and "时限监控已停止" not in response.content.decode()


def test_the_demo_staff_have_addresses_so_the_demos_breaches_reach_the_outbox(settings):
    call_command("seed_demo", stdout=StringIO())
    users = get_user_model().objects.filter(username__in=["dispatcher", "handler", "supervisor"])
    assert sorted(u.email for u in users) == [
        "dispatcher@yibang.example",
        "handler@yibang.example",
        "supervisor@yibang.example",
    ]
    req = HelpRequestFactory()
    deadlines_sweep(now=req.created_at + dt.timedelta(days=2))
    breaches = Notification.objects.filter(kind=Notification.Kind.BREACH, request=req)
    recipients = {n.recipient for n in breaches}
    assert {"supervisor@yibang.example", "dispatcher@yibang.example"} <= recipients
