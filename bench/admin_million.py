"""Time every staff page at scale, as each role: p50/p95 over repeated requests (run by hand, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_million SECRET_KEY=bench-only \\
        .venv/bin/python bench/admin_million.py [--repeat 20] [--only changelist] [--explain] [--markdown]

Needs a database made by bench/seed_million.py (then `manage.py migrate` and
`manage.py rollups_rebuild` if the seeder ran before them). Creates three
staff users once: `bench_dispatcher` (平台交办员), `bench_supervisor` (督办员)
and `bench_handler` (承办人 of the first unit: a 28th of the requests).

Pages, through Django's test client (full middleware, templates, DEBUG off):
the request changelist as it opens, sorted by each sortable column both
ways, with each filter, page 20, searched by ticket number and by phone; a
change page; the 督办 queue; the outbox; the dashboard for 7/30/365 days;
/stats/ for 7/30/365 days with the cache emptied before every request (cold)
and warm. Each is requested once to warm up, then `--repeat` times; prints
p50/p95 ms, the query count and the slowest query (`--explain` adds its
EXPLAIN (ANALYZE, BUFFERS)). A page a role may not open (403/404) is skipped.
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
os.environ.setdefault("SECRET_KEY", "bench-only")  # the key the seeder encrypted with
os.environ["DEBUG"] = "0"
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ["CELERY_BROKER_URL"] = "memory://"

BASE = "/admin/requests_app/helprequest/"
# The sortable columns (HelpRequestAdmin.sortable_by); `?o=` takes their list_display position,
# which differs by role (the action checkbox comes first only for roles with bulk actions).
SORTS = {
    "ticket": "ticket_number",
    "state": "state",
    "time left": "time_left",
    "district": "district_shown",
    "category": "category_shown",
    "urgent": "is_urgent",
    "created": "submitted",
}


def columns_of(user) -> list[str]:
    """The changelist's list_display for `user`, built as ModelAdmin.get_changelist_instance builds it."""
    from django.contrib import admin
    from django.test import RequestFactory

    from requests_app.models import HelpRequest

    request = RequestFactory().get(BASE)
    request.user = user
    model_admin = admin.site._registry[HelpRequest]
    columns = list(model_admin.get_list_display(request))
    return ["action_checkbox", *columns] if model_admin.get_actions(request) else columns


def users_ensure():
    from django.contrib.auth import get_user_model

    from dispatch import roles
    from dispatch.models import Unit, UnitMembership

    groups = roles.roles_ensure()
    User = get_user_model()
    made = {}
    for name, role in (("dispatcher", roles.DISPATCHER), ("supervisor", roles.SUPERVISOR), ("handler", roles.HANDLER)):
        user, _ = User.objects.get_or_create(username=f"bench_{name}", defaults={"is_staff": True})
        user.groups.add(groups[role])
        made[name] = user
    unit = Unit.objects.order_by("id").first()
    UnitMembership.objects.get_or_create(unit=unit, user=made["handler"])
    return made, unit


def samples(unit_id: int):
    """A request of the handler's unit (so every role finds it): its id, ticket number and phone."""
    from dispatch.models import Assignment

    assignment = (
        Assignment.objects.filter(unit_id=unit_id, is_active=True, role="lead").select_related("request").last()
    )
    return assignment.request


