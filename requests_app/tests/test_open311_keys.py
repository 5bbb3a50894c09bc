"""API keys: created once, stored hashed, revocable, managed in admin."""

import hashlib

import pytest
from django.contrib.auth import get_user_model

from requests_app.models import ApiClient
from requests_app.open311 import selectors, services
from requests_app.tests.open311_helpers import make_client

pytestmark = pytest.mark.django_db


def test_key_is_returned_once_and_stored_hashed():
    client, key = make_client()
    assert len(key) >= 40
    stored = ApiClient.objects.filter(pk=client.pk).values().get()
    assert key not in {str(v) for v in stored.values()}
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert stored["key_prefix"] == key[:8]
    assert len(stored["webhook_secret"]) == 64


def test_keys_authenticate_only_their_client():
    first, first_key = make_client(name="正观新闻APP")
    second, second_key = make_client(name="网格化管理系统")
    assert first_key != second_key
    assert selectors.api_client_for_key(key=first_key) == first
    assert selectors.api_client_for_key(key=second_key) == second
    assert selectors.api_client_for_key(key="") is None
    assert selectors.api_client_for_key(key=first_key[:-1]) is None


def test_revoked_key_no_longer_authenticates():
    client, key = make_client()
    services.api_client_revoke(client=client)
    assert client.revoked_at is not None and not client.is_active
    assert selectors.api_client_for_key(key=key) is None
    # Revoking twice keeps the first time.
    first = client.revoked_at
    assert services.api_client_revoke(client=client).revoked_at == first


@pytest.fixture
def admin_client_logged_in(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456-x")
    client.force_login(user)
    return client


def test_admin_creates_a_client_and_shows_the_key_once(admin_client_logged_in, settings):
    settings.OPEN311_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the intranet receiver below
    response = admin_client_logged_in.post(
        "/admin/requests_app/apiclient/add/",
        {"name": "网格化管理系统", "webhook_url": "http://127.0.0.1:9/hook"},
        follow=True,
    )
    assert response.status_code == 200
    client = ApiClient.objects.get(name="网格化管理系统")
    [message] = [str(m) for m in response.context["messages"] if "接口密钥" in str(m)]
    key = message.split("：")[1].split()[0]
    assert selectors.api_client_for_key(key=key) == client
    assert client.webhook_secret in message
    # The change page never shows the key again.
    page = admin_client_logged_in.get(f"/admin/requests_app/apiclient/{client.pk}/change/").content.decode()
    assert key not in page and client.key_prefix in page


def test_admin_revoke_action(admin_client_logged_in):
    client, key = make_client()
    response = admin_client_logged_in.post(
        "/admin/requests_app/apiclient/",
        {"action": "revoke", "_selected_action": [client.pk]},
        follow=True,
    )
    assert response.status_code == 200
    client.refresh_from_db()
    assert client.revoked_at is not None
    assert selectors.api_client_for_key(key=key) is None


def test_admin_lists_webhook_deliveries_read_only(admin_client_logged_in):
    assert admin_client_logged_in.get("/admin/requests_app/webhookdelivery/").status_code == 200
    assert admin_client_logged_in.get("/admin/requests_app/webhookdelivery/add/").status_code == 403
