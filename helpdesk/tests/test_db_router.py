"""The replica router's rules: which alias each query goes to, and the fallback when the replica is away.

The `replica` alias here is the test database itself, or a port nobody listens
on; helpdesk/tests/test_replica_standby.py runs the same rules against a real
standby.
"""

from __future__ import annotations

import logging

import pytest
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.http import StreamingHttpResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.test import RequestFactory

from helpdesk import db_router
from helpdesk.db_router import REPLICA, ReplicaRouter, replica_breaker, replica_iter, replica_reads, replica_view
from helpdesk.tests.replica import drop_connection, free_port, queries_by_alias, replica_alias
from requests_app.models import HelpRequest

# Transactional: no TestCase transaction on the primary (one keeps every read there, a rule of its
# own). "__all__": the `replica` alias, added by the module's fixture before each test is set up,
# may be used (a test mirror: never flushed).
pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, databases="__all__")]


@pytest.fixture(scope="module")
def _alias(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if db_router.connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            pytest.skip("needs PostgreSQL (set DATABASE_URL)")
        with replica_alias() as entry:
            yield entry


@pytest.fixture
def replica(_alias):
    """The `replica` alias: the test database itself."""
    drop_connection(REPLICA)
    yield _alias
    drop_connection(REPLICA)


@pytest.fixture
def replica_down(_alias, settings):
    """The `replica` alias: a port nobody listens on."""
    settings.DATABASE_REPLICA_RETRY_SECONDS = 60
    saved = dict(_alias)
    drop_connection(REPLICA)
    _alias.update(HOST="127.0.0.1", PORT=str(free_port()))
    yield _alias
    drop_connection(REPLICA)
    _alias.update(saved)


def test_without_the_alias_the_router_has_no_opinion(monkeypatch):
    monkeypatch.delitem(db_router.connections.settings, REPLICA, raising=False)  # as without DATABASE_REPLICA_URL
    with replica_reads():
        assert ReplicaRouter().db_for_read(HelpRequest) is None
        assert ReplicaRouter().db_for_write(HelpRequest) is None
        assert HelpRequest.objects.all().db == DEFAULT_DB_ALIAS


def test_reads_go_to_the_replica_only_inside_replica_reads(replica):
    assert HelpRequest.objects.all().db == DEFAULT_DB_ALIAS
    with replica_reads():
        assert HelpRequest.objects.all().db == REPLICA
    assert HelpRequest.objects.all().db == DEFAULT_DB_ALIAS


def test_the_queries_run_on_the_alias_routed_to(replica):
    with queries_by_alias() as counts, replica_reads():
        HelpRequest.objects.count()
    assert counts[REPLICA] == 1
    assert counts[DEFAULT_DB_ALIAS] == 0


def test_writes_and_locking_reads_stay_on_the_primary(replica):
    with replica_reads():
        assert router.db_for_write(HelpRequest) == DEFAULT_DB_ALIAS
        assert HelpRequest.objects.select_for_update().db == DEFAULT_DB_ALIAS
        instance = HelpRequest(pk=1)
        instance._state.db = REPLICA  # read from the replica, then saved: still the primary
        assert router.db_for_write(HelpRequest, instance=instance) == DEFAULT_DB_ALIAS


def test_reads_in_an_atomic_block_stay_on_the_primary(replica):
    with replica_reads():
        with transaction.atomic():
            assert HelpRequest.objects.all().db == DEFAULT_DB_ALIAS
        assert HelpRequest.objects.all().db == REPLICA


def test_migrations_never_run_on_the_replica():
    assert ReplicaRouter().allow_migrate(REPLICA, "requests_app") is False
    assert ReplicaRouter().allow_migrate(DEFAULT_DB_ALIAS, "requests_app") is None


def test_streamed_rows_are_read_inside_and_only_inside(replica):
    seen = []

    def rows():
        for _ in range(2):
            yield HelpRequest.objects.all().db

    for db in replica_iter(rows()):
        seen.append((db, HelpRequest.objects.all().db))  # the consumer, between rows: outside
    assert seen == [(REPLICA, DEFAULT_DB_ALIAS)] * 2


def test_replica_view_renders_templates_and_streams_inside(replica):
    @replica_view
    def page(request):
        # The template asks for the alias when it is rendered, as a lazy query set would run then.
        template = engines["django"].from_string("{{ db }}")
        return TemplateResponse(request, template, {"db": lambda: HelpRequest.objects.all().db})

    @replica_view
    def download(request):
        return StreamingHttpResponse(HelpRequest.objects.all().db for _ in range(1))

    response = page(RequestFactory().get("/"))
    assert response.is_rendered and response.content == REPLICA.encode()
    assert b"".join(download(RequestFactory().get("/")).streaming_content) == REPLICA.encode()


def test_a_replica_that_refuses_falls_back_to_the_primary_logged_once(replica_down, caplog):
    caplog.set_level(logging.WARNING, logger="helpdesk.breaker")
    with queries_by_alias() as counts, replica_reads():
        assert HelpRequest.objects.all().db == DEFAULT_DB_ALIAS
        assert HelpRequest.objects.count() >= 0
        assert HelpRequest.objects.all().db == DEFAULT_DB_ALIAS  # skipped at once: the breaker is open
    assert counts[DEFAULT_DB_ALIAS] == 1 and counts[REPLICA] == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "helpdesk.breaker"]
    assert len(lines) == 1
    assert lines[0].startswith("Database replica unavailable (replica): OperationalError")
    assert replica_breaker().is_down

    # It comes back (here: the alias now names the test database's server); the next probe says so once.
    replica_down.update(HOST=db_router.connections.settings[DEFAULT_DB_ALIAS]["HOST"])
    replica_down.update(PORT=db_router.connections.settings[DEFAULT_DB_ALIAS]["PORT"])
    replica_breaker().retry_at = 0
    with replica_reads():
        assert HelpRequest.objects.all().db == REPLICA
        assert HelpRequest.objects.all().db == REPLICA
    lines = [r.getMessage() for r in caplog.records if r.name == "helpdesk.breaker"]
    assert len(lines) == 2 and lines[1].startswith("Database replica back (replica)")


def test_a_replica_lost_mid_query_opens_the_breaker(replica, caplog):
    caplog.set_level(logging.WARNING, logger="helpdesk.breaker")
    with replica_reads():
        assert HelpRequest.objects.all().db == REPLICA  # connected, the failure hook installed
        backend_pid = db_router.connections[REPLICA].connection.info.backend_pid
        with db_router.connections[DEFAULT_DB_ALIAS].cursor() as cursor:  # the server drops it under Django
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
        with pytest.raises(db_router.DatabaseError):
            HelpRequest.objects.count()
        assert HelpRequest.objects.all().db == DEFAULT_DB_ALIAS
    assert replica_breaker().is_down
    assert [r.getMessage() for r in caplog.records if r.name == "helpdesk.breaker"][0].startswith(
        "Database replica unavailable (replica)"
    )


def test_readyz_reports_a_missing_replica_as_degraded(client, replica_down):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["replica"] == {**body["checks"]["replica"], "ok": False, "fallback": "primary"}
    assert body["status"] == "degraded"
