"""Where a public request's CPU goes: one gunicorn worker under load, sampled by py-spy.

    .venv/bin/python bench/profile_public.py [--seconds 10] [--rounds 1] [--only submit --only lookup ...]
        [--py-spy PATH | --no-sample] [--top 25] [--keep DIR]

py-spy is a tool, not a dependency of the project: install it into a venv of
its own (`python3 -m venv /work/tools/pyspy && /work/tools/pyspy/bin/pip
install py-spy==0.4.1`) and point --py-spy at it (default: `py-spy` on PATH).

For each page (the portal's submission, lookup and signed link, and
bench/views.py's baselines) the script serves the same settings as
bench/run.py from ONE gunicorn sync worker, drives it with one wrk connection
(requests back to back, so the worker's CPU is the page's CPU, nothing else),
and reports

- the worker's application CPU per response (utime + stime from /proc, the
  PostgreSQL backend's CPU separately), measured without the sampler attached,
  --rounds times round-robin (median, min and max);
- then, with py-spy attached (--nonblocking --gil, 997 Hz: only the thread holding the
  GIL, so time blocked in socket calls is not counted as CPU), the share of samples in
  named parts of the stack (middleware, form validation, rate limit, crypto,
  database driver, template rendering, ...) and the functions with the most
  inclusive and own time.

Every response is checked as in bench/run.py. The figures go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run

# Named parts of a request, matched against each sampled frame (innermost match wins).
PARTS = [
    ("template rendering", ("django/template/",)),
    ("database driver (psycopg)", ("psycopg/", "psycopg_pool/")),
    (
        "ORM: building and compiling SQL",
        (
            "django/db/models/sql/",
            "django/db/models/query.py",
            "django/db/models/expressions.py",
            "django/db/models/lookups.py",
        ),
    ),
    ("ORM: model instances and fields", ("django/db/models/base.py", "django/db/models/fields/")),
    ("database connection handling", ("django/db/backends/", "django/db/transaction.py", "django/db/utils.py")),
    (
        "crypto (field encryption, keyed hash)",
        ("requests_app/crypto.py", "requests_app/fields.py", "cryptography/", "hmac.py"),
    ),
    ("forms and validation", ("django/forms/", "requests_app/forms.py", "crispy_forms/", "crispy_bootstrap5/")),
    ("rate limit", ("django_ratelimit/",)),
    ("cache / Redis client", ("django/core/cache/", "django_redis/", "redis/", "helpdesk/breaker.py")),
    ("CSRF", ("django/middleware/csrf.py",)),
    (
        "sessions, auth, OTP, axes, messages",
        ("django/contrib/sessions/", "django/contrib/auth/", "django_otp/", "axes/", "django/contrib/messages/"),
    ),
    ("CSP", ("csp/",)),
    ("i18n (locale, translation)", ("django/middleware/locale.py", "django/utils/translation/", "gettext.py")),
    ("URL resolving", ("django/urls/",)),
    (
        "request parsing (WSGI, QueryDict, multipart)",
        (
            "django/core/handlers/wsgi.py",
            "django/http/request.py",
            "django/http/multipartparser.py",
            "django/utils/datastructures.py",
        ),
    ),
    (
        "response (HttpResponse, headers, cookies)",
        ("django/http/response.py", "django/http/cookie.py", "http/cookies.py"),
    ),
    ("signing (tokens)", ("django/core/signing.py",)),
    ("logging", ("logging/",)),
    ("gunicorn (HTTP parsing, socket I/O)", ("gunicorn/",)),
    ("the portal's own code", ("requests_app/", "dispatch/", "helpdesk/", "kb/", "board/")),
]


def part_of(frame: str) -> str | None:
    for name, needles in PARTS:
        if any(n in frame for n in needles):
            return name
    return None


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def backend_pids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def measure(port: int, scenario: dict, seconds: float, master: int) -> dict:
    worker = worker_pid(master)
    backends = backend_pids()
    app0, db0 = run.cpu_seconds([worker]), run.cpu_seconds(backends)
    res = run.run_wrk(port, scenario, seconds, 1, master)
    res["app_ms"] = (run.cpu_seconds([worker]) - app0) * 1000 / max(res["responses"], 1)
    res["db_ms"] = (run.cpu_seconds(backends) - db0) * 1000 / max(res["responses"], 1)
    return res


def sample(port: int, scenario: dict, seconds: float, master: int, py_spy: str, out: Path) -> dict:
    worker = worker_pid(master)
    spy = subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(worker),
            "--rate",
            "997",
            "--nonblocking",
            "--gil",
            "--format",
            "raw",
            "--output",
            str(out),
            "--duration",
            str(int(seconds) + 2),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.5)
    res = run.run_wrk(port, scenario, seconds, 1, master)
    spy.wait(timeout=seconds + 30)
    return res


def summarise(raw: Path, top: int) -> list[str]:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    parts: collections.Counter[str] = collections.Counter()
    total = 0
    idle = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        # Samples with the worker waiting for the next request or for PostgreSQL are not CPU.
        leaf = frames[-1]
        if any(
            w in leaf for w in ("select (", "wait (", "recv_into (", "_wait_conn", "wait_c (", "accept (", "sleep (")
        ):
            idle += n
            continue
        total += n
        for f in set(frames):
            inclusive[f] += n
        own[leaf] += n
        found = None
        for f in reversed(frames):
            found = part_of(f)
            if found:
                break
        parts[found or "other (Python, WSGI glue)"] += n
    lines = [f"samples on CPU: {total} (waiting samples left out: {idle})", "", "| part | share |", "|---|---:|"]
    lines += [f"| {name} | {n * 100 / total:.1f} % |" for name, n in parts.most_common()]
    lines += ["", f"top {top} by inclusive share:", ""]
    lines += [f"  {n * 100 / total:5.1f} %  {f}" for f, n in inclusive.most_common(top)]
    lines += ["", f"top {top} by own share:", ""]
    lines += [f"  {n * 100 / total:5.1f} %  {f}" for f, n in own.most_common(top)]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1, help="measure every page this many times, round-robin")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/yibang_profile")
    parser.add_argument(
        "--only",
        action="append",
        choices=[
            "submit",
            "submit_baseline",
            "form_baseline",
            "lookup",
            "lookup_baseline",
            "track_link",
            "track_link_baseline",
        ],
    )
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    parser.add_argument("--no-sample", action="store_true", help="CPU per response only")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep", type=Path, help="keep py-spy's raw stacks in this directory")
    args = parser.parse_args()

    env = run.bench_env(args.database_url)
    os.environ.update(env)
    run.manage(env, "migrate", "--noinput", "--verbosity", "0")
    run.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    run.manage(env, "seed_kb")
    ticket, token, category_id, district_id = run.fixture_create()

    port = run.free_port()
    gunicorn = subprocess.Popen(
        [str(run.GUNICORN), "helpdesk.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"],
        cwd=run.ROOT,
        env=env,
    )
    failures = []
    try:
        run.wait_ready(port, gunicorn)
        secret, masked, shown_at = run.csrf_and_form(port)
        submit_body, lookup_body = run.request_bodies(masked, shown_at, category_id, district_id, ticket)
        time.sleep(4)  # FORM_MIN_FILL_SECONDS
        scenarios = run.scenarios(secret, submit_body, lookup_body, ticket, token)
        names = args.only or list(scenarios)
        for name in names:  # warm-up: connection opened, templates compiled
            run.run_wrk(port, scenarios[name], 2, 1, gunicorn.pid)
        tmp = args.keep or Path(tempfile.mkdtemp(prefix="yibang-pyspy-"))
        tmp.mkdir(parents=True, exist_ok=True)
        measured: dict[str, list[dict]] = {name: [] for name in names}
        for rnd in range(args.rounds):  # round-robin, so drift on a shared machine hits every page alike
            for name in names:
                res = measure(port, scenarios[name], args.seconds, gunicorn.pid)
                if res["bad"] or res["s5xx"] or ("stored" in res and res["stored"] != res["ok"]):
                    failures.append(f"{name}: {res}")
                measured[name].append(res)
                print(
                    f"round {rnd + 1} {name:<20} {res['responses']:6d} responses  app cpu {res['app_ms']:.2f} ms/req  "
                    f"PostgreSQL {res['db_ms']:.2f} ms/req  p50 {res['p50_ms']:.2f} ms",
                    flush=True,
                )
        report = [
            f"{'page':<20} {'app CPU ms/req: median (min–max)':>34} {'PostgreSQL ms/req':>18} {'p50 ms':>7}"
            + ("  × plain form (same round)" if "form_baseline" in names else "")
        ]
        for name in names:
            app = sorted(r["app_ms"] for r in measured[name])
            line = (
                f"{name:<20} {statistics.median(app):>15.2f} ({app[0]:.2f}–{app[-1]:.2f}){'':>5}"
                f"{statistics.median(r['db_ms'] for r in measured[name]):>18.2f}"
                f"{statistics.median(r['p50_ms'] for r in measured[name]):>8.2f}"
            )
            if "form_baseline" in names:
                # The host's speed drifts between rounds (a shared VM): CPU relative to plain Django
                # measured in the same round moves much less than the milliseconds themselves.
                times = [
                    r["app_ms"] / f["app_ms"] for r, f in zip(measured[name], measured["form_baseline"], strict=True)
                ]
                line += f"{statistics.median(times):>12.2f}×"
            report.append(line)
        if not args.no_sample:
            for name in names:
                raw = tmp / f"{name}.txt"
                sample(port, scenarios[name], args.seconds, gunicorn.pid, args.py_spy, raw)
                print(f"\n## {name}\n", *summarise(raw, args.top), sep="\n", flush=True)
        print("\n", *report, sep="\n")
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
