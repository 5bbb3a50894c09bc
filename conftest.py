"""Project-wide pytest set-up: a clean cache per test, the factories' fixtures, the browser and axe-core."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory):
    """The file cache in a directory of this test session's own (pytest-xdist runs one per worker).

    The embedded default shares var/cache/ with `make run` and with the other
    xdist worker, whose `cache.clear()` would wipe this one's counters mid-test.
    """
    from django.conf import settings
    from django.test import override_settings

    default = settings.CACHES["default"]
    if not default["BACKEND"].endswith("FileCache"):
        yield
        return
    with override_settings(
        CACHES={**settings.CACHES, "default": {**default, "LOCATION": str(tmp_path_factory.mktemp("cache"))}}
    ):
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from helpdesk.breaker import breakers_reset

    breakers_reset()  # one test's outage must not leave the next one skipping Redis
    cache.clear()
    yield
    cache.clear()
    breakers_reset()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's default language: LocaleMiddleware activates a request's
    language for the thread and never deactivates it, so a test whose last request was in English
    left the next test's forms and messages in English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_replica(request, monkeypatch):
    """Ordinary tests run as without DATABASE_REPLICA_URL, even where it is set.

    pytest-django lets them use the `default` alias only, and the replica's own
    connection (a test mirror of the test database) would not see a TestCase's
    uncommitted rows. Tests marked `replica` route for real (helpdesk/db_router.py).
    """
    if request.node.get_closest_marker("replica"):
        return
    from helpdesk import db_router

    monkeypatch.setattr(db_router, "replica_configured", lambda: False)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush the database, data migrations included: put the seeds back.

    (Django's serialized_rollback would do this, but its copy lives on the
    connection object, which Playwright's greenlets do not see.)
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or "transactional_db" in request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from dispatch.reference_data import reference_data_seed as units_seed
    from requests_app.reference_data import reference_data_seed as channels_seed

    channels_seed(apps)
    units_seed(apps)


@pytest.fixture
def on_postgres(settings):
    """Skip a test that needs PostgreSQL's locking when run on another database."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser build)."""
    import os

    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs the Debian package chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    """A page with a phone-sized viewport and touch, like most citizens use."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Tests assert on these: a Content-Security-Policy violation shows up here.
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    yield page
    context.close()


AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def axe_context(browser):
    """A phone-sized browser context whose pages axe-core can be injected into.

    axe-core comes from the npm package (`make test` runs `npm ci`), never a
    CDN. Playwright injects it as an inline script, which the portal's strict
    Content-Security-Policy would refuse, so this context bypasses the policy
    (the other browser tests keep checking it).
    """
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it with `npm ci`")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN", bypass_csp=True
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def axe_violations():
    """`axe_violations(page)`: every axe-core violation on the page as it is now, of any impact."""

    def run(page) -> list[dict]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        return [
            {
                "rule": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [" ".join(n["target"]) for n in v["nodes"]][:5],
            }
            for v in result["violations"]
        ]

    return run


def pytest_collection_modifyitems(config, items):
    """Tests that start a real Celery worker share one Redis queue: under pytest-xdist
    (`-n 2 --dist loadgroup`) they run in one process, one after another, so no
    worker consumes another test's tasks against the wrong database."""
    for item in items:
        if item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.xdist_group("celery-worker"))


class OwnRedis:
    """A redis-server of the test's own on a free port: freeze it, stop it, start it again.

    Never the shared server: fault tests SIGSTOP and kill this one only.
    """

    def __init__(self, directory):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.directory = directory
        self.proc = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        import subprocess
        import time

        import redis

        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        cmd += ["--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")]
        self.proc = subprocess.Popen(cmd)  # noqa: S603 - our own fixed command line
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        end = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        return self

    def freeze(self):
        import signal

        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        import signal

        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        import signal

        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def own_redis(tmp_path):
    """A started redis-server of this test's own (skips where redis-server is not installed)."""
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = OwnRedis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def on_sqlite(tmp_path):
    """Runs a script in a new Python process on a fresh SQLite database, the one `make run` uses;
    returns its standard output (the test fails with its standard error if it does not exit 0).
    A variable given as None is left out of the script's environment."""
    import os
    import subprocess
    import sys

    def run(script: str, **env: str | None) -> str:
        environment = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "PRIVATE_MEDIA_ROOT": str(tmp_path / "media"),
            **env,
        }
        environment = {name: value for name, value in environment.items() if value is not None}
        done = subprocess.run(  # noqa: S603 - the tests' own scripts, no shell
            [sys.executable, "-c", script],
            cwd=Path(__file__).resolve().parent,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    return run


@pytest.fixture
def open311_lists_every_request(monkeypatch):
    """GET requests as it was before the 问政 board: every request, with the redacted title.

    For the tests of the API's format, filters and state mapping, which create requests
    and read them back. Which requests the API lists (the board's only, consented and
    approved) is asserted without this, in board/tests/test_privacy.py.
    """
    from requests_app.open311 import selectors

    monkeypatch.setattr(selectors, "public_service_requests_qs", selectors.service_requests_qs)
