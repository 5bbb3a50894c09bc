"""Webhooks: the outbox row per state change, signed delivery exactly once, retries, revocation.

A tiny HTTP receiver runs on 127.0.0.1 in a thread (loopback only, ever). Loopback
is not a public address, so these tests let 127.0.0.0/8 through with the
OPEN311_WEBHOOK_ALLOWED_NETWORKS setting (test_open311_webhook_hosts.py tests the rule).
"""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from dispatch import notifications
from dispatch.tests.factories import dispatcher, request_advance
from dispatch.workflow import transition_apply
from requests_app.models import HelpRequest, State, WebhookDelivery
from requests_app.open311 import services
from requests_app.tests.factories import HelpRequestFactory
from requests_app.tests.open311_helpers import api_request_for, make_client, post_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_receiver_allowed(settings):
    settings.OPEN311_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


class Receiver:
    def __init__(self):
        self.received = []
        self.answers = []  # status codes to answer, in order; 200 once exhausted
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append({"headers": dict(self.headers), "body": body})
                status = outer.answers.pop(0) if outer.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def api_request(receiver):
    """A request the grid system submitted through the API, with its client (webhook registered)."""
    return api_request_for(receiver.url)


def transition(req, to_state):
    """Take the request on to `to_state` through the workflow: (the last event, the webhook rows it wrote)."""
    request_advance(req, to_state)
    event = req.events.latest("created_at", "id")
    return event, list(WebhookDelivery.objects.filter(event=event))


def test_state_change_writes_one_outbox_row_and_queues_it_on_commit(
    api_request, django_capture_on_commit_callbacks, monkeypatch
):
    req, client = api_request
    transition(req, State.LISTED)
    queued, sms = [], []
    monkeypatch.setattr(services, "_queue_delivery", lambda delivery_id: queued.append(delivery_id))
    monkeypatch.setattr(notifications, "notifications_publish", lambda *, ids: sms.extend(ids))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event, [delivery] = transition(req, State.HANDED_OVER)
        assert queued == []  # not before the commit
    assert queued == [delivery.pk]
    assert len(callbacks) == 2 and len(sms) == 1  # the webhook's and the citizen's hand-over SMS
    assert delivery.client == client and delivery.event == event and delivery.state == "pending"
    payload = delivery.payload
    assert payload["event_id"] == event.pk and payload["state"] == "handed_over"
    assert payload["previous_state"] == "listed" and payload["status"] == "open"
    assert payload["service_request"]["service_request_id"] == req.ticket_number
    assert payload["service_request"]["agency_responsible"] == "金水区人民政府"
    assert "张三" not in json.dumps(payload, ensure_ascii=False)
    # The same event twice writes nothing new.
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.webhooks_enqueue_for_event(event=event) == []
    assert callbacks == []
    assert WebhookDelivery.objects.filter(event=event).count() == 1


def test_no_webhook_for_web_form_requests_notes_or_clients_without_url(receiver):
    web = HelpRequestFactory()
    assert transition(web, State.LISTED)[1] == []
    client, _ = make_client(name="无回调系统")
    req = services.service_request_create(
        client=client,
        data={
            "category": web.category,
            "urgency": "normal",
            "district": web.district,
            "name": "李四",
            "phone": "13900000000",
            "address": "",
            "title": "标题",
            "content": "内容内容内容内容内容内容",
        },
    ).request
    assert transition(req, State.LISTED)[1] == []
    assert not WebhookDelivery.objects.exists()


def test_no_webhook_for_events_that_do_not_change_the_state(api_request):
    """A contact, notes and a second triage (列单 again: listed to listed) stay in the timeline."""
    req, _ = api_request
    _, [listed] = transition(req, State.LISTED)
    staff = dispatcher()
    transition_apply(request_id=req.pk, action="record_contact", actor=staff, note="已电话联系市民")
    transition_apply(request_id=req.pk, action="add_note", actor=staff, note="已协调供水公司", is_public=True)
    transition_apply(request_id=req.pk, action="list", actor=staff, is_urgent=True)
    kinds = list(req.events.order_by("id").values_list("kind", "from_state", "to_state"))[-3:]
    assert kinds == [("contact", "listed", "listed"), ("note", "listed", "listed"), ("triage", "listed", "listed")]
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [listed.pk]


