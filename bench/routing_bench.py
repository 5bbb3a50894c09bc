"""Routing (交单) and duplicate (列单) suggestions: accuracy on the labelled sets, and timings at scale.

    .venv/bin/python bench/routing_bench.py labelled             # accuracy, precision/recall (no seeding)
    .venv/bin/python bench/routing_bench.py seed --requests 1000000 [--days 365]
    .venv/bin/python bench/routing_bench.py time [--samples 200]
    .venv/bin/python bench/routing_bench.py accuracy [--holdout 0.2 --limit 1000]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/yibang_route_bench (created and
migrated if missing). `seed` refuses a database that already holds requests. What it makes, inside
PostgreSQL (INSERT ... SELECT over generate_series): requests over the last `--days` days from the
hand-written kinds and places of dispatch/tests/data/labelled.py (their titles, wordings, channels
and districts), in every state, and for every request past 列单 its lead hand-over: the right unit
85 % of the time, a wrong unit that returned it and then the right one 7 %, a wrong unit that kept
it 8 % (history is noisy). `time` measures `routing_suggest` (rule path and history path) and
`requests_similar` for `--samples` recent requests, each timed once after one warm-up call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yibang_route_bench"


def django_setup(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(DATABASE_URL=url, SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    from django.apps import apps
    from django.core.management import call_command

    from dispatch.reference_data import responsibility_rules_seed

    call_command("migrate", verbosity=0)
    responsibility_rules_seed(apps)


# --- labelled ---------------------------------------------------------------------------


def labelled() -> None:
    from django.db import connection

    from dispatch import routing
    from dispatch.models import Unit
    from dispatch.similar import THRESHOLD
    from dispatch.tests.data.labelled import duplicate_pairs, routing_set
    from dispatch.textsim import char_set, jaccard, request_similarity
    from requests_app.models import Category, District

    units = dict(Unit.objects.values_list("name", "pk"))
    cats = dict(Category.objects.values_list("code", "pk"))
    dists = dict(District.objects.values_list("code", "pk"))
    rules = routing.rules_active()
    data = routing_set()
    cut = int(len(data) * 0.75)
    print(f"routing set: {len(data)} requests, held-out: the last {len(data) - cut}")

    def evaluate(items, *, use_rules: bool, use_history: bool, offset: int) -> tuple[int, int, int, int]:
        top1 = top3 = by_rule = 0
        for i, row in enumerate(items, start=offset):
            truth = units[row["unit"]]
            rule = None
            if use_rules:
                rule = routing.rule_match(rules=rules, category_id=cats[row["category"]],
                                          district_id=dists[row["district"]], text=row["title"] + "\n" + row["content"])  # fmt: skip
            if rule is not None:
                ranked, by_rule = [rule.lead_unit_id], by_rule + 1
            elif use_history:
                past = [(units[h["unit"]], dists[h["district"]], h["title"]) for h in reversed(data[:i])
                        if h["category"] == row["category"]]  # fmt: skip
                cands, _ = routing.history_vote(rows=past, district_id=dists[row["district"]], title=row["title"])
                ranked = [c.unit_id for c in cands]
            else:
                ranked = []
            top1 += ranked[:1] == [truth]
            top3 += truth in ranked[:3]
        return top1, top3, by_rule, len(items)

    held = data[cut:]
    for label, kwargs, items, offset in (
        ("rules only, all 240", {"use_rules": True, "use_history": False}, data, 0),
        ("rules then history, held-out", {"use_rules": True, "use_history": True}, held, cut),
        ("history only, held-out", {"use_rules": False, "use_history": True}, held, cut),
    ):
        t1, t3, by_rule, n = evaluate(items, offset=offset, **kwargs)
        print(f"  {label:<30} n={n} top-1 {t1 / n:.1%} top-3 {t3 / n:.1%} (answered by a rule: {by_rule})")

    pairs = duplicate_pairs()
    print(
        f"duplicate pairs: {sum(p['label'] for p in pairs)} duplicates, {sum(not p['label'] for p in pairs)} near misses"
    )
    with connection.cursor() as cur:
        # For the comparison only: the portal itself does not use pg_trgm (dispatch/similar.py says why).
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cur.execute("SELECT show_trgm('交通信号灯坏了'), similarity('经三路红绿灯坏了', '经三路红绿灯故障')")
        trgm, sim = cur.fetchone()
        print(
            f"  pg_trgm on this server: show_trgm('交通信号灯坏了') has {len(trgm)} trigrams; similarity example {sim}"
        )
        both = [(p["a"]["title"] + " " + p["a"]["content"], p["b"]["title"] + " " + p["b"]["content"]) for p in pairs]
        cur.execute(
            "SELECT similarity(a, b) FROM unnest(%s::text[], %s::text[]) AS t(a, b)",
            [[a for a, _ in both], [b for _, b in both]],
        )
        pg_scores = [r[0] for r in cur.fetchall()]

    def bigrams(text: str) -> frozenset[str]:
        t = text.lower()
        return frozenset(t[i : i + 2] for i in range(len(t) - 1) if t[i : i + 2].strip())

    methods = {
        "chosen: chars (0.6 all + 0.4 title)": [
            request_similarity(p["a"]["title"], p["a"]["content"], p["b"]["title"], p["b"]["content"]) for p in pairs
        ],
        "chars, title+content": [jaccard(char_set(a), char_set(b)) for a, b in both],
        "character bigrams, title+content": [jaccard(bigrams(a), bigrams(b)) for a, b in both],
        "pg_trgm similarity, title+content": pg_scores,
    }
    labels = [p["label"] for p in pairs]
    for name, scores in methods.items():
        best = max((prf(scores, labels, t / 100) + (t / 100,) for t in range(2, 80)), key=lambda x: x[2])
        line = f"  {name:<36} best F1 {best[2]:.3f} at {best[3]:.2f} (precision {best[0]:.1%}, recall {best[1]:.1%})"
        if name.startswith("chosen"):
            p, r, f = prf(scores, labels, THRESHOLD)
            line += f"; at THRESHOLD {THRESHOLD}: precision {p:.1%} recall {r:.1%} F1 {f:.3f}"
        print(line)


def prf(scores, labels, threshold) -> tuple[float, float, float]:
    tp = sum(1 for s, lab in zip(scores, labels, strict=True) if s >= threshold and lab)
    fp = sum(1 for s, lab in zip(scores, labels, strict=True) if s >= threshold and not lab)
    fn = sum(1 for s, lab in zip(scores, labels, strict=True) if s < threshold and lab)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# --- seed -----------------------------------------------------------------------------------

SEED_SQL = """
INSERT INTO requests_app_helprequest (
    ticket_number, category_claimed_id, urgency_claimed, district_id, name, phone, phone_hash, address,
    title, content, category_id, is_urgent, tag_nan, tag_chou, tag_pan, request_type, state,
    created_at, updated_at, extensions_used, reopen_count)
