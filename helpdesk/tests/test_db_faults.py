"""PostgreSQL dropping the app's connection (a restart, a failover, a cut) must not need an app
restart, must not lose or duplicate a submission, and the citizen must be told the truth.

Connections are cut with pg_terminate_backend, only this test's own (its backend pid, on the test
database).
"""

import re
import uuid

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import connection

from requests_app import services
from requests_app.models import HelpRequest
from requests_app.tests.test_forms import valid_data

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def cut_own_connection():
    """Terminate this test's own database connection from the server side."""
    connection.ensure_connection()
    backend_pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(
        host=params.get("host"),
        port=params.get("port"),
        user=params.get("user"),
        dbname=params["dbname"],
        autocommit=True,
    ) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = %s AND datname = %s",
            [backend_pid, params["dbname"]],
        )
    return backend_pid


def test_the_app_reconnects_after_postgres_drops_its_connection(client, on_postgres, settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0  # persistent connections are what can go stale
    assert client.get("/").status_code == 200
    backend_pid = cut_own_connection()
    # What a real server does at the start of each request (Django's test
    # client skips it): stale connections are health-checked and replaced.
    request_started.send(sender=WSGIHandler)
    assert client.get("/").status_code == 200
    assert client.post("/help/new/", valid_data()).status_code == 302
    assert HelpRequest.objects.count() == 1
    assert connection.connection.info.backend_pid != backend_pid


def cut_before_first(monkeypatch, name, *, times=1):
    """Cut the connection just before `services.<name>` runs, the first `times` calls."""
    real = getattr(services, name)
    calls = []

    def cutting(**kwargs):
        calls.append(1)
        if len(calls) <= times:
            cut_own_connection()
        return real(**kwargs)

    monkeypatch.setattr(services, name, cutting)
    return calls


@pytest.mark.parametrize("where", ["ticket_number_next", "_request_store"])
def test_a_submission_whose_connection_drops_runs_again_once_and_is_stored_once(
    client, on_postgres, monkeypatch, where, caplog
):
    assert client.get("/").status_code == 200
    calls = cut_before_first(monkeypatch, where)
    key = str(uuid.uuid4())
    response = client.post("/help/new/", valid_data(submit_token=key))
    assert response.status_code == 302 and "/help/receipt/" in response["Location"]
    assert len(calls) == 2
    assert HelpRequest.objects.filter(submit_token=key).count() == HelpRequest.objects.count() == 1
    assert "trying once more on a new connection" in caplog.text


def test_a_submission_that_committed_before_the_connection_dropped_is_not_stored_twice(
    client, on_postgres, monkeypatch
):
    """The worst case: the rows committed, then the connection died before the answer came back."""
    real = services._request_store
    calls = []

    def commit_then_drop(**kwargs):
        calls.append(1)
        stored = real(**kwargs)
        if len(calls) == 1:
            cut_own_connection()
            connection.cursor().execute("SELECT 1")  # raises: the connection is gone
        return stored

    monkeypatch.setattr(services, "_request_store", commit_then_drop)
    key = str(uuid.uuid4())
    response = client.post("/help/new/", valid_data(submit_token=key))
    assert response.status_code == 302
    assert len(calls) == 2
    assert HelpRequest.objects.count() == 1  # the second run found the first one's request by its key


def test_when_it_still_fails_the_form_comes_back_typed_with_the_truth_and_a_resend_stores_it_once(
    client, on_postgres, monkeypatch
):
    calls = cut_before_first(monkeypatch, "_request_store", times=2)
    key = str(uuid.uuid4())
    response = client.post("/help/new/", valid_data(submit_token=key, title="楼道灯坏了一个月"))
    assert response.status_code == 503
    html = response.content.decode()
    assert "求助尚未保存，也没有生成求助编号" in html
    assert "无法确认" not in html  # no commit was sent: nothing is stored, and it says so
    assert "重复提交不会产生重复的求助" in html
    assert "楼道灯坏了一个月" in html and "我们小区从周一开始停水" in html  # everything typed is still there
    assert re.search(rf'name="submit_token" value="{key}"', html)  # the same key: a re-send cannot duplicate
    assert "不会丢失" not in html
    assert len(calls) == 2
    assert HelpRequest.objects.count() == 0

    for _ in range(2):  # the citizen sends it again (twice, impatiently): one request
        response = client.post("/help/new/", valid_data(submit_token=key, title="楼道灯坏了一个月"))
        assert response.status_code == 302
    assert HelpRequest.objects.filter(submit_token=key).count() == HelpRequest.objects.count() == 1


def test_a_connection_lost_while_committing_is_not_called_unsaved(client, on_postgres, monkeypatch):
    """The connection dies on COMMIT, twice: whether it is stored nobody knows, so the page says so."""
    real_commit = connection._commit
    commits = []

    def commit_on_a_cut_connection():
        commits.append(1)
        if len(commits) <= 2:
            cut_own_connection()
        return real_commit()

    monkeypatch.setattr(connection, "_commit", commit_on_a_cut_connection)
    key = str(uuid.uuid4())
    response = client.post("/help/new/", valid_data(submit_token=key, title="楼道灯坏了一个月"))
    assert response.status_code == 503
    html = response.content.decode()
    assert 'id="submit-unavailable"' in html and "楼道灯坏了一个月" in html
    assert "无法确认求助是否已经保存" in html
    assert "求助尚未保存" not in html  # it cannot know that
    assert re.search(rf'name="submit_token" value="{key}"', html)
    assert len(commits) == 2
    response = client.post("/help/new/", valid_data(submit_token=key, title="楼道灯坏了一个月"))
    assert response.status_code == 302
    assert HelpRequest.objects.filter(submit_token=key).count() == HelpRequest.objects.count() == 1


def test_the_error_page_promises_only_what_a_ticket_number_proves():
    from django.template import loader

    html = loader.render_to_string("500.html")
    assert "系统繁忙" in html
    assert "不会丢失" not in html and "工作人员已收到提醒" not in html
    assert "这一步没有完成" not in html  # a 500 after a commit happens: it cannot know
    assert "无法确认" in html
    assert "看到求助编号" in html and "重复提交不会产生重复的求助" in html


def test_a_lookup_whose_connection_drops_runs_again_once_instead_of_answering_500(client, on_postgres, monkeypatch):
    from requests_app.tests.factories import HelpRequestFactory

    req = HelpRequestFactory(phone="13812345678")
    assert client.get("/").status_code == 200
    calls = cut_before_first(monkeypatch, "request_lookup")
    response = client.post("/help/track/", {"ticket_number": req.ticket_number, "phone": "13812345678"})
    assert response.status_code == 200 and req.ticket_number in response.content.decode()
    assert len(calls) == 2


def cut_before_reading_the_choices(monkeypatch, *, times=1):
    """Cut the connection just before the form's channels and districts are read (uncached)."""
    from django.core.cache import cache

    from requests_app import selectors

    cache.clear()
    real = selectors.active_choices
    calls = []

    def cutting():
        calls.append(1)
        if len(calls) <= times:
            cut_own_connection()
        return real()

    monkeypatch.setattr(selectors, "active_choices", cutting)
    return calls


def test_the_form_page_whose_connection_drops_is_read_once_more(client, on_postgres, monkeypatch):
    assert client.get("/").status_code == 200
    calls = cut_before_reading_the_choices(monkeypatch)
    response = client.get("/help/new/")
    assert response.status_code == 200 and 'name="submit_token"' in response.content.decode()
    assert len(calls) >= 2


def test_a_submission_whose_connection_drops_while_validating_is_validated_again_and_stored_once(
    client, on_postgres, monkeypatch
):
    assert client.get("/").status_code == 200
    calls = cut_before_reading_the_choices(monkeypatch)
    key = str(uuid.uuid4())
    response = client.post("/help/new/", valid_data(submit_token=key))
    assert response.status_code == 302 and "/help/receipt/" in response["Location"]
    assert len(calls) >= 2
    assert HelpRequest.objects.filter(submit_token=key).count() == HelpRequest.objects.count() == 1


def test_when_validating_fails_twice_the_form_comes_back_with_nothing_stored(client, on_postgres, monkeypatch):
    assert client.get("/").status_code == 200
    cut_before_reading_the_choices(monkeypatch, times=2)
    key = str(uuid.uuid4())
    response = client.post("/help/new/", valid_data(submit_token=key, title="楼道灯坏了一个月"))
    assert response.status_code == 503
    html = response.content.decode()
    assert "求助尚未保存，也没有生成求助编号" in html and "楼道灯坏了一个月" in html
    assert re.search(rf'name="submit_token" value="{key}"', html)
    assert HelpRequest.objects.count() == 0
