"""Fill a PostgreSQL database with years of realistic requests (1,000,000 over 3 years by default), fast.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_million SECRET_KEY=bench-only \\
        .venv/bin/python bench/seed_million.py [--requests 1000000] [--days 1095]

Everything but the encryption is generated inside PostgreSQL (INSERT ...
SELECT over generate_series). The database is created if missing and
migrated; the script refuses one that already holds requests. Secondary
indexes are dropped for the load and rebuilt after it, and foreign-key
triggers are off during the load (the rows are consistent by construction),
so 5 M requests with their 50 M dependent rows take minutes, not hours.

What it makes, like the portal's own rows:

- requests spread evenly over the last `--days` days, ticket numbers per local
  day like the real counter (and the counter rows set past them), every
  category and district, ~15 % urgent, some 难/愁/盼 tags, 1,200 distinct
  titles;
- names, phones and addresses encrypted with the configured keys (the real
  `requests_app.crypto`): each distinct value is encrypted once in Python and
  its ciphertext reused, from pools of n/20 phones (so a phone search finds
  ~20 requests, with the keyed hash beside it), 5,000 names, 5,000 addresses;
- every state, about 2 % open: older requests mostly closed, some resolved,
  invalid, duplicate (of the request before), reopened, returned or still
  in progress; the last two days spread over submitted ... resolved;
- all four deadlines (urgent only when urgent) with met_at from the request's
  own times, breached_at and escalated_at when late, waived_at for
  invalid/duplicate ones; the request's denormalised clock columns from them;
- hand-overs (dispatch assignments): an active lead for every request past
  hand-over (and the request's denormalised lead_unit_id from it), a returned (inactive) one before it for returned and one in
  twenty others, an assisting unit for one in ten;
- the citizen's rating for every closed request (满意/基本满意/不满意, online or
  by phone) and an 不满意 one for each reopened request;
- the timeline: submitted, then one event per step reached, returns,
  ratings and the escalation included (about six per request);
- the outbox: the breach e-mail of every escalated request (sent, 0.5 % failed).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed_sql import (  # noqa: E402 - after the path set-up
    ASSIGNMENTS_SQL,
    CLOCK_SQL,
    COUNTER_SQL,
    DEADLINES_SQL,
    DUPLICATES_SQL,
    EVENTS_SQL,
    FEEDBACK_SQL,
    LEAD_UNITS_SQL,
    NOTIFICATIONS_SQL,
    REQUESTS_SQL,
)

TABLES = (
    "requests_app_helprequest",
    "requests_app_deadline",
    "requests_app_event",
    "requests_app_feedback",
    "dispatch_assignment",
    "dispatch_notification",
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静磊洋勇艳杰娟涛明超秀英华丽军平刚桂兰霞建国红梅玉兰志强金凤海燕丹阳文博"
ROADS = ["金水路", "中原路", "建设路", "农业路", "花园路", "紫荆山路", "文化路", "大学路", "航海路", "嵩山路"]
COMMUNITIES = ["小区", "花园", "家园", "新村", "社区", "公寓", "苑"]


def database_ensure(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def pools_load(cursor, *, phones: int) -> None:
    """Encrypt each distinct value once (the model's own crypto) and COPY the pools into temp tables."""
    from requests_app.crypto import encrypt, keyed_hash

    cursor.execute("CREATE TEMP TABLE seed_phone (k int PRIMARY KEY, ct text, hash text) ON COMMIT DROP")
    cursor.execute("CREATE TEMP TABLE seed_name (k int PRIMARY KEY, ct text) ON COMMIT DROP")
    cursor.execute("CREATE TEMP TABLE seed_address (k int PRIMARY KEY, ct text) ON COMMIT DROP")
    raw = cursor.connection  # psycopg 3 connection under Django's wrapper
    buf = io.StringIO()
    for k in range(phones):
        phone = "1" + "35789"[k % 5] + f"{(k * 7919 + 13) % 1_000_000_000:09d}"
        buf.write(f"{k}\t{encrypt(phone)}\t{keyed_hash(phone)}\n")
    with raw.cursor().copy("COPY seed_phone FROM STDIN") as copy:
        copy.write(buf.getvalue())
    buf = io.StringIO()
    for k in range(5000):
        name = SURNAMES[k % len(SURNAMES)] + GIVEN[(k // len(SURNAMES)) % len(GIVEN)]
        if k % 3 == 0:
            name += GIVEN[(k * 7) % len(GIVEN)]
        buf.write(f"{k}\t{encrypt(name)}\n")
    with raw.cursor().copy("COPY seed_name FROM STDIN") as copy:
        copy.write(buf.getvalue())
    buf = io.StringIO()
    for k in range(5000):
        road = ROADS[k % len(ROADS)]
        address = f"{road}{1 + k % 300}号{COMMUNITIES[k % len(COMMUNITIES)]}{1 + k % 20}号楼"
        buf.write(f"{k}\t{encrypt(address)}\n")
    with raw.cursor().copy("COPY seed_address FROM STDIN") as copy:
        copy.write(buf.getvalue())
    cursor.execute("ANALYZE seed_phone; ANALYZE seed_name; ANALYZE seed_address")


def secondary_indexes_drop(cursor) -> list[str]:
    """Drop the indexes no constraint owns on the loaded tables; return their definitions to rebuild."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [list(TABLES)],
    )
    rows = cursor.fetchall()
    for name, _definition in rows:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=3 * 365)
    args = parser.parse_args()
    if not 1 <= args.requests <= 10_000_000 or not 3 <= args.days <= 3650:
        raise SystemExit("requests 1..10,000,000, days 3..3650")
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yibang_million")
    if not url.startswith("postgres"):
        raise SystemExit("DATABASE_URL must point at PostgreSQL")
    os.environ.update(DATABASE_URL=url, SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    database_ensure(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    from requests_app.crypto import encrypt

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM requests_app_helprequest)")
        if cursor.fetchone()[0]:
            raise SystemExit("this database already holds requests: seed an empty one")

    phones = max(1000, min(args.requests // 20, 500_000))
    params = {
        "n": args.requests,
        "span": args.days * 86400.0,
        "tz": settings.TIME_ZONE,
        "prefix": settings.TICKET_PREFIX,
        "phones": phones,
        "recipient": encrypt("jinshui@zz.gov.cn"),
    }
    started = time.monotonic()
    steps = [
        ("requests", REQUESTS_SQL),
        ("duplicates", DUPLICATES_SQL),
        ("deadlines", DEADLINES_SQL),
        ("clock columns", CLOCK_SQL),
        ("assignments", ASSIGNMENTS_SQL),
        ("lead units", LEAD_UNITS_SQL),
        ("ratings", FEEDBACK_SQL),
        ("events", EVENTS_SQL),
        ("notifications", NOTIFICATIONS_SQL),
        ("ticket counters", COUNTER_SQL),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        # No per-row foreign-key triggers: every reference is built from rows inserted just before.
        cursor.execute("SET LOCAL session_replication_role = replica")
        t = time.monotonic()
        pools_load(cursor, phones=phones)
        print(f"{'encrypted pools':<16} {phones + 10000:>10,} values {time.monotonic() - t:6.1f} s", flush=True)
        indexes = secondary_indexes_drop(cursor)
        for label, sql in steps:
            t = time.monotonic()
            cursor.execute(sql, params)
            print(f"{label:<16} {cursor.rowcount:>10,} rows  {time.monotonic() - t:6.1f} s", flush=True)
        t = time.monotonic()
        for definition in indexes:
            cursor.execute(definition)
        print(f"{'indexes':<16} {len(indexes):>10,} built {time.monotonic() - t:6.1f} s", flush=True)
    t = time.monotonic()
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"{'vacuum analyze':<16} {'':>10}       {time.monotonic() - t:6.1f} s")
    if _has_command("rollups_rebuild"):
        t = time.monotonic()
        call_command("rollups_rebuild", verbosity=0)
        print(f"{'rollups':<16} {'':>10}       {time.monotonic() - t:6.1f} s")
    print(f"total {time.monotonic() - started:.1f} s for {args.requests:,} requests over {args.days} days")
    return 0


def _has_command(name: str) -> bool:
    from django.core.management import get_commands

    return name in get_commands()


if __name__ == "__main__":
    sys.exit(main())