SELECT 'RB' || lpad(i::text, 9, '0'), t.category_id, 'normal', p.district_id, 'x', 'x', '', '',
       t.title, replace(t.content, '{place}', p.place), t.category_id, false, false, false, false, '',
       CASE WHEN ts > now() - interval '2 days' THEN
                (ARRAY['submitted','listed','handed_over','accepted','resolved'])[1 + i %% 5]
            ELSE (ARRAY['closed','closed','closed','resolved','accepted','invalid'])[1 + i %% 6] END,
       ts, ts, 0, 0
FROM (SELECT i, now() - (%(days)s * interval '1 day') * (1 - i::float / %(n)s) AS ts
      FROM generate_series(1, %(n)s) AS i) g
JOIN bench_tpl t ON t.id = (i::bigint * 7919) %% %(ntpl)s
JOIN bench_place p ON p.id = (i::bigint * 104729) %% %(nplace)s
"""

# A request's template and place follow from its number, as in SEED_SQL.
TEMPLATE_JOIN = """
JOIN bench_tpl t ON t.id = (substr(r.ticket_number, 3)::bigint * 7919) %% %(ntpl)s
JOIN bench_place p ON p.id = (substr(r.ticket_number, 3)::bigint * 104729) %% %(nplace)s
"""

ASSIGN_SQL = f"""
INSERT INTO dispatch_assignment (request_id, unit_id, role, instructions, assigned_at, returned_at, return_reason,
                                 is_active)
SELECT r.id, CASE WHEN x.noise < 0.15 THEN (SELECT id FROM dispatch_unit ORDER BY id OFFSET (r.id %% 20) LIMIT 1)
                  ELSE COALESCE(t.unit_id, p.unit_id) END,
       'lead', '', r.created_at + interval '10 minutes',
       CASE WHEN x.noise < 0.07 THEN r.created_at + interval '2 hours' END,
       CASE WHEN x.noise < 0.07 THEN '不属于本单位职责' ELSE '' END, x.noise >= 0.07
