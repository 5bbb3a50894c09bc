"""Benchmark /stats/ and the dashboard with 1,000,000 requests.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_bench_close \\
        .venv/bin/python bench/stats_million.py [--rows 1000000] [--fresh]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_1m SECRET_KEY=bench-only \\
        .venv/bin/python bench/stats_million.py --seeded [--repeat 10]

With --seeded it reads a database filled by bench/seed_million.py (any name,
never written to, no count of the table) instead of generating its own.

Creates the database (never the application's own), migrates it, fills it with
INSERT … SELECT generate_series (requests over the last 365 days, their
deadlines, lead hand-overs and ratings, with realistic proportions), ANALYZEs,
then times every /stats/ query for 7/30/365 days (uncached), the whole page
through the test client (cold cache, then warm), and the dashboard's unit
table, and prints EXPLAIN (ANALYZE) of the biggest query. Rerunning reuses the
data unless --fresh.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yibang_bench_close"


def _database_create(url: str, *, fresh: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


GENERATE = [
    # Requests: created uniformly over the last 365 days; states in rough real proportions.
    """
    INSERT INTO requests_app_helprequest (
        ticket_number, category_claimed_id, urgency_claimed, district_id, name, phone, phone_hash, address,
        title, content, category_id, is_urgent, tag_nan, tag_chou, tag_pan, request_type, state,
        created_at, updated_at, first_contact_at, resolved_at, closed_at, extensions_used, reopen_count)
    SELECT 'B' || lpad(g::text, 9, '0'), c.ids[1 + (g % array_length(c.ids, 1))],
           CASE WHEN g % 10 = 0 THEN 'urgent' ELSE 'normal' END, d.ids[1 + (g % array_length(d.ids, 1))],
           'x', 'x', md5(g::text), '', 'bench', 'bench', c.ids[1 + (g % array_length(c.ids, 1))],
           g % 10 = 0, g % 7 = 0, g % 11 = 0, g % 13 = 0, '',
           CASE WHEN g % 100 < 2 THEN 'submitted' WHEN g % 100 < 4 THEN 'listed'
                WHEN g % 100 < 6 THEN 'handed_over' WHEN g % 100 < 10 THEN 'accepted'
                WHEN g % 100 < 11 THEN 'returned' WHEN g % 100 < 12 THEN 'reopened'
                WHEN g % 100 < 25 THEN 'resolved' WHEN g % 100 < 95 THEN 'closed'
                ELSE 'invalid' END,
           t.created, t.created, t.created + interval '40 minutes', NULL, NULL, 0, (g % 50 = 0)::int
    FROM generate_series(1, %(rows)s) AS g
    CROSS JOIN LATERAL (SELECT now() - (g::float / %(rows)s) * interval '365 days' AS created) AS t
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM requests_app_category) AS c
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM requests_app_district) AS d
    """,
    # A duplicate needs its main request (the check constraint): the oldest closed one.
    """UPDATE requests_app_helprequest SET state = 'duplicate',
              duplicate_of_id = (SELECT min(id) FROM requests_app_helprequest WHERE state = 'closed')
       WHERE state = 'invalid' AND mod(id, 100) >= 98""",
    """UPDATE requests_app_helprequest SET resolved_at = created_at + (id % 9) * interval '1 hour'
       WHERE state IN ('resolved', 'closed')""",
    "UPDATE requests_app_helprequest SET closed_at = resolved_at + interval '5 hours' WHERE state = 'closed'",
    # Deadlines: contact, resolve, feedback for every request; urgent for the urgent ones.
    """
    INSERT INTO requests_app_deadline (request_id, kind, due_at, met_at, waived_at)
    SELECT r.id, k.kind, r.created_at + k.due,
           CASE WHEN r.state IN ('invalid', 'duplicate') THEN NULL
                WHEN k.kind = 'contact' THEN r.first_contact_at + (r.id % 3) * interval '20 minutes'
                WHEN k.kind IN ('resolve', 'urgent') THEN r.resolved_at
                WHEN k.kind = 'feedback' THEN r.closed_at END,
           CASE WHEN r.state IN ('invalid', 'duplicate') THEN r.created_at + interval '10 minutes' END
    FROM requests_app_helprequest r
    CROSS JOIN (VALUES ('contact', interval '1 hour'), ('urgent', interval '3 hours'),
                       ('resolve', interval '7 hours'), ('feedback', interval '1 day')) AS k(kind, due)
    WHERE k.kind <> 'urgent' OR r.is_urgent
    """,
    # One active lead hand-over for every request past the dispatchers' queue.
    """
    INSERT INTO dispatch_assignment (request_id, unit_id, role, instructions, assigned_at, accepted_at,
                                     returned_at, return_reason, is_active)
    SELECT r.id, u.ids[1 + (r.id % array_length(u.ids, 1))], 'lead', '', r.created_at + interval '15 minutes',
           CASE WHEN r.state NOT IN ('handed_over') THEN r.created_at + (r.id % 5) * interval '20 minutes' END,
           NULL, '', TRUE
    FROM requests_app_helprequest r
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM dispatch_unit) AS u
    WHERE r.state IN ('handed_over', 'accepted', 'reopened', 'resolved', 'closed')
    """,
    # Ratings for 60 % of the closed requests and the reopened ones.
    """
    INSERT INTO requests_app_feedback (request_id, round, rating, comment, channel, created_at)
    SELECT r.id, 0, CASE WHEN r.state = 'reopened' OR r.id % 10 = 0 THEN 'unsatisfied'
                         WHEN r.id % 3 = 0 THEN 'basic' ELSE 'satisfied' END,
           '', CASE WHEN r.id % 4 = 0 THEN 'phone' ELSE 'online' END, coalesce(r.closed_at, r.updated_at)
    FROM requests_app_helprequest r
    WHERE (r.state = 'closed' AND r.id % 5 < 3) OR r.state = 'reopened'
    """,
    "ANALYZE",
]


REPEAT = 1


def _timed(label: str, fn, before=None):
    """Run fn REPEAT times (before() ahead of each, untimed); print the time, or p50/p95 when repeated."""
    times = []
    for _ in range(REPEAT):
        if before is not None:
            before()
        start = time.perf_counter()
        result = fn()
        times.append(1000 * (time.perf_counter() - start))
    if REPEAT == 1:
        print(f"{label:<52} {times[0]:8.0f} ms")
    else:
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{label:<52} p50 {statistics.median(times):7.0f} ms  p95 {p95:7.0f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--seeded", action="store_true", help="a database made by bench/seed_million.py")
    parser.add_argument("--repeat", type=int, default=1, help="time each step this many times (p50/p95)")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not args.seeded:
        if not url.rstrip("/").rsplit("/", 1)[1].startswith("yibang_bench"):
            sys.exit("refusing: the benchmark database's name must start with yibang_bench")
        _database_create(url, fresh=args.fresh)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")

    import django

    django.setup()
    from django.db import connection

    from requests_app.models import HelpRequest

    global REPEAT
    REPEAT = max(1, args.repeat)
    if args.seeded:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'requests_app_helprequest'")
            print(f"requests (planner estimate): {cursor.fetchone()[0]:,}")
    else:
        _generate(rows=args.rows)
        print(f"requests: {HelpRequest.objects.count():,}")
    _measure()


def _generate(*, rows: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from requests_app.models import HelpRequest

    call_command("migrate", verbosity=0)
    have = HelpRequest.objects.count()
    if have < rows:
        if have:
            sys.exit(f"{have} rows present; rerun with --fresh")
        with connection.cursor() as cursor:
            for sql in GENERATE:
                label = "generate: " + " ".join(sql.split())[:40]
                if "%(rows)s" in sql:  # modulo must be doubled where there are parameters
                    _timed(label, lambda sql=sql: cursor.execute(sql.replace(" % ", " %% "), {"rows": rows}))
                else:
                    _timed(label, lambda sql=sql: cursor.execute(sql))


def _measure() -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dispatch import dashboard, stats
    from dispatch.tests.factories import supervisor

    for days in stats.PERIODS:
        with CaptureQueriesContext(connection) as ctx:
            _timed(f"figures_compute(days={days}) uncached", lambda days=days: stats.figures_compute(days=days))
        biggest = max(ctx.captured_queries, key=lambda q: float(q["time"]))["sql"]
        for q in ctx.captured_queries:
            print(f"    {float(q['time']) * 1000:8.0f} ms  {q['sql'][:90]}")

    client = Client()
    for days in stats.PERIODS:
        cache.clear()
        response = _timed(
            f"GET /stats/?days={days} (cold cache)",
            lambda days=days: client.get(f"/stats/?days={days}"),
            before=cache.clear,
        )
        assert response.status_code == 200, response.status_code
        _timed(f"GET /stats/?days={days} (cached)", lambda days=days: client.get(f"/stats/?days={days}"))

    user = get_or_create_supervisor(supervisor)
    for days in stats.PERIODS:
        _timed(f"units_scorecard(days={days})", lambda days=days: dashboard.units_scorecard(user=user, days=days))
    _timed("requests_late_now()", lambda: dashboard.requests_late_now(user=user))

    # The biggest query: the 365-day GROUP BY over requests, their deadlines and lead.
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + biggest)
        print("\nEXPLAIN ANALYZE of the 365-day requests × deadlines × lead GROUP BY:")
        for (line,) in cursor.fetchall():
            print("   ", line)


def get_or_create_supervisor(factory):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="bench-supervisor").first()
    return user or factory(username="bench-supervisor")


if __name__ == "__main__":
    main()
