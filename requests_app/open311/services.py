"""Writes for the Open311 API: client keys, API submissions and the webhook outbox.

- Keys are shown once (`api_client_create` returns it) and stored hashed.
- `webhooks_enqueue_for_event` must be called inside the transaction that
  writes the event (the workflow's transition function does): the outbox row
  commits or rolls back with the event, and the Celery task is queued only
  after commit. A broker failure is logged, never raised: the retry sweep
  (`webhooks_requeue_due`, run by beat) sends what the queue missed.
- `webhook_delivery_attempt` is idempotent: it locks the row, and a delivered,
  failed or cancelled row (or one whose next attempt is not due) is left alone.
- Callback URLs must reach public addresses (`hosts.vet`): checked when a
  client is saved and again at every delivery, which connects to the vetted
  address. A refused delivery fails for good with a generic error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from helpdesk.breaker import broker_publish
from helpdesk.outbox import RetryPolicy

from .. import services as request_services
from ..models import ApiClient, ApiSubmission, Event, Source, WebhookDelivery
from ..public import status_for_state
from . import hosts, selectors
from .serialize import iso, service_request_dict

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Yibang-Signature"
USER_AGENT = "Yibang-Open311-Webhook/1"
# Recorded when the callback address is refused at delivery: says nothing about the address or its ports.
REFUSED_ERROR = "回调地址不被允许"


def api_client_create(*, name: str, webhook_url: str = "") -> tuple[ApiClient, str]:
    """Create a client and return it with its key, the only time the key exists in clear.

    Raises ValidationError (nothing saved) when `webhook_url` does not reach a public address.
    """
    hosts.validate_webhook_url(webhook_url)
    key = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name,
        key_prefix=key[:8],
        key_hash=selectors.key_hash(key),
        webhook_url=webhook_url,
        webhook_secret=secrets.token_hex(32),
    )
    return client, key


def api_client_revoke(*, client: ApiClient, now: dt.datetime | None = None) -> ApiClient:
    """Refuse the client's key from now on and cancel its undelivered webhooks."""
    now = now or timezone.now()
    with transaction.atomic():
        ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=now)
        WebhookDelivery.objects.filter(client=client, state=WebhookDelivery.DeliveryState.PENDING).update(
            state=WebhookDelivery.DeliveryState.CANCELLED, next_attempt_at=None, last_error="client revoked"
        )
    client.refresh_from_db(fields=["revoked_at"])
    return client


def submit_token_for_api(token: uuid.UUID) -> uuid.UUID:
    """The request's `submit_token` for the token an API client was given.

    Keyed with the SECRET_KEY under its own salt, so the token a client sees
    never equals a web form's submission key, nor can one be computed from it:
    posting a client's token with the web form finds nothing to return.
    """
    digest = salted_hmac("requests_app.open311.submit_token", token.hex).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def service_request_create(*, client: ApiClient, data: dict) -> ApiSubmission:
    """Submit a request for `client` with data cleaned by HelpRequestForm (same rules as the web form).

    The timeline's submitted event names the client. The submission row is
    written after the request (request_submit commits its ticket counter on its
    own, by design), so the token resolves as soon as this returns. The client's
    token is stored on the submission only; the request's own submission key is
    derived from it (`submit_token_for_api`).
    """
    token = uuid.uuid4()
    help_request = request_services.request_submit_from(
        data=data,
        submit_token=submit_token_for_api(token),
        channel_label=client.name,
        source=Source.API,
    )
    return ApiSubmission.objects.create(request=help_request, client=client, token=token)


def _webhook_payload(*, event: Event) -> dict:
    """The outbox row's body: the state change and the request's keyless public summary."""
    summary = selectors.service_request_get(pk=event.request_id)
    assert summary is not None, "an event's request is never deleted"
    return {
        "event": "service_request.status_changed",
        "event_id": event.pk,
        "occurred_at": iso(event.created_at),
        "previous_state": event.from_state,
        "state": event.to_state,
        "previous_status": status_for_state(event.from_state) if event.from_state else None,
        "status": status_for_state(event.to_state),
        "service_request": service_request_dict(summary),
    }


def webhooks_enqueue_for_event(*, event: Event) -> list[WebhookDelivery]:
    """Write the outbox row for a state change of a request an API client created; queue it on commit.

    Call inside the transaction that wrote `event`. Returns the rows written
    (empty when the request did not come through the API, the client has no
    webhook or is revoked, or the event is not a state change).
    Calling it twice for the same event writes nothing new.
    """
    if not event.to_state or event.to_state == event.from_state:
        return []
    submission = ApiSubmission.objects.select_related("client").filter(request_id=event.request_id).first()
    if submission is None:
        return []
    client = submission.client
    if not client.webhook_url or client.revoked_at is not None:
        return []
    delivery, created = WebhookDelivery.objects.get_or_create(
        client=client,
        event=event,
        defaults={
            "request_id": event.request_id,
            "url": client.webhook_url,
            "payload": _webhook_payload(event=event),
            "next_attempt_at": timezone.now(),
        },
    )
    if not created:
        return []
    transaction.on_commit(lambda: _queue_delivery(delivery.pk))
    return [delivery]


