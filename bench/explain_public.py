"""EXPLAIN ANALYZE the public pages' queries on a big database (see seed_million.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_bench_million \\
        .venv/bin/python bench/explain_public.py [--plans]

Captures the exact SQL the selectors run (home page totals, lookup by number
and phone, the signed-link lookup, public events, deadlines) for a request in
the middle of the data, and prints each one's execution time (best of 5) and,
with --plans, its plan.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yibang_bench_million")
    os.environ.setdefault("SECRET_KEY", "explain-only-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from requests_app import public, selectors
    from requests_app.models import HelpRequest

    sample = HelpRequest.objects.order_by().only("ticket_number", "phone")[HelpRequest.objects.count() // 2]
    print(f"{HelpRequest.objects.count():,} requests; looking up {sample.ticket_number}")
    token = selectors.track_token_for(ticket_number=sample.ticket_number)

    def totals() -> None:
        cache.delete(selectors.TOTALS_CACHE_KEY)
        selectors.public_totals()

    def lookup() -> None:
        req = selectors.request_find_for_citizen(ticket_number=sample.ticket_number, phone=sample.phone)
        public.public_events(help_request=req)
        public.deadlines_of(help_request=req)

    def track_link() -> None:
        selectors.request_get_by_token(token=token)

    for label, run in (("home totals", totals), ("lookup", lookup), ("track link", track_link)):
        with CaptureQueriesContext(connection) as captured:
            run()
        for query in captured.captured_queries:
            sql = query["sql"]
            best, plan = None, []
            for _ in range(5):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = [row[0] for row in cursor.fetchall()]
                ms = float(plan[-1].split(":")[1].split()[0])
                best = ms if best is None else min(best, ms)
            print(f"\n[{label}] {best:.3f} ms  {sql[:150]}{'...' if len(sql) > 150 else ''}")
            if args.plans:
                print("\n".join("    " + line for line in plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