def pages(unit_id: int, req, columns: list[str]) -> list[tuple[str, str, str]]:
    """(group, label, url) of every staff page measured."""
    out = [("changelist", "as it opens", BASE), ("changelist", "page 20", BASE + "?p=20")]
    for label, name in SORTS.items():
        column = columns.index(name)
        out.append(("sort", f"{label} ↑", BASE + f"?o={column}"))
        out.append(("sort", f"{label} ↓", BASE + f"?o=-{column}"))
    filters = {
        "state=submitted": "state__exact=submitted",
        "state=accepted": "state__exact=accepted",
        "state=closed": "state__exact=closed",
        "unit": f"unit={unit_id}",
        "category": "category__id__exact=1",
        "request type": "request_type__exact=complaint",
        "source": "source__exact=phone",
        "urgent": "is_urgent__exact=1",
        "tag 难": "tag=nan",
        "district": "district__id__exact=1",
        "late": "late=1",
        "late + time left ↑": f"late=1&o={columns.index('time_left')}",
    }
    out += [("filter", label, BASE + "?" + query) for label, query in filters.items()]
    out += [
        ("search", "ticket number", BASE + f"?q={req.ticket_number}"),
        ("search", "phone", BASE + f"?q={req.phone}"),
        ("change", "change page", BASE + f"{req.pk}/change/"),
        ("queue", "督办 queue", "/admin/dispatch/laterequest/"),
        ("queue", "督办 queue page 5", "/admin/dispatch/laterequest/?p=5"),
        ("outbox", "outbox", "/admin/dispatch/notification/"),
        ("outbox", "outbox failed", "/admin/dispatch/notification/?state__exact=failed"),
    ]
    out += [("dashboard", f"dashboard {d} d", BASE + f"dashboard/?days={d}") for d in (7, 30, 365)]
    out += [("stats", f"/stats/ {d} d cold", f"/stats/?days={d}") for d in (7, 30, 365)]
    out += [("stats", f"/stats/ {d} d warm", f"/stats/?days={d}") for d in (7, 30, 365)]
    return out


def cache_empty() -> None:
    from django.core.cache import cache

    from dispatch.stats import CACHE_KEY, PERIODS
    from requests_app.selectors import TOTALS_CACHE_KEY

    cache.delete_many([CACHE_KEY.format(days=d) for d in PERIODS] + [TOTALS_CACHE_KEY])


def measure(client, url: str, repeat: int, cold: bool):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if cold:
        cache_empty()
    response = client.get(url)
    if response.status_code in (403, 404, 302):
        return None
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        if cold:
            cache_empty()
        started = time.perf_counter()
        client.get(url)
        times.append(1000 * (time.perf_counter() - started))
    if cold:
        cache_empty()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]), default={"time": 0, "sql": ""})
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, len(ctx.captured_queries), 1000 * float(slowest["time"]), slowest["sql"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="a page group: changelist, sort, filter, search, change, ...")
    parser.add_argument("--roles", default="dispatcher,supervisor,handler")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table too")
    args = parser.parse_args()
    name = urlparse(os.environ.get("DATABASE_URL", "")).path.lstrip("/")
    if not any(word in name for word in ("bench", "million", "1m", "5m")):
        raise SystemExit("point DATABASE_URL at a bench database (bench / million / 1m / 5m in its name)")

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from requests_app.models import HelpRequest

    users, unit = users_ensure()
    req = samples(unit.pk)
    with connection.cursor() as cursor:  # the planner's estimate: no full count at this size
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'requests_app_helprequest'")
        total = cursor.fetchone()[0]
    print(f"~{total:,} requests; handler's unit {unit} (id {unit.pk}); sample {req.ticket_number}")
    assert HelpRequest.objects.filter(pk=req.pk).exists()

    rows = []
    print(f"{'role':<11}{'page':<26}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'slowest':>9}")
    for role in args.roles.split(","):
        client = Client()
        client.force_login(users[role])
        for group, label, url in pages(unit.pk, req, columns_of(users[role])):
            if args.only and group != args.only:
                continue
            measured = measure(client, url, args.repeat, cold="cold" in label)
            if measured is None:
                continue
            p50, p95, queries, slowest_ms, sql = measured
            rows.append((role, group, label, p50, p95, queries))
            print(f"{role:<11}{label:<26}{p50:>9.1f}{p95:>9.1f}{queries:>9}{slowest_ms:>9.1f}", flush=True)
            if args.explain and sql:
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    print("    " + "\n    ".join(row[0] for row in cur.fetchall()))
    if args.markdown:
        print("\n| role | page | p50 ms | p95 ms | queries |\n|---|---|---:|---:|---:|")
        for role, _group, label, p50, p95, queries in rows:
            print(f"| {role} | {label} | {p50:.0f} | {p95:.0f} | {queries} |")


if __name__ == "__main__":
    main()