FROM requests_app_helprequest r
{TEMPLATE_JOIN}
CROSS JOIN LATERAL (SELECT random() + r.id * 0 AS noise) x
WHERE r.state NOT IN ('submitted', 'listed', 'invalid')
"""

REASSIGN_SQL = f"""
INSERT INTO dispatch_assignment (request_id, unit_id, role, instructions, assigned_at, return_reason, is_active)
SELECT a.request_id, COALESCE(t.unit_id, p.unit_id), 'lead', '', a.returned_at + interval '10 minutes', '', true
FROM dispatch_assignment a
JOIN requests_app_helprequest r ON r.id = a.request_id
{TEMPLATE_JOIN}
WHERE a.returned_at IS NOT NULL
"""


def seed(requests: int, days: int) -> None:
    from django.db import connection

    from dispatch.models import Unit
    from dispatch.tests.data.labelled import DISTRICT, DISTRICT_UNITS, KINDS, PLACES, place_text
    from requests_app.models import Category, District, HelpRequest

    if HelpRequest.objects.exists():
        sys.exit("this database already holds requests: seed an empty one")
    units = dict(Unit.objects.values_list("name", "pk"))
    cats = dict(Category.objects.values_list("code", "pk"))
    dists = dict(District.objects.values_list("code", "pk"))
    tpl = [(k.key, cats[k.category], None if k.unit == DISTRICT else units[k.unit], title, ci, content)
           for k in KINDS for title in k.titles for ci, content in enumerate(k.contents)]  # fmt: skip
    places = [(dists[p[0]], place_text(p), units[DISTRICT_UNITS[p[0]]]) for p in PLACES]
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_tpl, bench_place")
        cur.execute("CREATE TABLE bench_tpl (id int, kind text, category_id int, unit_id int, title text,"
                    " content_idx int, content text)")  # fmt: skip
        cur.execute("CREATE TABLE bench_place (id int, district_id int, place text, unit_id int)")
        cur.executemany("INSERT INTO bench_tpl VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        [(i, *row) for i, row in enumerate(tpl)])  # fmt: skip
        cur.executemany("INSERT INTO bench_place VALUES (%s, %s, %s, %s)", [(i, *row) for i, row in enumerate(places)])
        sizes = {"n": requests, "days": days, "ntpl": len(tpl), "nplace": len(places)}
        cur.execute(SEED_SQL, sizes)
        print(f"requests: {cur.rowcount} in {time.monotonic() - started:.0f} s")
        cur.execute(ASSIGN_SQL, sizes)
        print(f"lead hand-overs: {cur.rowcount}")
        cur.execute(REASSIGN_SQL, sizes)
        print(f"re-handed after a return: {cur.rowcount} (total {time.monotonic() - started:.0f} s)")
        cur.execute("ANALYZE requests_app_helprequest; ANALYZE dispatch_assignment")


# --- time and accuracy ------------------------------------------------------------------------


def timings(samples: int) -> None:
    from django.db import connection, reset_queries

    from dispatch import access, routing, similar
    from requests_app.models import HelpRequest

    total = HelpRequest.objects.count()
    ids = list(HelpRequest.objects.order_by("-created_at").values_list("pk", flat=True)[: samples * 20 : 20])
    scope = access.Scope(roles=frozenset({access.Role.DISPATCHER}), unit_ids=frozenset())
    rules = routing.rules_active()
    results: dict[str, list[float]] = {"routing (rules, then history)": [], "routing, history path": [],
                                       "requests_similar": []}  # fmt: skip
    sources: dict[str, int] = {}
    candidates = []
    for pk in ids:
        req = HelpRequest.objects.get(pk=pk)
        for name, call in (
            ("routing (rules, then history)", lambda r=req: routing.routing_suggest(help_request=r)),
            (
                "routing, history path",
                lambda r=req: routing.routing_suggest(help_request=r, rules=rules, use_rules=False),
            ),  # fmt: skip
            ("requests_similar", lambda r=req: similar.requests_similar(help_request=r, scope=scope)),
        ):
            call()  # warm-up: the same request twice, as when a dispatcher reloads the page
            started = time.perf_counter()
            out = call()
            results[name].append((time.perf_counter() - started) * 1000)
            if name.startswith("routing (") and isinstance(out, routing.Suggestion):
                sources[out.source] = sources.get(out.source, 0) + 1
        candidates.append(len(similar.similar_scores(help_request=req, scope=scope)))
    reset_queries()
    print(f"requests in the database: {total:,}; samples: {len(ids)}; rule answered {sources}")
    print(f"duplicate candidates per request (same district, 30 days, capped {similar.MAX_CANDIDATES}): "
          f"median {statistics.median(candidates):.0f}, max {max(candidates)}")  # fmt: skip
    for name, values in results.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"  {name:<32} p50 {statistics.median(values):6.1f} ms  p95 {p95:6.1f} ms  max {values[-1]:6.1f} ms")
    with connection.cursor() as cur:
        req = HelpRequest.objects.get(pk=ids[0])
        sql, params = (
            routing.Assignment.objects.filter(role="lead", returned_at__isnull=True, request__category_id=req.category_id,
                                              request__created_at__lt=req.created_at, unit__is_active=True)
            .order_by("-request__created_at").values_list("unit_id", "request__district_id", "request__title")[:2000]
            .query.sql_with_params()
        )  # fmt: skip
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("EXPLAIN history query:\n    " + "\n    ".join(r[0] for r in cur.fetchall()))


def accuracy(holdout: float, limit: int) -> None:
    from dispatch.routing_eval import routing_evaluate

    started = time.monotonic()
    print(
        f"held-out {holdout:.0%} (at most {limit}), rules then history: {routing_evaluate(holdout=holdout, limit=limit).summary()}"
    )
    print(f"held-out, history only: {routing_evaluate(holdout=holdout, limit=limit, use_rules=False).summary()}")
    print(f"({time.monotonic() - started:.0f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["labelled", "seed", "time", "accuracy"])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    if not 1 <= args.requests <= 5_000_000 or not 1 <= args.samples <= 2000:
        parser.error("--requests 1..5000000, --samples 1..2000")
    django_setup(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    if args.what == "labelled":
        labelled()
    elif args.what == "seed":
        seed(args.requests, args.days)
    elif args.what == "time":
        timings(args.samples)
    else:
        accuracy(args.holdout, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
