"""An ack that meets a frozen Redis, with and without helpdesk.celery.RedisQoS.

A worker (concurrency 1, prefetch 1) on a redis-server of the bench's own takes a task that runs
3 s (acks_late); Redis is SIGSTOPped 1 s into it, so the task finishes and acks during the freeze;
Redis resumes 10 s later, a second task is published, and the bench waits 20 s for it to run.
With kombu 5.7's own QoS (`--qos upstream`) the timed-out ack keeps the worker's only prefetch
slot and the second task never runs; with RedisQoS it runs.

    .venv/bin/python bench/ack_freeze.py [--runs 3] [--pool solo|prefork]

The `solo` pool acks as soon as the task returns. A prefork worker with heartbeats (production)
usually does not get to ack during the freeze: its main loop waits inside the heartbeat's
publish, which retries until Redis answers, so its ack comes after the thaw.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
UPSTREAM_QOS_CELERY = (
    "import sys; from kombu.transport import redis; import helpdesk.celery; "
    "redis.Channel.QoS = redis.QoS; from celery.__main__ import main; sys.argv[0] = 'celery'; sys.exit(main())"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def trial(qos: str, pool: str, work: Path) -> tuple[bool, bool]:
    """(the second task ran, the ack was seen to time out)."""
    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(work), "--logfile", str(work / f"redis-{port}.log")]
    )
    url = f"redis://127.0.0.1:{port}/0"
    env = {
        **os.environ,
        "CELERY_BROKER_URL": url,
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DEBUG": "0",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        # The worker's start-up sweep runs against the fault bench's throwaway database.
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yibang_res_faults"),
    }
    celery = [PYTHON, "-m", "celery"] if qos == "fix" else [PYTHON, "-c", UPSTREAM_QOS_CELERY]
    log_path = work / f"worker-{port}.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            celery
            + ["-A", "helpdesk", "worker", "--pool", pool, "--concurrency", "1", "--loglevel", "INFO"]
            + ["-I", "bench.ack_tasks", "-n", f"ack{port}@%h"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        from helpdesk.celery import app

        def text() -> str:
            return log_path.read_text()

        assert wait(lambda: " ready." in text(), 60), text()
        with app.connection_for_write(url) as conn:
            app.send_task("bench.ack_tasks.bench_sleep", args=[3, "first"], connection=conn)
        assert wait(lambda: "bench_sleep[" in text(), 30), text()
        time.sleep(1)
        redis.send_signal(signal.SIGSTOP)
        time.sleep(10)
        redis.send_signal(signal.SIGCONT)
        time.sleep(1)
        with app.connection_for_write(url) as conn:
            app.send_task("bench.ack_tasks.bench_sleep", args=[0, "second"], connection=conn)
        ran = wait(lambda: "'second'" in text(), 20)
        return ran, "Ack not confirmed by Redis" in text()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        redis.send_signal(signal.SIGCONT)
        redis.terminate()
        redis.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pool", choices=["solo", "prefork"], default="solo")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    with tempfile.TemporaryDirectory() as tmp:
        for qos in ("fix", "upstream"):
            for n in range(args.runs):
                ran, ack_timed_out = trial(qos, args.pool, Path(tmp))
                print(
                    f"{qos:8} {args.pool:7} run {n + 1}: second task {'ran' if ran else 'NEVER RAN (stalled)'}"
                    + ("; RedisQoS logged the ack Redis did not confirm" if ack_timed_out else ""),
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
