"""Benchmark the deadline sweep on a big table (run by hand, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_bench_clock \
        .venv/bin/python bench/sweep_bench.py --requests 1000000 --due 0.01 --due 0.1

Drops and recreates the database named in DATABASE_URL (it must contain
"bench"), migrates it, loads N open requests with three pending deadlines each
(contact, resolve, feedback; server-side generate_series, no ORM), then for
each --due fraction: makes that share of the contact deadlines overdue, prints
the EXPLAIN of the sweep's claim query and times one full `deadlines_sweep`
(claiming, flagging, events, escalation and one supervisor notification per
breach, published to an in-memory broker so Redis is not flooded).
The cost should follow the number of due deadlines, not the table's size.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["CELERY_BROKER_URL"] = "memory://"


def recreate_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the bench database name must contain 'bench'")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def load(n: int) -> None:
    from django.db import connection

    from requests_app.models import Category, District

    category, district = Category.objects.first().pk, District.objects.first().pk
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO requests_app_helprequest
              (ticket_number, category_claimed_id, urgency_claimed, district_id, name, phone, address, title,
               content, category_id, is_urgent, tag_nan, tag_chou, tag_pan, request_type, state, created_at,
               updated_at, extensions_used, reopen_count, phone_hash)
            SELECT 'B' || lpad(i::text, 9, '0'), %s, 'normal', %s, '张三', '138' || lpad(i::text, 8, '0'), '',
                   '测试', '测试', %s, false, false, false, false, '', 'submitted', now(), now(), 0, 0,
                   md5(i::text)
            FROM generate_series(1, %s) AS i
            """,
            [category, district, category, n],
        )
        # name and phone are plain text, not Fernet tokens: the sweep never reads them
        # (it loads ticket_number and title only), and encrypting a million values
        # in Python would dominate the load time.
        # Three pending deadlines per request, all in the future for now.
        cur.execute(
            """
            INSERT INTO requests_app_deadline (request_id, kind, due_at)
            SELECT r.id, k.kind, now() + k.after
            FROM requests_app_helprequest r
            CROSS JOIN (VALUES ('contact', interval '1 hour'), ('resolve', interval '7 hours'),
                               ('feedback', interval '1 day')) AS k(kind, after)
            """
        )


def make_due(fraction: float, n: int) -> int:
    """Reset earlier runs, then make the first `fraction` of requests' contact deadlines overdue."""
    from django.db import connection

    due = int(n * fraction)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM dispatch_notification")
        cur.execute("DELETE FROM requests_app_event WHERE kind = 'deadline'")
        cur.execute("UPDATE requests_app_helprequest SET escalated_at = NULL WHERE escalated_at IS NOT NULL")
        cur.execute("UPDATE requests_app_deadline SET breached_at = NULL WHERE breached_at IS NOT NULL")
        cur.execute(
            """
            UPDATE requests_app_deadline d
            SET due_at = CASE WHEN d.request_id <= (SELECT min(id) FROM requests_app_helprequest) + %s - 1
                              THEN now() - interval '5 minutes' ELSE now() + interval '1 hour' END,
                reminded_at = NULL
            WHERE d.kind = 'contact'
            """,
            [due],
        )
        cur.execute("VACUUM ANALYZE requests_app_deadline")
        cur.execute("VACUUM ANALYZE requests_app_helprequest")
    return due


def explain() -> str:
    from django.utils import timezone

    from requests_app.models import Deadline

    qs = (
        Deadline.objects.filter(
            met_at__isnull=True, breached_at__isnull=True, waived_at__isnull=True, due_at__lte=timezone.now()
        )
        .select_for_update(skip_locked=True)
        .order_by("due_at")[:500]
    )
    return qs.explain(analyze=True, buffers=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--due", type=float, action="append", help="share of requests overdue (repeatable)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]

    if not args.reuse:
        recreate_database(url)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from dispatch import roles
    from dispatch.deadlines import deadlines_sweep

    if not args.reuse:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        load(args.requests)
        print(
            f"loaded {args.requests:,} requests, {3 * args.requests:,} deadlines in {time.perf_counter() - started:.1f}s"
        )
        supervisor = get_user_model().objects.create_user(username="sup", email="sup@zz.gov.cn")
        supervisor.groups.add(roles.roles_ensure()[roles.SUPERVISOR])
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM requests_app_helprequest")
        total = cur.fetchone()[0]

    for fraction in args.due or [0.01]:
        due = make_due(fraction, total)
        print(f"\n=== {total:,} open requests, {due:,} overdue ({fraction:.1%}) ===")
        with transaction.atomic():
            print(explain())
        started = time.perf_counter()
        result = deadlines_sweep(now=timezone.now(), batch_size=args.batch_size)
        elapsed = time.perf_counter() - started
        print(f"sweep: {result} in {elapsed:.2f}s ({1000 * elapsed / max(result.breached, 1):.2f} ms per breach)")
        started = time.perf_counter()
        again = deadlines_sweep(now=timezone.now(), batch_size=args.batch_size)
        print(f"second sweep (nothing due): {again} in {1000 * (time.perf_counter() - started):.1f} ms")


if __name__ == "__main__":
    main()
