"""The actors and helpers of bench/faults.py: its own redis-server, timestamped process logs, the
citizens and their lookups, the connection cutter, the held sweep, and the watch on the clock after
a fault."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DB_NAME = "yibang_res_faults"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_admin(dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(**PG, dbname=dbname, autocommit=True)


class Redis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        cmd += ["--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")]
        self.proc = subprocess.Popen(cmd)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)


def stamp(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"


def log_to(path: Path) -> int:
    """A pipe whose lines go to `path` with the time they arrived (HH:MM:SS.mmm), for the timeline."""
    read_fd, write_fd = os.pipe()

    def pump() -> None:
        with os.fdopen(read_fd, "rb") as source, open(path, "a", encoding="utf-8") as out:
            for raw in source:
                out.write(f"{stamp(time.time())} {raw.decode('utf-8', 'replace')}")
                out.flush()

    threading.Thread(target=pump, daemon=True).start()
    return write_fd


def spawn(cmd: list[str], *, log: Path, env: dict, **kwargs: object) -> subprocess.Popen:
    write_fd = log_to(log)
    try:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=write_fd, stderr=subprocess.STDOUT, **kwargs)
    finally:
        os.close(write_fd)  # the child holds its copy; the pump ends when the child does


def celery_command(*, qos: str = "fix", catch_up: bool = True) -> list[str]:
    """`celery`, or `celery` with a fix taken out: kombu's own Redis QoS put back after
    helpdesk.celery installed RedisQoS (qos="upstream"), no sweep published on (re)connect."""
    if qos == "fix" and catch_up:
        return [str(BIN / "celery")]
    patches = ["import sys", "import helpdesk.celery as hc"]
    if qos == "upstream":
        patches.append("from kombu.transport import redis; redis.Channel.QoS = redis.QoS")
    if not catch_up:
        patches.append("hc.clock_catch_up = lambda **kw: False")
    patches.append("from celery.__main__ import main; sys.argv[0] = 'celery'; sys.exit(main())")
    return [str(BIN / "python"), "-c", "; ".join(patches)]


class Flagged(threading.Thread):
    """From the moment Redis is back: when every deadline due by then is flagged, and when a sweep completes."""

    def __init__(self, back_at: float, until: float) -> None:
        super().__init__(daemon=True)
        self.back_at, self.until = back_at, until
        self.flagged_after: float | None = None
        self.swept_after: float | None = None

    def run(self) -> None:
        with pg_admin(DB_NAME) as db:
            while time.time() < self.until and (self.flagged_after is None or self.swept_after is None):
                (pending,) = db.execute(
                    "SELECT count(*) FROM requests_app_deadline WHERE due_at <= to_timestamp(%s) "
                    "AND met_at IS NULL AND waived_at IS NULL AND breached_at IS NULL",
                    [self.back_at],
                ).fetchone()
                if self.swept_after is None:
                    (swept,) = db.execute(
                        "SELECT count(*) FROM dispatch_clockrun WHERE job = 'deadlines-sweep' "
                        "AND completed_at > to_timestamp(%s)",
                        [self.back_at],
                    ).fetchone()
                    if swept:
                        self.swept_after = time.time() - self.back_at
                if pending == 0 and self.flagged_after is None:
                    self.flagged_after = time.time() - self.back_at
                time.sleep(0.25)


def sweep_held(until: float) -> tuple[psycopg.Connection, int] | None:
    """Lock the row of a request whose contact deadline is about to fall due, until a sweep blocks on it.

    The sweep claims the deadline, then waits on the request's row inside its batch transaction:
    a task in flight, deterministically. Returns the connection holding the lock and the request.
    """
    holder = psycopg.connect(**PG, dbname=DB_NAME)
    while time.time() < until:
        row = holder.execute(
            "SELECT request_id FROM requests_app_deadline WHERE kind = 'contact' AND breached_at IS NULL "
            "AND met_at IS NULL AND waived_at IS NULL AND due_at > now() ORDER BY due_at LIMIT 1"
        ).fetchone()
        if row is None:
            holder.rollback()
            time.sleep(0.2)
            continue
        holder.execute("SELECT id FROM requests_app_helprequest WHERE id = %s FOR UPDATE", [row[0]])
        holder_pid = holder.info.backend_pid
        with pg_admin(DB_NAME) as watcher:
            while time.time() < until:
                (blocked,) = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [holder_pid]
                ).fetchone()
                if blocked:
                    return holder, row[0]
                time.sleep(0.05)
    holder.close()
    return None


def teardown(procs: dict[str, subprocess.Popen], redis: Redis) -> None:
    """Stop what this run started (idempotent)."""
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs.values():
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    redis.stop()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


class Citizen(threading.Thread):
    FIELD = re.compile(r'name="(csrfmiddlewaretoken|shown_at|submit_token)" value="([^"]*)"')

    def __init__(self, n: int, base: str, count: int, results: dict, lock: threading.Lock, stop: threading.Event):
        super().__init__(daemon=True)
        self.n, self.base, self.count = n, base, count
        self.results, self.lock, self.stop = results, lock, stop
        self.phone = f"1391234{n:04d}"
        self.latest: str | None = None
        self.session = requests.Session()

    def record(self, kind: str, started: float, seconds: float, status: int, **extra: object) -> None:
        with self.lock:
            self.results["calls"].append({"kind": kind, "t": started, "s": seconds, "status": status, **extra})

    def form(self) -> dict:
        while True:
            started = time.time()
            try:
                r = self.session.get(self.base + "/help/new/", timeout=30)
                self.record("form", started, time.time() - started, r.status_code)
                if r.status_code == 200:
                    return dict(self.FIELD.findall(r.text))
            except requests.RequestException:
                self.record("form", started, time.time() - started, 0)
            time.sleep(0.5)

    def run(self) -> None:
        for j in range(self.count):
            fields = self.form()
            time.sleep(self.results["think"])  # the citizen fills the form in
            title = f"压测 市民{self.n} 第{j}件"
            data = {
                **fields,
                "category": "1",
                "urgency": "normal",
                "district": "1",
                "name": "压测市民",
                "phone": self.phone,
                "address": "",
                "title": title,
                "content": "压测内容：小区路灯不亮，请帮忙处理。",
                "consent": "on",
            }
            for attempt in range(6):  # a citizen presses "submit" again, same form, same key
                started = time.time()
                try:
                    r = self.session.post(
                        self.base + "/help/new/",
                        data=data,
                        headers={"Referer": self.base + "/help/new/"},
                        allow_redirects=False,
                        timeout=60,
                    )
                    status, body = r.status_code, r.text
                except requests.RequestException as exc:
                    status, body = 0, str(exc)
                elapsed = time.time() - started
                said = ""
                if status >= 500:
                    if "求助尚未保存" in body:
                        said = "503: not stored"
                    elif "无法确认求助是否已经保存" in body:
                        said = "503: outcome unknown"
                    elif "看到求助编号" in body:
                        said = "500: only a ticket number proves it"
                    else:
                        said = "other"
                self.record("submit", started, elapsed, status, attempt=attempt, said=said)
                if status == 302:
                    token = requests.utils.unquote(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
                    self.latest = token.split(":", 1)[0]
                    with self.lock:
                        self.results["acknowledged"].append({"title": title, "ticket": self.latest})
                    break
                time.sleep(0.5)
            else:
                with self.lock:
                    self.results["given_up"].append(title)


class Lookups(threading.Thread):
    def __init__(self, citizen: Citizen, stop: threading.Event):
        super().__init__(daemon=True)
        self.citizen, self.stop = citizen, stop
        self.session = requests.Session()

    def run(self) -> None:
        c = self.citizen
        csrf = None
        while not self.stop.is_set():
            time.sleep(2)
            number = c.latest
            if number is None:
                continue
            started = time.time()
            try:
                if csrf is None:
                    r = self.session.get(c.base + "/help/track/", timeout=30)
                    csrf = self.session.cookies.get("csrftoken")
                    started = time.time()
                r = self.session.post(
                    c.base + "/help/track/",
                    data={"csrfmiddlewaretoken": csrf, "ticket_number": number, "phone": c.phone},
                    headers={"Referer": c.base + "/help/track/"},
                    timeout=60,
                )
                ok = r.status_code == 200 and number in r.text
                c.record(
                    "lookup",
                    started,
                    time.time() - started,
                    r.status_code,
                    ok=ok,
                    page=r.text[:0] if ok else r.text[-3000:],
                )
            except requests.RequestException:
                c.record("lookup", started, time.time() - started, 0, ok=False)


def db_cutter(stop: threading.Event, until: float, counter: list) -> None:
    with pg_admin() as admin:
        while not stop.is_set() and time.time() < until:
            cur = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [DB_NAME],
            )
            counter[0] += cur.fetchone()[0]
            time.sleep(0.5)
