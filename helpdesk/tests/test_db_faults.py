"""PostgreSQL dropping the app's connection (a restart, a failover) must not need an app restart."""

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import connection

from requests_app.models import HelpRequest
from requests_app.tests.test_forms import valid_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_app_reconnects_after_postgres_drops_its_connection(client, on_postgres, settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0  # persistent connections are what can go stale
    assert client.get("/").status_code == 200
    backend_pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(
        host=params.get("host"),
        port=params.get("port"),
        user=params.get("user"),
        dbname=params["dbname"],
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    # What a real server does at the start of each request (Django's test
    # client skips it): stale connections are health-checked and replaced.
    request_started.send(sender=WSGIHandler)
    assert client.get("/").status_code == 200
    assert client.post("/help/new/", valid_data()).status_code == 302
    assert HelpRequest.objects.count() == 1
    assert connection.connection.info.backend_pid != backend_pid
