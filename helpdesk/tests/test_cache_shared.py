"""The embedded default cache is shared by every process: limits count once, not once per worker.

`make run` starts two gunicorn workers; a per-process cache (locmem) would let
each of them count its own wrong phones and its own lookups.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

BASE_DIR = Path(__file__).resolve().parents[2]

# One web worker: a few lookups through the real view with Django's test client.
_WORKER = """
import json, sys
import django
django.setup()
from django.test import Client

lock_ip, lock_ticket, rate_ip, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
wrong = {"phone": "13900000000"}
lock = Client(REMOTE_ADDR=lock_ip)
rate = Client(REMOTE_ADDR=rate_ip)
out = {"lock": [], "rate": []}
for _ in range(n):
    r = lock.post("/help/track/", {"ticket_number": lock_ticket, **wrong})
    out["lock"].append(r.status_code)
for i in range(n + 2):
    # A different number each time: only the per-address limit can stop these.
    r = rate.post("/help/track/", {"ticket_number": f"{lock_ticket}{i}", **wrong})
    out["rate"].append(r.status_code)
print(json.dumps(out))
"""


def _worker(*, db_url: str, lock_ip: str, ticket: str, rate_ip: str, n: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DATABASE_URL": db_url, "RATELIMIT_LOOKUP": "8/d", "LOOKUP_MAX_FAILURES": "5"})
    result = subprocess.run(
        [sys.executable, "-c", _WORKER, lock_ip, ticket, rate_ip, str(n)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_two_processes_share_the_lookup_lock_and_the_rate_limit(on_postgres):
    """Two processes with the default cache: 5 wrong phones in all lock the number; 8 lookups in all trip the limit."""
    from django.db import connection

    s = connection.settings_dict
    db_url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    # Addresses and a number no other run uses, so the shared cache holds no counts for them yet.
    lock_ip, rate_ip = (
        f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}" for _ in range(2)
    )
    ticket = f"ZZ20990101-{secrets.randbelow(10**6):06d}"

    first = _worker(db_url=db_url, lock_ip=lock_ip, ticket=ticket, rate_ip=rate_ip, n=3)
    second = _worker(db_url=db_url, lock_ip=lock_ip, ticket=ticket, rate_ip=rate_ip, n=3)

    # Five wrong phones in all (three here, two there), then the number is locked in both.
    assert first["lock"] == [200, 200, 200]
    assert second["lock"] == [200, 200, 429]
    # Eight lookups per address in all (the lock part used the other address).
    assert first["rate"] == [200] * 5
    assert second["rate"] == [200, 200, 200, 429, 429]


def test_per_process_cache_without_debug_is_a_check_error(settings):
    from requests_app.checks import shared_cache_check

    settings.DEBUG = False
    for backend in ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"):
        settings.CACHES = {"default": {"BACKEND": backend}}
        [error] = shared_cache_check(None)
        assert error.level == checks.ERROR and error.id == "requests_app.E001"
        assert "CACHE_URL" in error.msg + error.hint
    settings.DEBUG = True
    assert shared_cache_check(None) == []


def test_the_embedded_default_is_a_shared_cache_and_ratelimit_checks_run(settings):
    from django.conf import settings as conf

    assert "django_ratelimit" in conf.INSTALLED_APPS
    assert "django_ratelimit.E003" not in getattr(conf, "SILENCED_SYSTEM_CHECKS", [])
    from requests_app.checks import shared_cache_check

    settings.DEBUG = False
    assert shared_cache_check(None) == []


_COUNTER = """
import sys
from helpdesk.cache import SharedFileCache

cache = SharedFileCache(sys.argv[1], {})
for _ in range(int(sys.argv[2])):
    if not cache.add("hits", 1, 600):
        cache.incr("hits")
"""


def test_add_and_incr_lose_no_count_between_concurrent_processes(tmp_path):
    """Django's file cache reads then writes; two processes counting at once must still count every hit."""
    from helpdesk.cache import SharedFileCache

    procs = [subprocess.Popen([sys.executable, "-c", _COUNTER, str(tmp_path), "150"], cwd=BASE_DIR) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    cache = SharedFileCache(str(tmp_path), {})
    assert cache.get("hits") == 300
    assert cache.incr("hits", 5) == 305
