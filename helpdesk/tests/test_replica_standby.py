"""Against a real PostgreSQL streaming standby: routed reads are served by it, writes never are,
and when it stops the pages answer from the primary with the fallback logged.

The shared cluster does not allow replication connections (its pg_hba.conf has
no `replication` line) and is not ours to reconfigure, so the test makes a
pair of its own in a temporary directory: a primary (initdb, on a free port)
holding a copy of the test database (pg_dump | pg_restore), and a standby of
it (`pg_basebackup -R -X stream`, `pg_ctl start` on another free port),
streaming from the primary. For the module's tests the `default` alias points
at that primary and `replica` at the standby, both on the test database's
name; afterwards both servers are stopped, the directory deleted and the
aliases restored, whatever happened.

Run it alone with `pytest -m replica` (it also runs in `make test`). It is
skipped where PostgreSQL's server binaries are missing.
"""

from __future__ import annotations

import glob
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse

from dispatch import services as dispatch_services
from dispatch.reference_data import reference_data_seed as units_seed
from dispatch.tests import factories
from helpdesk.db_router import REPLICA, replica_breaker, replica_reads
from helpdesk.tests.replica import drop_connection, free_port, queries_by_alias, replica_alias
from requests_app import services as request_services
from requests_app.models import Category, District, HelpRequest, State
from requests_app.reference_data import reference_data_seed as channels_seed

# "__all__": the `replica` alias, added by the module's fixture, is allowed too (a test mirror: never flushed).
pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, databases="__all__")]

TOOLS = ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "pg_restore")
WAIT_SECONDS = 30  # for a server to start or the standby to catch up (a limit, not a target)


def _bin_dir(major: int | None) -> Path | None:
    """The server binaries matching the test database's major version, else the newest installed."""
    wanted = Path(f"/usr/lib/postgresql/{major}/bin")
    if major and all((wanted / tool).exists() for tool in TOOLS):
        return wanted
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)):
        if all((Path(candidate) / tool).exists() for tool in TOOLS):
            return Path(candidate)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and all(shutil.which(t) for t in TOOLS) else None


