"""Staff login: throttled after repeated failures and auditable."""

import pytest
from axes.models import AccessAttempt, AccessLog

from dispatch.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_repeated_wrong_passwords_lock_the_login_and_every_attempt_is_recorded(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    StaffUserFactory(username="dispatcher-x", password="correct-horse-battery")
    for _ in range(2):
        response = client.post("/admin/login/", {"username": "dispatcher-x", "password": "wrong"})
        assert response.status_code == 200  # the form again, with Django's message
    response = client.post("/admin/login/", {"username": "dispatcher-x", "password": "wrong"})
    assert response.status_code == 429
    assert "已暂时锁定" in response.content.decode()
    # Even the right password waits for the lock to pass.
    locked = client.post("/admin/login/", {"username": "dispatcher-x", "password": "correct-horse-battery"})
    assert locked.status_code == 429
    attempt = AccessAttempt.objects.get(username="dispatcher-x")
    assert attempt.failures_since_start >= 3 and attempt.ip_address == "127.0.0.1"


def test_a_successful_login_is_logged(client):
    StaffUserFactory(username="supervisor-x", password="correct-horse-battery")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "supervisor-x", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert AccessLog.objects.filter(username="supervisor-x").count() == 1


def test_with_two_factor_on_a_password_alone_does_not_open_the_admin(client, settings):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.STAFF_2FA = True
    user = StaffUserFactory(username="supervisor-2fa", password="correct-horse-battery")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "supervisor-2fa", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200  # no device, no entry
    assert client.get("/admin/").status_code == 302

    device = TOTPDevice.objects.create(user=user, name="手机", confirmed=True)
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "supervisor-2fa",
            "password": "correct-horse-battery",
            "otp_device": device.persistent_id,
            "otp_token": f"{token:06d}",
        },
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_without_two_factor_the_password_is_enough(client, settings):
    settings.STAFF_2FA = False
    StaffUserFactory(username="dispatcher-1fa", password="correct-horse-battery")
    client.post("/admin/login/?next=/admin/", {"username": "dispatcher-1fa", "password": "correct-horse-battery"})
    response = client.get("/admin/")
    assert response.status_code == 200 and "一帮到底" in response.content.decode()