def _queue_delivery(delivery_id: int) -> None:
    from ..tasks import webhook_deliver_task

    # The broker may be away (the breaker logs it once): the sweep sends it later.
    broker_publish(lambda: webhook_deliver_task.apply_async(args=(delivery_id,)), what="webhook delivery")


def webhook_signature(*, secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` + hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookRefused(Exception):
    """The callback address is not allowed (anymore): do not send, do not retry."""


def _post(*, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST and return (status, error); status is None when no HTTP answer came back.

    The host is resolved and vetted here, and the connection goes to the vetted
    address (Host header and TLS name from the URL). Redirects are not followed:
    a 3xx is a failure like any other non-2xx. Raises WebhookRefused when the
    address is not allowed, before any connection is made.
    """
    try:
        target = hosts.vet(url)
    except hosts.WebhookAddressRefused as exc:
        if exc.code == "unresolved":
            return None, str(exc.message)  # DNS may come back: retry later
        raise WebhookRefused from exc
    connection = hosts.connection_for(target, timeout=settings.OPEN311_WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(1024)
        if 200 <= response.status < 300:
            return response.status, ""
        return response.status, f"HTTP {response.status}"
    except http.client.HTTPException as exc:  # not an HTTP answer
        return None, f"invalid HTTP response ({type(exc).__name__})"
    except OSError as exc:  # timeouts, refused connections, TLS errors
        return None, str(exc)[:300]
    finally:
        connection.close()


def webhook_retry_policy() -> RetryPolicy:
    """Base, 3×base, 9×base … (30 s, 90 s, 270 s …), OPEN311_WEBHOOK_MAX_ATTEMPTS attempts (helpdesk.outbox)."""
    return RetryPolicy(
        base_seconds=settings.OPEN311_WEBHOOK_RETRY_SECONDS,
        factor=3,
        max_attempts=settings.OPEN311_WEBHOOK_MAX_ATTEMPTS,
    )


def webhook_backoff(*, attempts: int) -> dt.timedelta:
    """Wait before attempt number `attempts + 1`."""
    return webhook_retry_policy().delay(attempts=attempts)


def webhook_delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Make one attempt at a pending delivery that is due; record it; schedule the next or give up.

    Idempotent: returns the row untouched when it is not pending, not due, or
    locked by another worker (None then). The row stays locked during the POST
    (bounded by the timeout) so two workers can never send it twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("client")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return None
        if delivery.state != WebhookDelivery.DeliveryState.PENDING:
            return delivery
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return delivery
        client = delivery.client
        if client.revoked_at is not None:
            delivery.state = WebhookDelivery.DeliveryState.CANCELLED
            delivery.next_attempt_at = None
            delivery.last_error = "client revoked"
            delivery.save(update_fields=["state", "next_attempt_at", "last_error"])
            return delivery

        body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: webhook_signature(secret=client.webhook_secret, body=body),
            "X-Yibang-Delivery": str(delivery.pk),
            "X-Yibang-Event": str(delivery.event_id),
        }
        refused = False
        try:
            status, error = _post(url=delivery.url, body=body, headers=headers)
        except WebhookRefused:
            refused, status, error = True, None, REFUSED_ERROR
        finished = timezone.now()
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error
        delivery.attempt_log = [*delivery.attempt_log, {"at": iso(finished), "status": status, "error": error}]
        if refused:
            delivery.state = WebhookDelivery.DeliveryState.FAILED
            delivery.next_attempt_at = None
        elif status is not None and 200 <= status < 300:
            delivery.state = WebhookDelivery.DeliveryState.DELIVERED
            delivery.delivered_at = finished
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = webhook_retry_policy().next_attempt_at(attempts=delivery.attempts, now=finished)
            if delivery.next_attempt_at is None:
                delivery.state = WebhookDelivery.DeliveryState.FAILED
        delivery.save(
            update_fields=[
                "attempts",
                "last_status",
                "last_error",
                "attempt_log",
                "state",
                "delivered_at",
                "next_attempt_at",
            ]
        )
    if refused:
        logger.warning("webhook delivery %s refused: the callback address is not public", delivery.pk)
    elif delivery.state == WebhookDelivery.DeliveryState.FAILED:
        logger.warning("webhook delivery %s failed after %s attempts", delivery.pk, delivery.attempts)
    return delivery


def webhooks_requeue_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Queue pending deliveries whose next attempt is due (the safety net behind on_commit and retries)."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(state=WebhookDelivery.DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in ids:
        _queue_delivery(delivery_id)
    return ids
