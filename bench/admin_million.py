"""Time the staff changelists on a million requests (run by hand, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_bench_million \
        .venv/bin/python bench/admin_million.py [--repeat 5] [--explain]

Needs a database made by bench/seed_million.py and migrated. Seeding creates
no dispatch assignments, so the first run adds them (SQL, once): an active
lead assignment to one of the units for every request past hand-over (about
900k), and an assisting unit for one in ten of those. It also creates two
staff users (idempotent): `bench_dispatcher` (平台交办员, sees everything) and
`bench_handler` (承办人, member of one unit: sees about 1/28 of the requests).

Then, for each user and each changelist URL (no filter, state, unit, late,
urgent, tag, ordering by the clock column, search by ticket number and by
phone), it GETs the page through Django's test client (full middleware,
templates, DEBUG off) and prints the median wall time, the number of SQL
queries and the slowest query. With --explain it prints EXPLAIN (ANALYZE,
BUFFERS) of each page's slowest query. Query counts must not depend on the
table's size (dispatch/tests/test_admin.py pins them on a small table).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
# Use the SECRET_KEY the database was migrated with: requests_app 0003 encrypts
# and hashes the seeded phones with keys derived from it.
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["DEBUG"] = "0"
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ["CELERY_BROKER_URL"] = "memory://"

PAST_HAND_OVER = ("handed_over", "accepted", "reopened", "resolved", "closed")


def assignments_ensure() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM dispatch_assignment)")
        if cur.fetchone()[0]:
            return
        started = time.perf_counter()
        cur.execute("SELECT array_agg(id ORDER BY id) FROM dispatch_unit")
        units = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO dispatch_assignment
              (request_id, unit_id, role, instructions, assigned_at, is_active, return_reason)
            SELECT r.id, (%s::bigint[])[1 + r.id %% %s], 'lead', '', r.created_at + interval '20 minutes', true, ''
            FROM requests_app_helprequest r WHERE r.state = ANY(%s)
            """,
            [units, len(units), list(PAST_HAND_OVER)],
        )
        leads = cur.rowcount
        cur.execute(
            """
            INSERT INTO dispatch_assignment
              (request_id, unit_id, role, instructions, assigned_at, is_active, return_reason)
            SELECT r.id, (%s::bigint[])[1 + (r.id / 7) %% %s], 'assist', '', r.created_at + interval '20 minutes',
                   true, ''
            FROM requests_app_helprequest r
            WHERE r.state = ANY(%s) AND r.id %% 10 = 0 AND (r.id / 7) %% %s <> r.id %% %s
            """,
            [units, len(units), list(PAST_HAND_OVER), len(units), len(units)],
        )
        assists = cur.rowcount
        cur.execute("ANALYZE dispatch_assignment")
        print(f"added {leads:,} lead and {assists:,} assisting assignments in {time.perf_counter() - started:.1f}s")


def users_ensure():
    from django.contrib.auth import get_user_model

    from dispatch import roles
    from dispatch.models import Unit, UnitMembership

    groups = roles.roles_ensure()
    User = get_user_model()
    dispatcher, _ = User.objects.get_or_create(username="bench_dispatcher", defaults={"is_staff": True})
    dispatcher.groups.add(groups[roles.DISPATCHER])
    handler, _ = User.objects.get_or_create(username="bench_handler", defaults={"is_staff": True})
    handler.groups.add(groups[roles.HANDLER])
    unit = Unit.objects.order_by("id").first()
    UnitMembership.objects.get_or_create(unit=unit, user=handler)
    return dispatcher, handler, unit


def samples(unit_id: int) -> tuple[str, str]:
    """A ticket number and a phone to search for, taken from the handler's unit (so both users find it)."""
    from dispatch.models import Assignment

    assignment = Assignment.objects.filter(unit_id=unit_id, is_active=True).select_related("request").last()
    return assignment.request.ticket_number, assignment.request.phone


def measure(client, url: str, repeat: int) -> tuple[float, int, float, str] | None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up (and a check)
    if response.status_code == 403:
        return None
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
    return 1000 * statistics.median(times), len(ctx.captured_queries), 1000 * float(slowest["time"]), slowest["sql"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    name = urlparse(os.environ.get("DATABASE_URL", "")).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit("point DATABASE_URL at a bench database (its name must contain 'bench')")

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from requests_app.models import HelpRequest

    assignments_ensure()
    dispatcher, handler, unit = users_ensure()
    ticket, phone = samples(unit.pk)
    total = HelpRequest.objects.count()
    print(f"{total:,} requests; handler's unit: {unit} (id {unit.pk}); search samples {ticket} / {phone[:3]}****")

    base = "/admin/requests_app/helprequest/"
    pages = [
        ("no filter", base),
        ("state=accepted", base + "?state__exact=accepted"),
        ("state=submitted", base + "?state__exact=submitted"),
        ("unit", base + f"?unit={unit.pk}"),
        ("late", base + "?late=1"),
        ("late + state=accepted", base + "?late=1&state__exact=accepted"),
        ("urgent", base + "?is_urgent__exact=1"),
        ("tag 难", base + "?tag=nan"),
        ("order by clock", base + "?o=5"),
        ("page 20", base + "?p=20"),
        ("search ticket", base + f"?q={ticket}"),
        ("search phone", base + f"?q={phone}"),
        ("督办 queue", "/admin/dispatch/laterequest/"),
    ]
    print(f"{'user':<11}{'page':<24}{'ms (median)':>12}{'queries':>9}{'slowest ms':>12}")
    for user in (dispatcher, handler):
        client = Client()
        client.force_login(user)
        for label, url in pages:
            measured = measure(client, url, args.repeat)
            if measured is None:
                print(f"{user.username.removeprefix('bench_'):<11}{label:<24}{'(not allowed)':>12}")
                continue
            ms, queries, slowest_ms, sql = measured
            print(f"{user.username.removeprefix('bench_'):<11}{label:<24}{ms:>12.1f}{queries:>9}{slowest_ms:>12.1f}")
            if args.explain:
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    print("    " + "\n    ".join(row[0] for row in cur.fetchall()))


if __name__ == "__main__":
    main()
