"""The cache is Redis in production; its outage must never cost a citizen their submission."""

import os

import pytest

from requests_app.models import HelpRequest
from requests_app.tests.factories import HelpRequestFactory
from requests_app.tests.test_forms import valid_data

pytestmark = pytest.mark.django_db


def redis_cache(location):
    return {
        "default": {
            "BACKEND": "helpdesk.cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_rate_limits_count_in_real_redis(client, settings):
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    if not broker.startswith("redis://"):
        pytest.skip("needs Redis (CELERY_BROKER_URL)")
    settings.CACHES = redis_cache(broker.rsplit("/", 1)[0] + "/13")
    from django.core.cache import cache

    cache.clear()
    settings.RATELIMIT_SUBMIT = "2/h"
    assert client.post("/help/new/", valid_data()).status_code == 302
    assert client.post("/help/new/", valid_data()).status_code == 302
    assert client.post("/help/new/", valid_data()).status_code == 429
    cache.clear()


def test_with_the_cache_down_citizens_still_submit_and_look_up(client, settings, caplog):
    settings.CACHES = redis_cache("redis://127.0.0.1:1/0")  # nothing listens there
    settings.RATELIMIT_SUBMIT = "1/h"
    assert client.get("/").status_code == 200
    for _ in range(2):  # the limit cannot be counted, so it lets people through
        assert client.post("/help/new/", valid_data()).status_code == 302
    assert HelpRequest.objects.count() == 2
    req = HelpRequestFactory(phone="13812345678")
    response = client.post("/help/track/", {"ticket_number": req.ticket_number, "phone": "13812345678"})
    assert response.status_code == 200 and req.ticket_number in response.content.decode()
    assert "cache unavailable" in caplog.text
