"""The cache is Redis in production; its outage, refused or frozen, must never cost a citizen their
submission, nor more than a moment: the breaker skips it, limits keep counting in local files.

Each test runs its own redis-server (`own_redis`) and stops or freezes that one only.
"""

import logging
import time
import uuid

import pytest

from requests_app.models import HelpRequest
from requests_app.tests.factories import HelpRequestFactory
from requests_app.tests.test_forms import valid_data

pytestmark = [pytest.mark.faults, pytest.mark.django_db]


@pytest.fixture
def redis_cache(settings, tmp_path):
    def use(location):
        settings.CACHES = {
            "default": {
                "BACKEND": "helpdesk.cache.ResilientRedisCache",
                "LOCATION": location,
                "OPTIONS": {
                    "socket_connect_timeout": 0.3,
                    "socket_timeout": 0.3,
                    "FALLBACK_LOCATION": str(tmp_path / "fallback"),
                },
            }
        }
        from django.core.cache import cache

        cache.clear()
        return cache

    return use


def test_rate_limits_count_in_real_redis(client, settings, own_redis, redis_cache):
    redis_cache(own_redis.url)
    settings.RATELIMIT_SUBMIT = "2/h"
    assert client.post("/help/new/", valid_data()).status_code == 302
    assert client.post("/help/new/", valid_data()).status_code == 302
    assert client.post("/help/new/", valid_data()).status_code == 429
    import redis

    assert redis.Redis.from_url(own_redis.url).dbsize() > 0  # counted there, not in the fallback


def test_with_redis_refusing_citizens_submit_and_look_up_and_limits_still_count(client, settings, redis_cache, caplog):
    redis_cache("redis://127.0.0.1:1/0")  # nothing listens there
    settings.RATELIMIT_SUBMIT = "2/h"
    caplog.set_level(logging.WARNING)
    assert client.get("/").status_code == 200
    assert client.post("/help/new/", valid_data()).status_code == 302
    assert client.post("/help/new/", valid_data()).status_code == 302
    response = client.post("/help/new/", valid_data())
    assert response.status_code == 429  # counted in the local fallback while Redis is away
    assert HelpRequest.objects.count() == 2
    req = HelpRequestFactory(phone="13812345678")
    response = client.post("/help/track/", {"ticket_number": req.ticket_number, "phone": "13812345678"})
    assert response.status_code == 200 and req.ticket_number in response.content.decode()
    assert caplog.text.count("Redis unavailable (cache)") == 1
    assert "Traceback" not in caplog.text


def test_a_frozen_redis_costs_each_request_well_under_two_seconds(client, settings, own_redis, redis_cache, caplog):
    """SIGSTOP: connections are accepted and never answered. Generous bound; the benchmark has the figures."""
    redis_cache(own_redis.url)
    settings.RATELIMIT_SUBMIT = "100/h"
    settings.LOOKUP_MAX_FAILURES = 3
    caplog.set_level(logging.WARNING)
    assert client.post("/help/new/", valid_data()).status_code == 302  # connections are pooled and warm
    own_redis.freeze()
    acknowledged, slowest = [], 0.0
    try:
        for _ in range(12):
            started = time.monotonic()
            response = client.post("/help/new/", valid_data(submit_token=str(uuid.uuid4())))
            slowest = max(slowest, time.monotonic() - started)
            assert response.status_code == 302
            acknowledged.append(response["Location"])
        for _ in range(4):  # wrong phones: the lock-out still counts and locks, in the fallback
            started = time.monotonic()
            response = client.post("/help/track/", {"ticket_number": "ZZ20260101-0001", "phone": "13900000000"})
            slowest = max(slowest, time.monotonic() - started)
    finally:
        own_redis.thaw()
    assert slowest < 2.0, slowest
    assert response.status_code == 429  # the 4th wrong try is locked out
    assert HelpRequest.objects.count() == 1 + len(acknowledged) == 13
    assert HelpRequest.objects.exclude(submit_token=None).values("submit_token").distinct().count() == 12
    assert caplog.text.count("Redis unavailable (cache)") == 1
    assert "Traceback" not in caplog.text
    # Once it is back, the next probe closes the breaker and says so once.
    from helpdesk.breaker import breaker

    breaker("cache").retry_at = 0
    assert client.get("/").status_code == 200
    assert client.post("/help/new/", valid_data()).status_code == 302
    assert caplog.text.count("Redis back (cache)") == 1


def test_one_redis_client_serves_every_call_and_reconnects_after_a_restart(own_redis, redis_cache):
    # Django builds a redis.Redis per call; ours keeps one per pool (a third of a call's CPU).
    cache = redis_cache(own_redis.url)
    cache.set("lookup-failures", 2)
    client = cache._cache.get_client("lookup-failures")
    assert cache._cache.get_client("other", write=True) is client  # one server: one pool, one client
    assert cache.get("lookup-failures") == 2
    own_redis.stop()
    own_redis.start()  # same port, empty: its old connections are dead
    assert cache.get("lookup-failures") is None
    assert cache.add("lookup-failures", 1) and cache.incr("lookup-failures") == 2
    import redis

    assert redis.Redis.from_url(own_redis.url).dbsize() == 1  # counted in the new server, not the fallback
    assert cache._cache.get_client("lookup-failures") is client


def test_a_counter_is_increased_in_one_round_trip_and_keeps_its_expiry(own_redis, redis_cache):
    """Every rate-limited request increases a counter: one atomic command, never EXISTS then INCRBY
    (a counter expiring in between came back as a new one that never expires)."""
    import redis

    cache = redis_cache(own_redis.url)
    server = redis.Redis.from_url(own_redis.url)
    assert cache.add("rl:window", 1, 600) and cache.incr("rl:window") == 2  # the first loads the script
    before = server.info("commandstats")
    assert [cache.incr("rl:window") for _ in range(3)] == [3, 4, 5]
    after = server.info("commandstats")
    sent = {k: after[k]["calls"] - before.get(k, {}).get("calls", 0) for k in after}
    # One EVALSHA per increase: EXISTS and INCRBY run inside it, on the server.
    assert sent["cmdstat_evalsha"] == 3 and sent["cmdstat_incrby"] == 3, sent
    (key,) = server.keys("*rl:window")
    assert 0 < server.ttl(key) <= 600 and cache.get("rl:window") == 5
    with pytest.raises(ValueError):
        cache.incr("rl:never-added")
    assert server.keys("*rl:never-added") == []  # nothing created without an expiry
    own_redis.stop()
    own_redis.start()  # the script is gone from the new server: loaded again, not an error
    assert cache.add("rl:window", 1, 600) and cache.incr("rl:window") == 2
