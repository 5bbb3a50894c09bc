"""Side-by-side benchmark of the public pages against minimal baseline views.

One gunicorn (same workers, same settings: DEBUG off, PostgreSQL, CONN_MAX_AGE)
serves both the real pages and bench/views.py's baselines; wrk on loopback
drives real and baseline alternately, several rounds, same concurrency, fixed
duration. Every response is checked (status and content), every submission
round checks stored requests == successful submissions (counted by that run's
submit_token prefix, so no other writer can skew it), and the run prints
req/s, real/baseline ratios, p50/p99 latency, server CPU per response and 5xx
counts.

    .venv/bin/python bench/run.py [--rounds 3] [--seconds 10] [--connections 8] [--workers 4]

Exit status: 0 when every response was right and the counts match (and, with
--strict, when the promised ratios are met), 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
LUA = Path(__file__).resolve().parent / "wrk.lua"
LOOKUP_PHONE = "13700001234"
PROMISE = {"submit": 0.6, "lookup": 0.7, "track_link": 0.7}


def bench_env(database_url: str, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="0",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789"),
        DATABASE_URL=database_url,
        CONN_MAX_AGE=env.get("CONN_MAX_AGE", "600"),
        STATIC_ROOT=str(ROOT / "var" / "bench-static"),
        SECURE_COOKIES="0",
        PYTHONPATH=str(ROOT),
        # As in production: the rate limits, lock-outs and figures share Redis, tasks go to Redis
        # (make run's file cache would cost a temporary file and a rename per counted request).
        CACHE_URL=env.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13"),
        CELERY_BROKER_URL=env.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/11"),
    )
    env.update(extra or {})
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, method: str, path: str, body: str = "", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body.encode(), headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read().decode()
    finally:
        conn.close()


def wait_ready(port: int, proc: subprocess.Popen, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            if fetch(port, "GET", "/help/track/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 30 s")


def fixture_create() -> tuple[str, str, int, int]:
    """A request to look up (with a few public events, like a real one in progress)."""
    import django

    django.setup()
    from django.db import connections

    from requests_app import selectors, services
    from requests_app.models import Category, District, Event, State

    category = Category.objects.get(code="minsheng")
    district = District.objects.get(code="jinshui")
    req = services.request_submit(
        category=category,
        urgency="urgent",
        district=district,
        name="张三",
        phone=LOOKUP_PHONE,
        address="金水路1号",
        title="小区停水三天",
        content="我们小区从周一开始停水，至今没有恢复，老人孩子生活很困难，请帮忙协调。",
    )
    for to_state, message in ((State.LISTED, "平台已列单"), (State.HANDED_OVER, "已交办金水区政府")):
        Event.objects.create(
            request=req, kind=Event.Kind.TRANSITION, to_state=to_state, message=message, is_public=True
        )
    token = selectors.track_token_for(ticket_number=req.ticket_number)
    connections.close_all()
    return req.ticket_number, token, category.pk, district.pk


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (those that are gone count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(master: int) -> list[int]:
    """The gunicorn workers and the PostgreSQL backends serving this database (not ours, not wrk)."""
    from django.db import connection

    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = [row[0] for row in cursor.fetchall()]
    return [master, *map(int, children), *backends]


def stored_with_nonce(nonce: int, model: str = "requests_app.HelpRequest") -> int:
    """Rows whose submit_token came from the wrk run with this nonce (wrk.lua puts it first)."""
    import uuid

    from django.apps import apps

    low = uuid.UUID(f"{nonce:08x}-0000-0000-0000-000000000000")
    high = uuid.UUID(f"{nonce:08x}-ffff-ffff-ffff-ffffffffffff")
    return apps.get_model(model).objects.filter(submit_token__gte=low, submit_token__lte=high).count()


def csrf_and_form(port: int) -> str:
    status, headers, html = fetch(port, "GET", "/help/new/")
    assert status == 200, status
    cookie = next(v for k, v in headers if k.lower() == "set-cookie" and v.startswith("csrftoken="))
    secret = cookie.split(";", 1)[0].split("=", 1)[1]
    masked = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    shown_at = re.search(r'name="shown_at" value="([^"]+)"', html).group(1)
    # The form's token is the masked form of the cookie's secret: both go with every POST.
    # shown_at is the form's signed display time (the anti-bot fill-time check).
    return secret, masked, shown_at


def run_wrk(port: int, scenario: dict, seconds: float, connections: int, master: int) -> dict:
    nonce = secrets.randbelow(2**31)
    pids = server_pids(master)
    workers = [master, *map(int, Path(f"/proc/{master}/task/{master}/children").read_text().split())]
    cpu_before, app_before = cpu_seconds(pids), cpu_seconds(workers)
    cmd = [
        "wrk",
        f"-t{connections}",
        f"-c{connections}",
        f"-d{int(seconds) + 5}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}{scenario['path']}",
        "--",
        scenario["method"],
        scenario["path"],
        str(scenario["status"]),
        scenario["contains"],
        str(seconds),
        scenario["csrf"],
        scenario.get("body", ""),
        "fresh" if scenario.get("fresh") else "same",
        str(nonce),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_RESULT "))
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    result["rps"] = result["responses"] / result["seconds"] if result["seconds"] else 0.0
    # CPU the server side (gunicorn workers + their PostgreSQL backends) spent per
    # response: unlike req/s it hardly moves when other work shares the machine.
    result["cpu_ms"] = (cpu_seconds(pids) - cpu_before) * 1000 / max(result["responses"], 1)
    # The application's share alone (gunicorn), the "application CPU".
    result["app_ms"] = (cpu_seconds(workers) - app_before) * 1000 / max(result["responses"], 1)
    if scenario.get("fresh"):
        result["stored"] = stored_with_nonce(nonce, scenario.get("model", "requests_app.HelpRequest"))
    return result


def request_bodies(masked: str, shown_at: str, category_id: int, district_id: int, ticket: str) -> tuple[str, str]:
    """The posted submission (a citizen's form, filled in) and lookup (the fixture's number and phone)."""
    form = {
        "shown_at": shown_at,
        "csrfmiddlewaretoken": masked,
        "category": category_id,
        "urgency": "normal",
        "district": district_id,
        "name": "李四",
        "address": "中原路100号",
        "title": "路灯坏了一个月",
        "content": "小区门口的路灯坏了一个多月，晚上出行很不方便，老人摔倒过，请尽快修复。",
        "consent": "on",
    }
    lookup = {"csrfmiddlewaretoken": masked, "ticket_number": ticket, "phone": LOOKUP_PHONE}
    return urllib.parse.urlencode(form), urllib.parse.urlencode(lookup)


def scenarios(secret: str, submit_body: str, lookup_body: str, ticket: str, token: str) -> dict[str, dict]:
    """What wrk sends and what every answer must be: the real pages and their baselines."""
    common = {"csrf": secret}
    return {
        "submit": dict(
            common,
            method="POST",
            path="/help/new/",
            status=302,
            contains="/help/receipt/",
            body=submit_body,
            fresh=True,
        ),
        "submit_baseline": dict(
            common, method="POST", path="/bench/submit/", status=200, contains="ZZ", body=submit_body, fresh=True
        ),
        # Plain Django: a Form over the same fields, validated, one INSERT, a redirect (same middleware).
        "form_baseline": dict(
            common,
            method="POST",
            path="/bench/form/",
            status=302,
            contains="/bench/form/done/",
            body=submit_body,
            fresh=True,
            model="bench.MinimalSubmission",
        ),
        "lookup": dict(
            common, method="POST", path="/help/track/", status=200, contains='id="timeline"', body=lookup_body
        ),
        "lookup_baseline": dict(
            common, method="POST", path="/bench/track/", status=200, contains=f"{ticket} 3 4", body=lookup_body
        ),
        "track_link": dict(common, method="GET", path=f"/help/track/{token}/", status=200, contains='id="timeline"'),
        "track_link_baseline": dict(
            common, method="GET", path=f"/bench/track/{ticket}/", status=200, contains=f"{ticket} 3 4"
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each measurement")
    parser.add_argument("--connections", type=int, default=8, help="concurrent clients (one wrk thread each)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/yibang_bench")
    parser.add_argument("--only", choices=["submit", "lookup", "track_link"], action="append")
    parser.add_argument("--strict", action="store_true", help="also fail when a promised ratio is missed")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20 or not 1 <= args.seconds <= 120 or not 1 <= args.connections <= 64:
        raise SystemExit("keep it bounded: rounds 1-20, seconds 1-120, connections 1-64")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")

    env = bench_env(args.database_url)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    # The knowledge base's demo answers and redirect rules: every first submit asks them for advice.
    manage(env, "seed_kb")
    ticket, token, category_id, district_id = fixture_create()

    port = free_port()
    gunicorn = subprocess.Popen(
        [
            str(GUNICORN),
            "helpdesk.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    failures: list[str] = []
    try:
        wait_ready(port, gunicorn)
        secret, masked, shown_at = csrf_and_form(port)
        submit_body, lookup_body = request_bodies(masked, shown_at, category_id, district_id, ticket)
        # A person takes longer than FORM_MIN_FILL_SECONDS to fill the form; so does the benchmark.
        time.sleep(4)
        scenario = scenarios(secret, submit_body, lookup_body, ticket, token)
        pairs = {name: (scenario[name], scenario[f"{name}_baseline"]) for name in PROMISE}
        # The submission is also measured against plain Django (a Form, one INSERT, a redirect).
        extra = {"submit": ("form", scenario["form_baseline"])}
        names = args.only or list(pairs)
        # Warm-up: every worker opens its connection and compiles its templates.
        for name in names:
            for scenario in [*pairs[name], *([extra[name][1]] if name in extra else [])]:
                run_wrk(port, scenario, 2, args.connections, gunicorn.pid)

        results: dict[str, dict[str, list]] = {n: {"real": [], "baseline": [], "form": []} for n in names}
        for rnd in range(args.rounds):
            for name in names:
                real, base = pairs[name]
                order = [("real", real), ("baseline", base), *([extra[name]] if name in extra else [])]
                if rnd % 2:
                    order.reverse()  # alternate who goes first, so drift hurts both alike
                for side, scenario in order:
                    res = run_wrk(port, scenario, args.seconds, args.connections, gunicorn.pid)
                    if "stored" in res and res["stored"] != res["ok"]:
                        failures.append(f"{name}/{side} round {rnd + 1}: stored {res['stored']} != ok {res['ok']}")
                    if res["bad"] or res["s5xx"] or res["socket_errors"]:
                        failures.append(f"{name}/{side} round {rnd + 1}: {res}")
                    results[name][side].append(res)
                    stored = f" stored={res['stored']}" if "stored" in res else ""
                    print(
                        f"round {rnd + 1} {name:<10} {side:<8} {res['rps']:8.1f} req/s  ok={res['ok']} bad={res['bad']} "
                        f"5xx={res['s5xx']}{stored}  p50={res['p50_ms']:.1f}ms p99={res['p99_ms']:.1f}ms "
                        f"cpu={res['cpu_ms']:.2f}ms/req app={res['app_ms']:.2f}ms/req",
                        flush=True,
                    )
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)

    med = statistics.median
    print()
    print(
        f"{args.rounds} rounds x {args.seconds:g}s, {args.connections} connections, {args.workers} gunicorn sync "
        f"workers, {os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'page':<11}{'real req/s':>11}{'base req/s':>11}{'ratio':>7}{'cpu ratio':>10}{'promise':>8}"
        f"{'real p50/p99 ms':>18}{'base p50/p99 ms':>18}{'real/base cpu ms':>18}{'real/base app ms':>18}{'5xx':>5}"
    )
    for name in names:
        real, base = results[name]["real"], results[name]["baseline"]
        ratios = [r["rps"] / b["rps"] for r, b in zip(real, base, strict=True)]
        ratio = med(ratios)
        cpu_real, cpu_base = med(r["cpu_ms"] for r in real), med(b["cpu_ms"] for b in base)
        cpu_ratio = cpu_base / cpu_real if cpu_real else 0.0
        print(
            f"{name:<11}{med(r['rps'] for r in real):>11.1f}{med(b['rps'] for b in base):>11.1f}{ratio:>6.2f}x"
            f"{cpu_ratio:>9.2f}x{PROMISE[name]:>7.2f}x"
            f"{med(r['p50_ms'] for r in real):>9.1f}/{med(r['p99_ms'] for r in real):<8.1f}"
            f"{med(b['p50_ms'] for b in base):>9.1f}/{med(b['p99_ms'] for b in base):<8.1f}"
            f"{cpu_real:>9.2f}/{cpu_base:<8.2f}"
            f"{med(r['app_ms'] for r in real):>9.2f}/{med(b['app_ms'] for b in base):<8.2f}"
            f"{sum(r['s5xx'] for r in real + base):>5}"
        )
        print(f"{'':<11}per-round req/s ratios: {', '.join(f'{x:.2f}' for x in ratios)}")
        plain = results[name]["form"]
        if plain:
            form_ratios = [r["rps"] / f["rps"] for r, f in zip(real, plain, strict=True)]
            print(
                f"{'':<11}against plain Django (a Form, one INSERT, a redirect): {med(f['rps'] for f in plain):.1f} "
                f"req/s, ratio {med(form_ratios):.2f}x, app CPU {med(f['app_ms'] for f in plain):.2f} ms/req "
                f"(real {med(r['app_ms'] for r in real):.2f}), server CPU {med(f['cpu_ms'] for f in plain):.2f} ms/req"
            )
        if ratio < PROMISE[name] and args.strict:
            failures.append(f"{name}: ratio {ratio:.2f} < {PROMISE[name]}")
    print(
        "ratio = median over rounds of real req/s / baseline req/s (measured back to back); cpu ratio = baseline / "
        "real server CPU (gunicorn + PostgreSQL backends) per response, the throughput ratio a saturated machine "
        "would show, steadier than req/s when other work shares the cores."
    )
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