@dataclass
class Server:
    """One PostgreSQL server of the test's own: its data directory and port."""

    bin: Path
    data: Path
    port: int
    as_user: list[str] = field(default_factory=list)  # runuser -u postgres -- when the test runs as root

    def run(self, tool: str, *args: str) -> str:
        command = [*self.as_user, str(self.bin / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def start(self) -> None:
        log = self.data.parent / f"{self.data.name}.log"
        options = f"-p {self.port} -k {self.data}"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(log), "-w", "-t", str(WAIT_SECONDS), "start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def connect(self, dbname: str) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True)


@dataclass
class Pair:
    primary: Server
    standby: Server
    dbname: str
    started_seconds: float  # pg_basebackup until the standby is in recovery and caught up

    def caught_up(self) -> float:
        """Wait until the standby has replayed everything the primary has written; returns the wait."""
        started = time.monotonic()
        with self.primary.connect(self.dbname) as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        with self.standby.connect(self.dbname) as standby:
            while True:
                row = standby.execute(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
                ).fetchone()
                if row == (True, True):
                    return time.monotonic() - started
                if time.monotonic() - started > WAIT_SECONDS:
                    raise TimeoutError(f"the standby did not replay up to {target} in {WAIT_SECONDS} s")
                time.sleep(0.05)


@pytest.fixture(scope="module")
def pair(django_db_setup, django_db_blocker) -> Iterator[Pair]:
    with django_db_blocker.unblock():
        default = connections[DEFAULT_DB_ALIAS]
        if default.vendor != "postgresql":
            pytest.skip("needs PostgreSQL (set DATABASE_URL)")
        bin_dir = _bin_dir(default.pg_version // 10000)
    if bin_dir is None:
        pytest.skip("needs PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup: /usr/lib/postgresql/*/bin)")
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("runs as root without a `postgres` user to run the test's own servers as")
        as_user = ["runuser", "-u", "postgres", "--"]

    with ExitStack() as stack:
        root = Path(tempfile.mkdtemp(prefix="yibang-replica-"))
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        primary = Server(bin_dir, root / "primary", free_port(), as_user)
        standby = Server(bin_dir, root / "standby", free_port(), as_user)

        primary.run("initdb", "-D", str(primary.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        with (primary.data / "postgresql.conf").open("a") as conf:
            # initdb's pg_hba.conf already trusts replication from 127.0.0.1; wal_level is replica.
            conf.write("listen_addresses = '127.0.0.1'\nfsync = off\nshared_buffers = 32MB\nmax_connections = 40\n")
        stack.callback(primary.stop)
        primary.start()

        # The test database, copied from the session's (migrated, reference data in place).
        settings_dict = default.settings_dict
        dbname = settings_dict["NAME"]
        with primary.connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE template0')
        dump = root / "test.dump"
        source = ["-h", settings_dict["HOST"] or "127.0.0.1", "-p", str(settings_dict["PORT"] or 5432)]
        source += ["-U", settings_dict["USER"] or "postgres"]
        primary.run("pg_dump", *source, "-Fc", "-f", str(dump), dbname)
        primary.run("pg_restore", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "--no-owner", "-d",
                    dbname, str(dump))  # fmt: skip

        started = time.monotonic()
        primary.run("pg_basebackup", "-D", str(standby.data), "-h", "127.0.0.1", "-p", str(primary.port),
                    "-U", "postgres", "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        stack.callback(standby.stop)
        standby.start()
        result = Pair(primary, standby, dbname, 0.0)
        result.caught_up()
        result.started_seconds = time.monotonic() - started
        # The alias exists before pytest-django sets up each test, so that it may be allowed there.
        options = {**settings_dict.get("OPTIONS", {}), "connect_timeout": 2}
        stack.enter_context(replica_alias(HOST="127.0.0.1", PORT=str(standby.port), OPTIONS=options))
        yield result


@pytest.fixture
def standby_up(pair: Pair, transactional_db) -> Iterator[Pair]:
    """`default` → the test's primary, `replica` → its standby (running), the breaker closed, no cached figures.

    Transactional: the rows a test writes are committed, so the standby replays them.
    `default` is switched after pytest-django's set-up and restored before its flush (of
    the session's test database, as after any transactional test).
    """
    if not (pair.standby.data / "postmaster.pid").exists():
        pair.standby.start()
    replica_breaker().reset()
    cache.clear()
    # The same connection object, closed and pointed elsewhere: pytest-django closes that one at the end.
    default = connections[DEFAULT_DB_ALIAS]
    settings_dict = default.settings_dict
    saved = dict(settings_dict)
    default.close()
    try:
        settings_dict.update(HOST="127.0.0.1", PORT=str(pair.primary.port))
        drop_connection(REPLICA)
        # The copy was taken from the session's database as it was then (a transactional test may have
        # flushed it): the seeds the data migrations put there, as conftest's _reference_data does.
        channels_seed(apps)
        units_seed(apps)
        pair.caught_up()
        yield pair
    finally:
        default.close()
        settings_dict.clear()
        settings_dict.update(saved)


def _submit(title: str) -> HelpRequest:
    return request_services.request_submit(
        category=Category.objects.get(code="minsheng"),
        urgency="normal",
        district=District.objects.get(code="jinshui"),
        name="张三",
        phone="13812345678",
        address="",
        title=title,
        content="我们小区从周一开始停水，至今没有恢复，请帮忙协调。",
    )


def _in_recovery(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return cursor.fetchone()[0]


def test_routed_reads_are_served_by_the_standby(standby_up: Pair, client):
    assert _in_recovery(REPLICA) is True and _in_recovery(DEFAULT_DB_ALIAS) is False

    created = _submit("复制测试：主库写入")
    lag = standby_up.caught_up()
    # For bench/RESULTS.md (`pytest -m replica -rP` shows it): figures, not assertions.
    print(
        f"standby ready {standby_up.started_seconds:.1f} s after pg_basebackup began; a commit replayed in {lag * 1000:.0f} ms"
    )
    with queries_by_alias() as counts, replica_reads():
        assert HelpRequest.objects.filter(pk=created.pk).exists()  # replayed, and read there
        assert _in_recovery(HelpRequest.objects.all().db)
    assert counts[REPLICA] == 2 and counts[DEFAULT_DB_ALIAS] == 0

    supervisor = factories.supervisor(username="replica_sup")
    standby_up.caught_up()  # the staff member's scope is read on the replica too
    pages = [
        reverse("dispatch_public:stats"),
        reverse("open311:requests", args=["json"]),
        reverse("open311:services", args=["json"]),
        reverse("admin:dispatch_dashboard"),
        reverse("admin:dispatch_dashboard_export", args=["csv"]),
        reverse("admin:requests_app_helprequest_export", args=["csv"]),
    ]
    client.force_login(supervisor)
    for url in pages:
        with queries_by_alias() as counts:
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, url
        assert counts[REPLICA] > 0, url
        assert counts[f"{REPLICA}:write"] == 0, url
    assert "复制测试：主库写入".encode() in body  # the request export lists the row written on the primary


def test_writes_under_replica_reads_go_to_the_primary(standby_up: Pair):
    dispatcher = factories.dispatcher(username="replica_disp")
    unit = factories.unit("金水区人民政府")
    with queries_by_alias() as counts, replica_reads():
        created = _submit("复制测试：写入只到主库")
        dispatch_services.request_list_and_hand_over(
            request_id=created.pk, actor=dispatcher, category=created.category, unit=unit
        )
    assert counts[f"{DEFAULT_DB_ALIAS}:write"] > 0
    assert counts[f"{REPLICA}:write"] == 0  # a standby would refuse one anyway: it is read-only
    assert HelpRequest.objects.using(DEFAULT_DB_ALIAS).get(pk=created.pk).state == State.HANDED_OVER
    standby_up.caught_up()
    assert HelpRequest.objects.using(REPLICA).get(pk=created.pk).state == State.HANDED_OVER


def test_a_stopped_standby_falls_back_to_the_primary(standby_up: Pair, client, caplog, settings):
    settings.DATABASE_REPLICA_RETRY_SECONDS = 60
    caplog.set_level(logging.WARNING, logger="helpdesk.breaker")
    client.force_login(factories.supervisor(username="replica_sup_down"))
    standby_up.caught_up()
    assert client.get(reverse("dispatch_public:stats")).status_code == 200  # connected to the standby
    standby_up.standby.stop()
    cache.clear()

    for url in (
        reverse("dispatch_public:stats"),
        reverse("open311:requests", args=["json"]),
        reverse("admin:dispatch_dashboard"),
    ):
        request_started.send(sender=WSGIHandler)  # as a real server does: stale connections are health-checked
        with queries_by_alias() as counts:
            response = client.get(url)
        assert response.status_code == 200, url
        assert counts[DEFAULT_DB_ALIAS] > 0 and counts[REPLICA] == 0, url
    lines = [r.getMessage() for r in caplog.records if r.name == "helpdesk.breaker"]
    assert len(lines) == 1, lines
    assert lines[0].startswith("Database replica unavailable (replica)")

    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["replica"]["ok"] is False

    # Back: the next probe after the breaker's interval reads from the standby again, and says so once.
    standby_up.standby.start()
    replica_breaker().retry_at = 0
    cache.clear()
    with queries_by_alias() as counts:
        assert client.get(reverse("dispatch_public:stats")).status_code == 200
    assert counts[REPLICA] > 0
    lines = [r.getMessage() for r in caplog.records if r.name == "helpdesk.breaker"]
    assert len(lines) == 2 and lines[1].startswith("Database replica back (replica)")
