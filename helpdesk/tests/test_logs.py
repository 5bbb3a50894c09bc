"""No phone and no tracking token reaches a log: gunicorn's access log and the application's own lines."""

from __future__ import annotations

import logging
import os
import shlex
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from requests_app.logscrub import ScrubFilter, url_scrub

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13812345678"
TOKEN = "ZZ20261201-0042:Qx7Lr2Vb9kYc3WnA5tPd"


@pytest.mark.parametrize(
    ("logged", "shown"),
    [
        (f"/admin/requests_app/helprequest/?q={PHONE}", "/admin/requests_app/helprequest/"),
        (f"/help/track/{TOKEN}/", "/help/track/<token>/"),
        (f"/help/receipt/{TOKEN}/", "/help/receipt/<token>/"),
        (f"/help/feedback/{TOKEN}/", "/help/feedback/<token>/"),
        ("/open311/v2/requests.json?api_key=s3cret&service_code=minsheng",
         "/open311/v2/requests.json?api_key=<redacted>&service_code=minsheng"),
        ("/help/track/?ticket_number=ZZ20261201-0042", "/help/track/?ticket_number=ZZ20261201-0042"),
        (f"https://yibang.example/help/track/{TOKEN}/", "https://yibang.example/help/track/<token>/"),
        ("/stats/?days=30", "/stats/?days=30"),
    ],
)  # fmt: skip
def test_urls_are_logged_without_staff_searches_credentials_or_tracking_tokens(logged, shown):
    assert url_scrub(logged) == shown


def test_every_log_record_is_scrubbed_whoever_wrote_it():
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s (电话 %s)",
        (f"/help/track/{TOKEN}/", PHONE),
        None,
    )
    assert ScrubFilter().filter(record) is True
    text = logging.Formatter().format(record)
    assert "Not Found: /help/track/<token>/" in text
    assert PHONE not in text and TOKEN not in text


def test_settings_install_the_filter_on_the_console_handler():
    from django.conf import settings

    assert settings.LOGGING["handlers"]["console"]["filters"] == ["outage", "scrub"]
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler))
    assert any(isinstance(f, ScrubFilter) for f in handler.filters)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_procfiles_gunicorn_logs_no_phone_and_no_token(tmp_path):
    """Starts the web process exactly as the Procfile does and reads what it wrote."""
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    port = _free_port()
    command = shlex.split(web.removeprefix("web:").replace("${PORT}", str(port)))
    env = {
        **os.environ,
        "DEBUG": "1",
        "CACHE_URL": f"filecache://{tmp_path}/cache",
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    }
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    _get(f"{base}/stats/?days=7")
                    break
                except OSError:
                    time.sleep(0.1)
            assert _get(f"{base}/admin/requests_app/helprequest/?q={PHONE}") == 302  # to the staff login
            assert _get(f"{base}/help/track/{TOKEN}/") == 404
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    logs = out.read_text() + err.read_text()
    assert '"GET /admin/requests_app/helprequest/ HTTP/1.1" 302' in logs
    assert '"GET /help/track/<token>/ HTTP/1.1" 404' in logs
    assert PHONE not in logs
    assert TOKEN not in logs and "Qx7Lr2Vb9kYc3WnA5tPd" not in logs
