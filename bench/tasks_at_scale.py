"""Time the periodic tasks on a seeded database: the idle deadline sweep, one surge run, the /stats/ warm-up.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_5m SECRET_KEY=bench-only \\
        .venv/bin/python bench/tasks_at_scale.py [--repeat 10]

Needs a database made by bench/seed_million.py. Nothing is written but what
the tasks themselves write: "idle" means the seeded data has no deadline due
(the seeder flags every missed one), so the sweep finds nothing to do and
the figure is its fixed cost per tick; the surge run looks at the last
window's requests of the seeded city (flagging what it finds, as beat would);
the warm-up recomputes the three /stats/ periods into the cache.
Prints p50 / p95 / max ms over `--repeat` runs after one warm-up run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["DEBUG"] = "0"
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ["CELERY_BROKER_URL"] = "memory://"


def timed(fn, repeat: int) -> tuple[float, float, float]:
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, times[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from dispatch.deadlines import deadlines_sweep
    from dispatch.stats import figures_warm
    from dispatch.surges.services import surges_detect

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'requests_app_helprequest'")
        print(f"requests (planner estimate): {cursor.fetchone()[0]:,}")

    results = {}

    def sweep() -> None:
        results["sweep"] = deadlines_sweep(now=timezone.now())

    def surge() -> None:
        results["surge"] = surges_detect(now=timezone.now())

    rows = [
        ("deadline sweep (idle)", timed(sweep, args.repeat)),
        ("surge detection, one run", timed(surge, args.repeat)),
        ("/stats/ warm-up (3 periods)", timed(figures_warm, max(1, args.repeat // 3))),
    ]
    print("| task | p50 / p95 / max ms |")
    print("|---|---:|")
    for label, (p50, p95, top) in rows:
        print(f"| {label} | {p50:.1f} / {p95:.1f} / {top:.1f} |")
    print("last sweep:", results["sweep"])
    print("last surge run:", results["surge"])


if __name__ == "__main__":
    main()
