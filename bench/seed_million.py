"""Fill a PostgreSQL database with a year of realistic requests (1,000,000 by default), fast.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_bench_million \\
        .venv/bin/python bench/seed_million.py [--requests 1000000] [--days 365]

Everything is generated inside PostgreSQL (INSERT ... SELECT over
generate_series), so a million requests with their deadlines and timelines
take minutes, not hours. The database is created if missing and migrated; the
script refuses to run on one that already holds requests. What it makes:

- requests spread evenly over the last `--days` days, ticket numbers per local
  day like the real counter (and the counter rows set past them), every
  channel and district, ~15 % urgent, some 难/愁/盼 tags;
- every state: old requests mostly closed or resolved, some invalid,
  duplicate (of the request before), reopened, still in progress; recent ones
  spread over submitted ... resolved;
- deadlines per request (contact, resolve, feedback, + urgent when urgent)
  with met_at from the request's own times, breached_at when late, waived_at
  for invalid/duplicate ones;
- a few timeline events each (submitted, then one per step reached).

Dispatch's assignments are not generated (that model is still moving).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STATE_SQL = """
CASE WHEN age > interval '1 day' THEN
    CASE WHEN r < 0.78 THEN 'closed' WHEN r < 0.85 THEN 'resolved' WHEN r < 0.93 THEN 'invalid'
         WHEN r < 0.95 THEN 'reopened' WHEN r < 0.98 THEN 'accepted' ELSE 'returned' END
ELSE
    CASE WHEN r < 0.15 THEN 'submitted' WHEN r < 0.30 THEN 'listed' WHEN r < 0.50 THEN 'handed_over'
         WHEN r < 0.75 THEN 'accepted' WHEN r < 0.80 THEN 'returned' ELSE 'resolved' END
END
"""

REQUESTS_SQL = f"""
INSERT INTO requests_app_helprequest (
    ticket_number, submit_token, category_claimed_id, urgency_claimed, district_id, name, phone, address,
    title, content, category_id, is_urgent, tag_nan, tag_chou, tag_pan, request_type, duplicate_of_id, state,
    created_at, updated_at, first_contact_at, resolved_at, closed_at, escalated_at, extensions_used, reopen_count)
SELECT
    %(prefix)s || to_char(day, 'YYYYMMDD') || '-' || lpad(n::text, 4, '0'),
    md5(i::text || 'seed')::uuid,
    cats[1 + (i * 7) %% array_length(cats, 1)],
    CASE WHEN urgent THEN 'urgent' ELSE 'normal' END,
    dists[1 + (i * 13) %% array_length(dists, 1)],
    (ARRAY['张','王','李','赵','刘','陈','杨','黄','周','吴'])[1 + i %% 10]
        || (ARRAY['伟','芳','娜','敏','静','磊','洋','勇','艳','杰','娟','涛'])[1 + (i / 10) %% 12],
    '1' || (ARRAY['3','5','7','8','9'])[1 + i %% 5] || lpad(((i::bigint * 7919) %% 1000000000)::text, 9, '0'),
    (ARRAY['金水路','中原路','建设路','农业路','花园路','紫荆山路'])[1 + i %% 6] || (1 + i %% 300) || '号',
    (ARRAY['小区停水三天','路灯坏了一个月','孩子入学咨询','买不到常用药','公交线路调整','物业乱收费',
           '暖气不热','噪音扰民','健康码异常','超市哄抬物价'])[1 + i %% 10],
    repeat('我们小区的问题已经持续了一段时间，影响老人孩子的正常生活，请相关部门尽快协调解决。', 1 + i %% 3),
    cats[1 + (i * 7) %% array_length(cats, 1)],
    urgent, r2 < 0.05, r2 >= 0.05 AND r2 < 0.09, r2 >= 0.09 AND r2 < 0.12,
    (ARRAY['', 'consult', 'help', 'complaint', 'report', 'suggestion'])[1 + i %% 6],
    NULL,
    state,  -- some old invalid ones become duplicates below
    ts, LEAST(ts + interval '1 hour', now()),
    CASE WHEN state NOT IN ('submitted', 'listed') THEN LEAST(ts + (5 + r3 * 70) * interval '1 minute', now()) END,
    CASE WHEN state IN ('resolved', 'closed', 'reopened') THEN LEAST(ts + (1 + r3 * 8) * interval '1 hour', now()) END,
    CASE WHEN state = 'closed' THEN LEAST(ts + (10 + r3 * 30) * interval '1 hour', now()) END,
    CASE WHEN r3 > 0.97 AND state <> 'invalid' THEN LEAST(ts + interval '8 hours', now()) END,
    CASE WHEN r3 > 0.9 THEN 1 ELSE 0 END,
    CASE WHEN state = 'reopened' THEN 1 ELSE 0 END
FROM (
    SELECT g.*, {STATE_SQL} AS state
    FROM (
        SELECT i, ts, day, row_number() OVER (PARTITION BY day ORDER BY i) AS n,
               random() AS r, random() AS r2, random() AS r3, random() < 0.15 AS urgent, now() - ts AS age,
               (SELECT array_agg(id ORDER BY id) FROM requests_app_category) AS cats,
               (SELECT array_agg(id ORDER BY id) FROM requests_app_district) AS dists
        FROM (
            SELECT i, ts, (ts AT TIME ZONE %(tz)s)::date AS day
            FROM (
                SELECT i, now() - %(days)s * interval '1 day' + (i - 0.5)::float8 * (%(days)s * interval '1 day') / %(n)s AS ts
                FROM generate_series(1, %(n)s) AS i
            ) t
        ) d
    ) g
) s
ORDER BY i
"""

DUPLICATES_SQL = """
UPDATE requests_app_helprequest h
SET state = 'duplicate', duplicate_of_id = (
    SELECT p.id FROM requests_app_helprequest p WHERE p.id < h.id ORDER BY p.id DESC LIMIT 1)
