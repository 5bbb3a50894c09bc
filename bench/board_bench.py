"""EXPLAIN ANALYZE the 问政 board's queries on a big board.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_board \\
        .venv/bin/python bench/board_bench.py --requests 100000 --published 20000 [--plans]

Fills the database (once; migrate first) with requests of which `--published` are
consented and approved, each with its search terms, then times (best of 5) the queries
a board page, a district page, a deep page, two searches and the look-alikes at intake run,
and prints each plan's index use. Bulk inserts, not the services: this measures reads.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORDS = ["停水", "停电", "路灯不亮", "噪音扰民", "垃圾清运", "井盖破损", "占道经营", "供暖不热", "电梯故障", "漏水"]
PLACES = ["小区", "路口", "学校门口", "菜市场", "公交站", "医院附近", "老旧楼院", "工地"]


def fill(n_requests: int, n_published: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from board.models import SearchTerm
    from board.search import text_terms
    from requests_app.models import Category, District, HelpRequest, Publication

    if HelpRequest.objects.exists():
        print(f"{HelpRequest.objects.count():,} requests already there: not filling")
        return
    rng = random.Random(17)
    cats, dists = list(Category.objects.all()), list(District.objects.all())
    now = timezone.now()
    batch = 5000
    made = 0
    while made < n_requests:
        rows = []
        for i in range(made, min(made + batch, n_requests)):
            word, place = rng.choice(WORDS), rng.choice(PLACES)
            consent = i < n_published
            rows.append(
                HelpRequest(
                    ticket_number=f"ZZB{i:08d}",
                    category_claimed=rng.choice(cats),
                    category_id=rng.choice(cats).pk,
                    urgency_claimed="normal",
                    district=rng.choice(dists),
                    name="张三",
                    phone="13800000000",
                    phone_hash=f"{i:064d}",
                    title=f"{place}{word}",
                    content=f"{place}{word}已经{rng.randint(1, 9)}天了，影响周边居民生活，请尽快处理。",
                    state=rng.choice(["accepted", "handed_over", "resolved", "closed"]),
                    publish_consent=consent,
                    publish_consent_at=now if consent else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        HelpRequest.objects.bulk_create(rows)
        made += len(rows)
    published = list(
        HelpRequest.objects.filter(publish_consent=True).values_list("pk", "district_id", "title", "content")
    )
    for start in range(0, len(published), batch):
        pubs = [
            Publication(request_id=pk, district_id=d, title=t, content=c, approved_at=now, reply="已处理。")
            for pk, d, t, c in published[start : start + batch]
        ]
        Publication.objects.bulk_create(pubs)
        SearchTerm.objects.bulk_create(
            SearchTerm(publication_id=p.request_id, term=term)
            for p in pubs
            for term in text_terms(f"{p.title} {p.content} {p.reply}")
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"filled {n_requests:,} requests, {len(published):,} on the board, {SearchTerm.objects.count():,} terms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--published", type=int, default=20_000)
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from board import selectors
    from requests_app.models import District

    fill(args.requests, args.published)
    district = District.objects.order_by("pk").first()
    cases = {
        "board page 1": lambda: selectors.board_page(),
        "district page 1": lambda: selectors.board_page(district_id=district.pk),
        "board page 50": lambda: selectors.board_page(number=50),
        "search 停水": lambda: selectors.board_page(query="停水"),
        "search 路灯 学校": lambda: selectors.board_page(query="路灯 学校"),
        "district feed": lambda: selectors.board_feed_entries(district_id=district.pk),
        "look-alikes at intake": lambda: selectors.board_similar(
            title="小区停水", content="小区停水三天了", district_id=district.pk
        ),
    }
    for label, run in cases.items():
        best = float("inf")
        for _ in range(5):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                run()
                best = min(best, time.perf_counter() - started)
        print(f"{label:<24} {best * 1000:8.1f} ms  ({len(captured.captured_queries)} queries)")
        if args.plans:
            with connection.cursor() as cursor:
                for q in captured.captured_queries:
                    cursor.execute("EXPLAIN " + q["sql"])
                    plan = "\n".join(r[0] for r in cursor.fetchall())
                    print("   ", plan.replace("\n", "\n    "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
