"""The portal under faults, run as in production: gunicorn -w 2, one Celery worker, one beat,
PostgreSQL, and a Redis of the benchmark's own (a redis-server on a free port) for broker and cache.

Eight simulated citizens send 150 submissions in all (each: GET the form, POST it; a failed POST is
sent again with the same form, as a citizen pressing the button again would), and each looks up
their latest request every 2 s. One fault per scenario:

- `frozen`:  Redis SIGSTOPped for --fault-seconds (30) a few seconds into the run.
- `stopped`: Redis terminated for --fault-seconds (60), then started again on the same port;
             deadlines fall due during the outage (SLA_CONTACT_SECONDS is short) and the run waits
             for every one of them to be flagged after Redis is back.
- `dbcut`:   every connection to the benchmark's database cut (pg_terminate_backend) every 0.5 s
             for --fault-seconds (60).
- `workerkill`: the Celery worker (and its pool process) SIGKILLed every 8 s during
             --fault-seconds (40) and started again at once, sweeps and sends in flight or not.
- `ackfreeze`: Redis SIGSTOPped for --fault-seconds (30) while a sweep is in flight (the row of the
             request it is flagging held until it waits on it, released 1 s into the freeze), so the
             sweep returns and acks during the freeze; `--qos upstream` runs the worker with kombu's
             own Redis QoS instead of helpdesk.celery.RedisQoS.
- `none`:    no fault (the reference).

Everything is counted against the database at the end: stored vs. acknowledged (302 to a receipt),
duplicates (a citizen's submission is stored more than once), 5xx, what each failed POST said,
latency of submissions and lookups (all, and those started during the fault), the web tier's log
lines (gunicorn's stderr: application and error log; no access log), breaches flagged once.

    .venv/bin/python bench/faults.py --scenario frozen [--submissions 150] [--citizens 8]

Uses its own database (`yibang_res_faults`, dropped and created) and its own Redis; never the shared
ones.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fault_parts import (
    BIN,
    DB_NAME,
    ROOT,
    Citizen,
    Flagged,
    Lookups,
    Redis,
    celery_command,
    db_cutter,
    free_port,
    percentile,
    pg_admin,
    spawn,
    stamp,
    sweep_held,
    teardown,
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--scenario", choices=["none", "frozen", "stopped", "dbcut", "workerkill", "ackfreeze"], default="frozen"
    )
    parser.add_argument("--submissions", type=int, default=150)
    parser.add_argument("--citizens", type=int, default=8)
    parser.add_argument("--fault-start", type=float, default=4.0)
    parser.add_argument("--fault-seconds", type=float, default=None)
    parser.add_argument("--sweep-seconds", type=int, default=5)
    parser.add_argument("--think", type=float, default=1.5, help="seconds a citizen takes to fill the form in")
    parser.add_argument(
        "--qos",
        choices=["fix", "upstream"],
        default="fix",
        help="upstream: the worker runs kombu's own Redis QoS (without helpdesk.celery.RedisQoS), to show the stall",
    )
    parser.add_argument(
        "--catch-up",
        choices=["on", "off"],
        default="on",
        help="off: the worker and beat publish no sweep on (re)connect (helpdesk.celery.clock_catch_up), as before",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    fault_seconds = (
        args.fault_seconds
        or {"frozen": 30, "stopped": 60, "dbcut": 60, "workerkill": 40, "ackfreeze": 30, "none": 0}[args.scenario]
    )

    work = ROOT / "var" / f"bench-faults-{args.scenario}"
    work.mkdir(parents=True, exist_ok=True)
    for f in work.glob("*"):
        if f.is_file():
            f.unlink()
    with pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    redis = Redis(work)
    redis.start()
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "CACHE_URL": f"redis://127.0.0.1:{redis.port}/1",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "SECURE_COOKIES": "0",
        "RATELIMIT_SUBMIT": "100000/h",
        "RATELIMIT_LOOKUP": "100000/h",
        "FORM_MIN_FILL_SECONDS": "0",
        "DEADLINE_SWEEP_SECONDS": str(args.sweep_seconds),
        # Breaches fall due during the run: the contact promise is 20 s.
        "SLA_CONTACT_SECONDS": "20",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONPATH": str(ROOT),
    }
    for key in ("DJANGO_SETTINGS_MODULE",):
        env.pop(key, None)
    subprocess.run([str(BIN / "python"), "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    # Staff with addresses, so breaches have someone to notify (and the outbox something to send).
    subprocess.run(
        [str(BIN / "python"), "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    procs: dict[str, subprocess.Popen] = {}
    atexit.register(teardown, procs, redis)  # also when the run fails half-way
    procs["web"] = spawn(
        [str(BIN / "gunicorn"), "-c", "helpdesk/gunicorn_conf.py", "helpdesk.wsgi", "--workers", "2"]
        + ["--bind", f"127.0.0.1:{port}", "--timeout", "60"],
        log=work / "web.log",
        env=env,
    )

    def start_worker() -> subprocess.Popen:
        return spawn(
            celery_command(qos=args.qos, catch_up=args.catch_up == "on")
            + ["-A", "helpdesk", "worker", "--concurrency", "1", "--loglevel", "INFO", "-n", "bench@%h"],
            log=work / "worker.log",
            env=env,
            start_new_session=True,  # its own process group: SIGKILL takes the pool process too
        )

    procs["worker"] = start_worker()
    procs["beat"] = spawn(
        celery_command(catch_up=args.catch_up == "on")
        + [
            "-A",
            "helpdesk",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(work / "beat-schedule"),
        ],
        log=work / "beat.log",
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.1)
    # Warm both workers (connections, templates) and the worker's first sweep.
    for _ in range(6):
        requests.get(base + "/help/new/", timeout=10)
    time.sleep(max(2, args.sweep_seconds))
    web_lines_before = len((work / "web.log").read_text().splitlines())

    results: dict = {"calls": [], "acknowledged": [], "given_up": [], "think": args.think}
    lock, stop = threading.Lock(), threading.Event()
    per = [
        args.submissions // args.citizens + (1 if i < args.submissions % args.citizens else 0)
        for i in range(args.citizens)
    ]
    citizens = [Citizen(i, base, per[i], results, lock, stop) for i in range(args.citizens)]
    lookups = [Lookups(c, stop) for c in citizens]
    t0 = time.time()
    for t in citizens + lookups:
        t.start()
    fault_from = t0 + args.fault_start
    fault_to = fault_from + fault_seconds
    cuts = [0]
    time.sleep(args.fault_start)
    if args.scenario == "frozen":
        redis.signal(signal.SIGSTOP)
        time.sleep(fault_seconds)
        redis.signal(signal.SIGCONT)
    elif args.scenario == "ackfreeze":
        # A sweep (acks_late) in flight when Redis freezes; it finishes, and acks, during the freeze.
        held = sweep_held(until=time.time() + 60)
        if held is None:
            raise RuntimeError("no sweep blocked on the held request within 60 s")
        holder, held_request = held
        fault_from = time.time()
        redis.signal(signal.SIGSTOP)
        time.sleep(1)
        holder.rollback()  # the sweep goes on: it flags, fails to publish and to ack, against the frozen Redis
        holder.close()
        time.sleep(max(0.0, fault_seconds - 1))
        redis.signal(signal.SIGCONT)
        fault_to = time.time()
    elif args.scenario == "stopped":
        redis.stop()
        time.sleep(fault_seconds)
        redis.start()
    elif args.scenario == "dbcut":
        db_cutter(stop, fault_to, cuts)
    elif args.scenario == "workerkill":
        while time.time() < fault_to:
            time.sleep(8)
            os.killpg(procs["worker"].pid, signal.SIGKILL)
            procs["worker"].wait()
            cuts[0] += 1
            procs["worker"] = start_worker()
    back_at = time.time()
    flagged = Flagged(back_at, until=back_at + 6 * args.sweep_seconds + 60)
    flagged.start()
    for c in citizens:
        c.join()
    stop.set()
    for t in lookups:
        t.join(5)
    finished = time.time()
    web_lines = (work / "web.log").read_text().splitlines()[web_lines_before:]

    # Breaches due before Redis came back, flagged once within how long (polled from the return on).
    flagged.join()
    flagged_after = flagged.flagged_after
    with pg_admin(DB_NAME) as db:
        # Every notification sent: what the sweeps published goes at once, what could not be
        # published (the broker away, a killed worker) waits for the flush (every minute).
        drained_after = None
        drain_until = time.time() + 150
        while time.time() < drain_until:
            (queued,) = db.execute("SELECT count(*) FROM dispatch_notification WHERE state = 'queued'").fetchone()
            if queued == 0:
                drained_after = time.time() - back_at
                break
            time.sleep(1)
        stored = db.execute(
            "SELECT title, count(*) FROM requests_app_helprequest WHERE title LIKE '压测%%' GROUP BY title"
        ).fetchall()
        (breached,) = db.execute("SELECT count(*) FROM requests_app_deadline WHERE breached_at IS NOT NULL").fetchone()
        (events,) = db.execute("SELECT count(*) FROM requests_app_event WHERE kind = 'deadline'").fetchone()
        (distinct_events,) = db.execute(
            "SELECT count(DISTINCT data->>'deadline_id') FROM requests_app_event WHERE kind = 'deadline'"
        ).fetchone()
        notifications = dict(db.execute("SELECT state, count(*) FROM dispatch_notification GROUP BY state").fetchall())
        # Recipients are encrypted (random ciphertext): rows per breach (request, subject) show a
        # duplicate as a group larger than the recipients (the demo: supervisor + dispatcher = 2).
        per_breach = dict(
            db.execute(
                "SELECT n, count(*) FROM (SELECT count(*) AS n FROM dispatch_notification WHERE kind = 'breach' "
                "GROUP BY request_id, subject) g GROUP BY n"
            ).fetchall()
        )
        attempts = dict(
            db.execute(
                "SELECT attempts, count(*) FROM dispatch_notification WHERE state = 'sent' GROUP BY 1"
            ).fetchall()
        )
        (due_during,) = db.execute(
            "SELECT count(*) FROM requests_app_deadline WHERE due_at BETWEEN to_timestamp(%s) AND to_timestamp(%s)",
            [fault_from, fault_to],
        ).fetchone()
    teardown(procs, redis)

    acknowledged = {a["title"] for a in results["acknowledged"]}
    stored_titles = dict(stored)
    calls = results["calls"]

    def stats(kind: str, during: bool = False) -> dict:
        xs = [c for c in calls if c["kind"] == kind and (not during or fault_from <= c["t"] < fault_to)]
        secs = [c["s"] for c in xs]
        return {
            "n": len(xs),
            "p50": round(percentile(secs, 50), 3),
            "p99": round(percentile(secs, 99), 3),
            "max": round(max(secs), 3) if secs else 0,
            "mean": round(statistics.mean(secs), 3) if secs else 0,
            "5xx": sum(1 for c in xs if c["status"] >= 500),
            "errors": sum(1 for c in xs if c["status"] == 0),
        }

    failed_posts = [c for c in calls if c["kind"] == "submit" and c["status"] >= 500]
    summary = {
        "scenario": args.scenario,
        "fault_seconds": fault_seconds,
        "run_seconds": round(finished - t0, 1),
        "submissions_acknowledged": len(results["acknowledged"]),
        "given_up": len(results["given_up"]),
        "stored": sum(stored_titles.values()),
        "lost": len(acknowledged - set(stored_titles)),
        "duplicates": sum(n - 1 for n in stored_titles.values() if n > 1),
        "stored_not_acknowledged": len(set(stored_titles) - acknowledged),
        "submit": stats("submit"),
        "submit_during_fault": stats("submit", during=True),
        "form": stats("form"),
        "lookup": stats("lookup"),
        "lookup_during_fault": stats("lookup", during=True),
        "lookups_wrong": sum(1 for c in calls if c["kind"] == "lookup" and not c.get("ok")),
        "lookup_wrong_sample": [c["page"] for c in calls if c["kind"] == "lookup" and not c.get("ok")][:1],
        "all_calls_5xx": sum(1 for c in calls if c["status"] >= 500),
        "all_calls": len(calls),
        "failed_posts_said": {
            s: sum(1 for c in failed_posts if c["said"] == s) for s in {c["said"] for c in failed_posts}
        },
        "web_log_lines": len(web_lines),
        "web_log_sample": web_lines[:8],
        "connections_cut_or_workers_killed": cuts[0],
        "deadlines_due_during_fault": due_during,
        "breached": breached,
        "deadline_events": events,
        "deadline_events_distinct": distinct_events,
        "qos": args.qos,
        "catch_up": args.catch_up,
        "fault_from": stamp(fault_from),
        "redis_back_at": stamp(back_at),
        "flagged_all_within_s_of_return": None if flagged_after is None else round(flagged_after, 1),
        # Until this the earlier bench did not start polling for the breaches (its figure's floor).
        "citizens_done_s_after_return": round(finished - back_at, 1),
        "first_sweep_completed_s_after_return": None if flagged.swept_after is None else round(flagged.swept_after, 1),
        "notifications": notifications,
        "notifications_all_sent_within_s_of_return": None if drained_after is None else round(drained_after, 1),
        "breach_notification_rows_per_breach": per_breach,
        "sent_by_attempts": attempts,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