WHERE h.id IN (
    SELECT id FROM requests_app_helprequest
    WHERE state = 'invalid' AND created_at < now() - interval '1 day' AND id %% 8 < 3
)
"""

DEADLINES_SQL = """
INSERT INTO requests_app_deadline (request_id, kind, due_at, met_at, breached_at, reminded_at, waived_at)
SELECT id, kind, due,
       met,
       CASE WHEN due < now() AND waived IS NULL AND (met IS NULL OR met > due) THEN due + interval '30 seconds' END,
       CASE WHEN due - interval '15 minutes' < now() AND met IS NULL THEN due - interval '15 minutes' END,
       waived
FROM (
    SELECT h.id, k.kind, h.created_at + k.after AS due,
           CASE k.kind WHEN 'contact' THEN h.first_contact_at WHEN 'feedback' THEN h.closed_at
                       ELSE h.resolved_at END AS met,
           CASE WHEN h.state IN ('invalid', 'duplicate') THEN h.created_at + interval '50 minutes' END AS waived
    FROM requests_app_helprequest h
    CROSS JOIN (VALUES ('contact', interval '1 hour'), ('urgent', interval '3 hours'),
                       ('resolve', interval '7 hours'), ('feedback', interval '1 day')) AS k(kind, after)
    WHERE k.kind <> 'urgent' OR h.is_urgent
) x
"""

# One row per step a request has reached: (kind, to_state, public, message, minutes after submission, rank).
EVENTS_SQL = """
INSERT INTO requests_app_event (request_id, kind, from_state, to_state, actor_id, actor_label, unit_name,
                                message, note, is_public, data, created_at)
SELECT h.id, s.kind, s.from_state, CASE WHEN s.rank = 9 THEN h.state ELSE s.to_state END, NULL, s.actor, s.unit,
       CASE WHEN h.state = 'duplicate' AND s.rank = 9 THEN '与其他求助重复，已合并办理' ELSE s.message END, '', s.public,
       '{}'::jsonb, LEAST(h.created_at + s.minutes * interval '1 minute', now())
FROM requests_app_helprequest h
JOIN (VALUES
    (0, 'submitted', '', 'submitted', '市民', '', '市民提交求助', true, 0),
    (1, 'triage', 'submitted', 'listed', '平台交办员', '', '平台已列单', true, 8),
    (2, 'transition', 'listed', 'handed_over', '平台交办员', '金水区政府', '已交办承办单位', true, 15),
    (3, 'contact', 'handed_over', 'accepted', '承办人', '金水区政府', '承办单位已联系市民', true, 50),
    (4, 'transition', 'accepted', 'resolved', '承办人', '金水区政府', '已办结', true, 300),
    (5, 'feedback', 'resolved', 'closed', '平台交办员', '', '回访满意，已销号', true, 1200),
    (9, 'transition', 'submitted', 'invalid', '平台交办员', '', '经核实为无效求助', true, 30)
) AS s(rank, kind, from_state, to_state, actor, unit, message, public, minutes)
  ON s.rank <= CASE h.state WHEN 'submitted' THEN 0 WHEN 'listed' THEN 1 WHEN 'handed_over' THEN 2
                            WHEN 'returned' THEN 2 WHEN 'accepted' THEN 3 WHEN 'resolved' THEN 4
                            WHEN 'reopened' THEN 4 WHEN 'closed' THEN 5 ELSE 0 END
     OR (s.rank = 9 AND h.state IN ('invalid', 'duplicate'))
"""

COUNTER_SQL = """
INSERT INTO requests_app_ticketcounter (day, last)
SELECT to_date(substr(ticket_number, length(%(prefix)s) + 1, 8), 'YYYYMMDD'), count(*)
FROM requests_app_helprequest GROUP BY 1
ON CONFLICT (day) DO UPDATE SET last = GREATEST(requests_app_ticketcounter.last, EXCLUDED.last)
"""


def database_ensure(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    if not 1 <= args.requests <= 10_000_000 or not 1 <= args.days <= 3650:
        raise SystemExit("requests 1..10,000,000, days 1..3650")
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yibang_bench_million")
    if not url.startswith("postgres"):
        raise SystemExit("DATABASE_URL must point at PostgreSQL")
    os.environ.update(DATABASE_URL=url, SECRET_KEY=os.environ.get("SECRET_KEY", "seed-only-secret"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    sys.path.insert(0, str(ROOT))
    database_ensure(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM requests_app_helprequest)")
        if cursor.fetchone()[0]:
            raise SystemExit("this database already holds requests: seed an empty one")

    params = {"n": args.requests, "days": args.days, "tz": settings.TIME_ZONE, "prefix": settings.TICKET_PREFIX}
    started = time.monotonic()
    steps = [
        ("requests", REQUESTS_SQL),
        ("duplicates", DUPLICATES_SQL),
        ("deadlines", DEADLINES_SQL),
        ("events", EVENTS_SQL),
        ("ticket counters", COUNTER_SQL),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        for label, sql in steps:
            t = time.monotonic()
            cursor.execute(sql, params)
            print(f"{label:<16} {cursor.rowcount:>10,} rows  {time.monotonic() - t:6.1f} s", flush=True)
    t = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) requests_app_helprequest")
        cursor.execute("VACUUM (ANALYZE) requests_app_deadline")
        cursor.execute("VACUUM (ANALYZE) requests_app_event")
    print(f"{'vacuum analyze':<16} {'':>10}       {time.monotonic() - t:6.1f} s")
    print(f"total {time.monotonic() - started:.1f} s for {args.requests:,} requests over {args.days} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
