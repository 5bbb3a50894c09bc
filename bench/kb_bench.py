"""Knowledge-base suggestions at intake: top-3 accuracy on the labelled questions, and time with 10,000 answers.

    .venv/bin/python bench/kb_bench.py accuracy [--split tuning|heldout|all]
    .venv/bin/python bench/kb_bench.py time [--answers 10000 --samples 200]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/yibang_kb_bench (created and migrated if
missing; the kb tables are emptied first). `accuracy` stores the 47 labelled answers of
kb/tests/data/labelled.py (published, through kb.services so the index is built) and asks
`answers_suggest` for every question: a hit when the labelled answer is among the (up to 3)
suggestions. The first question of each answer is the tuning set; the others are held out.
`time` adds filler answers up to `--answers` (realistic: every labelled question re-worded with a
district, an office and a serial number, in every channel) and times `answers_suggest` for
`--samples` held-out questions, each once after one warm-up call.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yibang_kb_bench"


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
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_labelled() -> dict[str, int]:
    from django.contrib.auth import get_user_model

    from kb.models import Answer, AnswerTerm, DirectAnswer
    from kb.services import answer_approve, answer_save
    from kb.tests.data.labelled import ANSWERS, BODY
    from requests_app.models import Category

    DirectAnswer.objects.all().delete()
    AnswerTerm.objects.all().delete()
    Answer.objects.all().delete()
    user, _ = get_user_model().objects.get_or_create(username="kb-bench")
    channels = dict(Category.objects.values_list("code", "pk"))
    ids = {}
    for key, code, question, keywords in ANSWERS:
        answer = answer_save(answer=Answer(question=question, keywords=keywords, body=BODY, channel_id=channels[code]))
        answer_approve(answer_id=answer.pk, user=user)
        ids[key] = answer.pk
    return ids


def questions(split: str) -> list[tuple[str, str]]:
    from kb.tests.data.labelled import QUESTIONS

    out = []
    for key, items in QUESTIONS.items():
        chosen = items[:1] if split == "tuning" else items[1:] if split == "heldout" else items
        out += [(key, q) for q in chosen]
    return out


def accuracy(split: str, verbose: bool) -> None:
    from kb.matching import answers_suggest
    from kb.tests.data.labelled import UNANSWERED

    ids = load_labelled()
    items = questions(split)
    top1 = top3 = 0
    misses = []
    for key, q in items:
        got = [s.answer.pk for s in answers_suggest(title=q, content="")]
        top1 += bool(got) and got[0] == ids[key]
        top3 += ids[key] in got
        if ids[key] not in got:
            misses.append((key, q))
    false_alarms = sum(1 for q in UNANSWERED if answers_suggest(title=q, content=""))
    n = len(items)
    print(f"split={split} questions={n} top1={top1 / n:.1%} top3={top3 / n:.1%} ({top3}/{n})")
    print(f"unanswered questions with a suggestion: {false_alarms}/{len(UNANSWERED)}")
    if verbose:
        for key, q in misses:
            print("  miss", key, q)


FILLER_PLACES = ["金水区", "二七区", "中原区", "管城区", "惠济区", "郑东新区", "高新区", "经开区", "航空港区", "新郑市"]
FILLER_OFFICES = ["政务服务中心", "社区服务站", "街道办事处", "便民服务窗口", "区卫健委", "区教育局", "区人社局"]


def fill(total: int) -> None:
    from django.db import transaction

    from kb.matching import answer_terms
    from kb.models import Answer, AnswerTerm
    from kb.tests.data.labelled import BODY, QUESTIONS
    from requests_app.models import Category

    existing = Answer.objects.count()
    user_id = Answer.objects.exclude(approved_by=None).values_list("approved_by_id", flat=True).first()
    channels = list(Category.objects.values_list("pk", flat=True))
    phrasings = [q for items in QUESTIONS.values() for q in items]
    rng = random.Random(18)
    made = []
    for i in range(total - existing):
        q = f"{rng.choice(FILLER_PLACES)}{rng.choice(FILLER_OFFICES)}：{rng.choice(phrasings)}（第{i}号）"
        made.append(
            Answer(
                question=q[:200],
                keywords="",
                body=BODY,
                channel_id=rng.choice(channels),
                state=Answer.State.PUBLISHED,
                approved_by_id=user_id,
                approved_at="2026-12-01T00:00:00Z",
            )
        )
    with transaction.atomic():
        Answer.objects.bulk_create(made, batch_size=2000)
        terms = [AnswerTerm(answer=a, term=t) for a in made for t in answer_terms(question=a.question, keywords="")]
        AnswerTerm.objects.bulk_create(terms, batch_size=5000)
    print(f"answers: {Answer.objects.count()}  index rows: {AnswerTerm.objects.count()}")


def timing(total: int, samples: int) -> None:
    from django.db import connection

    from kb.matching import answers_scored, answers_suggest

    load_labelled()
    fill(total)
    with connection.cursor() as cursor:
        # What autovacuum does on a live table: statistics, and the visibility map index-only scans need.
        cursor.execute("VACUUM ANALYZE kb_answer")
        cursor.execute("VACUUM ANALYZE kb_answerterm")
    items = questions("heldout")
    rng = random.Random(7)
    chosen = rng.sample(items, min(samples, len(items)))
    content = "我家住在小区里，情况比较着急，麻烦尽快帮忙看一下，谢谢。"
    # answers_suggest: what a page that shows the answers costs; answers_scored: a submit that goes through.
    for name, func in (("answers_suggest", answers_suggest), ("answers_scored", answers_scored)):
        times = []
        for _key, q in chosen:
            func(title=q, content=content)
            start = time.perf_counter()
            func(title=q, content=content)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"{name}: answers={total} samples={len(times)} median={statistics.median(times):.1f} ms "
            f"p95={p95:.1f} ms max={times[-1]:.1f} ms"
        )
    explain(chosen[0][1] + content)


def explain(text: str) -> None:
    """The candidate statement's plan, once (it must read the term index, not every answer)."""
    from django.db import connection
    from django.utils import timezone

    from kb.matching import candidates_sql, query_terms

    sql, params = candidates_sql(terms=query_terms(text), today=timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["accuracy", "time"])
    parser.add_argument("--split", default="heldout", choices=["tuning", "heldout", "all"])
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    django_setup(os.environ.get("KB_BENCH_DATABASE_URL", DEFAULT_URL))
    if args.what == "accuracy":
        accuracy(args.split, args.verbose)
    else:
        timing(args.answers, args.samples)


if __name__ == "__main__":
    main()
