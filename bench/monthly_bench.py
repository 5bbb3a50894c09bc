"""Benchmark 每月一题 (the monthly page and its XLSX) on a database seeded by bench/seed_million.py.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_monthly_1m SECRET_KEY=bench-only \\
        .venv/bin/python bench/monthly_bench.py [--repeat 10] [--month 2026-11] [--rebuild]

Three states of the rollups, for the default month (the last complete one) and its
three months before:
- cold: no `ProblemDayCell` of those months fresh (every day is counted live, one
  range per month: the upper bound of a page whose rollups were never built);
- rebuilt: after `rollups.days_refresh` over those months (as beat and
  `manage.py rollups_rebuild` keep them), the page reads rollups only;
- one day dirty: a day of the month marked dirty (a late change), counted live.
Each is timed through the test client as a supervisor and as a handler of the
busiest unit, page and XLSX, with the query count and the slowest SQL. Writes only
the rollup tables, the bench users and the report-export records.
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
REPEAT = 5


def _timed(label: str, fn) -> object:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, result = [], None
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            result = fn()
            times.append(1000 * (time.perf_counter() - start))
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    slowest = max((float(q["time"]) for q in ctx.captured_queries), default=0.0) * 1000
    print(
        f"{label:<44} p50 {statistics.median(times):7.0f} ms  p95 {p95:7.0f} ms  "
        f"{len(ctx.captured_queries):3d} queries, slowest {slowest:5.0f} ms",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--month", default=None, help="YYYY-MM (default: the last complete month)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("set BENCH_DATABASE_URL to a database filled by bench/seed_million.py")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from dispatch import monthly, problems, rollups
    from dispatch.models import Assignment, ProblemDayCell, StatsDay
    from dispatch.tests.factories import handler, supervisor

    global REPEAT
    REPEAT = max(1, args.repeat)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'requests_app_helprequest'")
        print(f"requests (planner estimate): {cursor.fetchone()[0]:,}")
    now = timezone.now()
    month = monthly.month_parse(args.month, now=now)
    first, last = monthly.month_add(month, -monthly.TREND_MONTHS), monthly.month_add(month, 1) - timezone.timedelta(1)
    since, until = monthly.month_bounds(month)
    busiest = (
        Assignment.objects.filter(role="lead", is_active=True, request__created_at__gte=since)
        .filter(request__created_at__lt=until)
        .values("unit")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    users = get_user_model().objects
    sup = users.filter(username="bench-supervisor").first() or supervisor(username="bench-supervisor")
    unit_id = busiest["unit"] if busiest else None
    hand = users.filter(username="bench-handler").first()
    if hand is None and unit_id is not None:
        from dispatch.models import Unit

        hand = handler(Unit.objects.get(pk=unit_id), username="bench-handler")
    print(f"month {month:%Y-%m}, trend from {first:%Y-%m}; busiest unit {unit_id} ({busiest and busiest['n']:,} leads)")

    page = f"/admin/requests_app/helprequest/monthly/?month={month:%Y-%m}"
    xlsx = f"/admin/requests_app/helprequest/monthly/export/xlsx/?month={month:%Y-%m}"
    clients = {}
    for name, user in (("supervisor", sup), ("handler", hand)):
        if user is None:
            continue
        clients[name] = Client()
        clients[name].force_login(user)

    def run(state: str) -> None:
        for name, client in clients.items():
            response = _timed(f"{state}: page ({name})", lambda c=client: c.get(page))
            assert response.status_code == 200, response.status_code
            response = _timed(f"{state}: xlsx ({name})", lambda c=client: c.get(xlsx))
            assert response.status_code == 200, response.status_code
            print(f"    xlsx {len(response.content):,} bytes")

    # What the rebuild of one day adds for 每月一题 (day_rebuild runs it beside the other cells).
    day = month + timezone.timedelta(days=10)
    _timed(
        f"problems_live of one day ({day})",
        lambda: problems.problems_live(ranges=[rollups.day_bounds(day)], now=timezone.now()),
    )
    _timed(f"day_rebuild of one day ({day})", lambda: rollups.day_rebuild(day=day))
    StatsDay.objects.filter(day__gte=first, day__lte=last).update(dirty=True)
    run("cold (every day live)")
    start = time.perf_counter()
    rebuilt = rollups.days_refresh(first=first, last=last, now=timezone.now())
    print(
        f"days_refresh of {rebuilt} days: {time.perf_counter() - start:.1f} s; "
        f"{ProblemDayCell.objects.filter(day__gte=first, day__lte=last).count():,} problem cells"
    )
    run("rebuilt (rollups only)")
    StatsDay.objects.filter(day=month + timezone.timedelta(days=10)).update(dirty=True)
    run("one day dirty")
    rollups.days_refresh(first=first, last=last, now=timezone.now())


if __name__ == "__main__":
    main()