def test_delivered_exactly_once_with_a_valid_signature(api_request, receiver):
    req, client = api_request
    _, [delivery] = transition(req, State.LISTED)
    delivered = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert delivered.state == "delivered" and delivered.attempts == 1 and delivered.last_status == 200
    # Again (a duplicate message, the sweep): nothing is sent.
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    services.webhooks_requeue_due()
    assert len(receiver.received) == 1
    [call] = receiver.received
    expected = "sha256=" + hmac.new(client.webhook_secret.encode(), call["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(call["headers"]["X-Yibang-Signature"], expected)
    assert call["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert call["headers"]["X-Yibang-Event"] == str(delivery.event_id)
    assert json.loads(call["body"]) == delivery.payload


def test_one_delivery_per_state_change(api_request, receiver):
    req, _ = api_request
    for state in (State.LISTED, State.HANDED_OVER, State.ACCEPTED, State.RESOLVED, State.CLOSED):
        _, [delivery] = transition(req, state)
        services.webhook_delivery_attempt(delivery_id=delivery.pk)
    states = [json.loads(call["body"])["state"] for call in receiver.received]
    assert states == ["listed", "handed_over", "accepted", "resolved", "closed"]
    assert json.loads(receiver.received[-1]["body"])["status"] == "closed"


def test_failure_is_retried_after_the_backoff(api_request, receiver, settings):
    settings.OPEN311_WEBHOOK_RETRY_SECONDS = 30
    req, _ = api_request
    receiver.answers = [500]
    _, [delivery] = transition(req, State.LISTED)
    first = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert first.state == "pending" and first.attempts == 1 and first.last_status == 500
    assert first.next_attempt_at > timezone.now() + dt.timedelta(seconds=25)
    # Not due yet: a duplicate message or the sweep sends nothing.
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert services.webhooks_requeue_due() == []
    assert len(receiver.received) == 1
    later = timezone.now() + dt.timedelta(seconds=31)
    assert services.webhooks_requeue_due(now=later) == [delivery.pk]
    second = services.webhook_delivery_attempt(delivery_id=delivery.pk, now=later)
    assert second.state == "delivered" and second.attempts == 2
    assert [a["status"] for a in second.attempt_log] == [500, 200]
    assert len(receiver.received) == 2
    assert receiver.received[0]["body"] == receiver.received[1]["body"]


def test_gives_up_after_the_last_attempt(api_request, receiver, settings):
    settings.OPEN311_WEBHOOK_MAX_ATTEMPTS = 3
    req, _ = api_request
    receiver.answers = [500, 502, 503, 200]
    _, [delivery] = transition(req, State.LISTED)
    far = timezone.now() + dt.timedelta(days=1)
    for _ in range(5):
        result = services.webhook_delivery_attempt(delivery_id=delivery.pk, now=far)
    assert result.state == "failed" and result.attempts == 3 and result.next_attempt_at is None
    assert len(receiver.received) == 3


def test_unreachable_receiver_is_recorded(api_request, receiver):
    req, client = api_request
    receiver.close()
    _, [delivery] = transition(req, State.LISTED)
    result = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert result.state == "pending" and result.last_status is None and result.last_error


def test_revoked_key_stops_deliveries(api_request, receiver):
    req, client = api_request
    _, [pending] = transition(req, State.LISTED)
    services.api_client_revoke(client=client)
    pending.refresh_from_db()
    assert pending.state == "cancelled"
    assert services.webhook_delivery_attempt(delivery_id=pending.pk).state == "cancelled"
    assert transition(req, State.HANDED_OVER)[1] == []
    assert receiver.received == []


def test_revoked_between_queue_and_send_cancels(api_request, receiver):
    req, client = api_request
    _, [pending] = transition(req, State.LISTED)
    type(client).objects.filter(pk=client.pk).update(revoked_at=timezone.now())  # revoked behind our back
    assert services.webhook_delivery_attempt(delivery_id=pending.pk).state == "cancelled"
    assert receiver.received == []


def test_broker_failure_is_logged_not_raised(api_request, monkeypatch, caplog, django_capture_on_commit_callbacks):
    from requests_app import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.webhook_deliver_task, "apply_async", broken)
    req, _ = api_request
    with django_capture_on_commit_callbacks(execute=True):
        _, [delivery] = transition(req, State.LISTED)
    assert "Redis unavailable (broker): ConnectionError: broker down" in caplog.text
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == "pending"


def test_api_submitted_request_through_the_http_api_gets_webhooks(client, receiver):
    api_client, key = make_client(name="正观新闻APP", webhook_url=receiver.url)
    [created] = client.post("/open311/v2/requests.json", post_data(key)).json()
    req = HelpRequest.objects.get(ticket_number=created["service_request_id"])
    _, [delivery] = transition(req, State.LISTED)
    assert delivery.client == api_client
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert len(receiver.received) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_from_the_queue(api_request, receiver):
    """The queue itself: commit, the on_commit hook publishes, a Celery worker sends it once."""
    import time

    from celery.contrib.testing.worker import start_worker

    from helpdesk.celery import app

    req, _ = api_request
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        _, [delivery] = transition(req, State.LISTED)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not receiver.received:
            time.sleep(0.1)
        time.sleep(0.5)
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == "delivered"
