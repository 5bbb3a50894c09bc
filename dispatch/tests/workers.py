"""Real Celery workers for the clock's tests: started on the test database, and stopped for good.

Each worker runs in a session of its own. With `--beat` it forks the embedded beat, which a
signal to the worker alone leaves running: a SIGKILLed worker's beat once went on sweeping
after its test, on other tests' time. `kill` and `stop_all` signal the whole group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection


def database_url_for_tests() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """`start()` a `celery -A helpdesk worker` (solo pool) on the test database and `broker`."""

    def __init__(self, *, broker: str, log_dir: Path, name: str, env: dict[str, str] | None = None) -> None:
        self.broker, self.log_dir, self.name = broker, log_dir, name
        self.env = {
            "CONN_MAX_AGE": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            **(env or {}),
        }
        self.procs: list[subprocess.Popen] = []

    def start(self, *, beat: bool = False, **extra_env: str) -> subprocess.Popen:
        n = len(self.procs)
        env = {**os.environ, "DATABASE_URL": database_url_for_tests(), "CELERY_BROKER_URL": self.broker}
        env.update(self.env, **extra_env)
        cmd = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool", "solo", "--loglevel", "INFO"]
        cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{self.name}{n}@%h"]
        if beat:
            cmd += ["--beat", "--schedule", str(self.log_dir / f"beat-{n}")]
        log = open(self.log_dir / f"worker-{n}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            cmd, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        proc.log_path = log.name  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        """SIGKILL the worker and its beat, as a lost host would be."""
        _group_signal(proc, signal.SIGKILL)
        proc.wait(timeout=15)

    def stop_all(self) -> None:
        for proc in self.procs:
            _group_signal(proc, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
            _group_signal(proc, signal.SIGKILL)  # a beat left behind, or a worker that did not stop
            proc.wait()


def _group_signal(proc: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)
