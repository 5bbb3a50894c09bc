"""Notifications: one outbox, pluggable channels (email for staff, SMS for citizens).

How a notification travels:
1. A service decides to notify and calls `notifications_queue` INSIDE the
   transaction that caused it (a breach, a hand-over). The rows commit or
   roll back with their cause: a transactional outbox.
2. On commit, the rows' send tasks are published: `notification_send_task`
   for a single row, `notifications_send_many_task` per PUBLISH_CHUNK rows
   otherwise (a sweep queues hundreds at once; one message per row cost more
   than the rest of the sweep). A broker outage at that moment is logged,
   never raised: the caller (a citizen's submission, a sweep) must not fail
   because of the queue.
3. `notification_send` locks the row, returns quietly unless it is still
   queued, sends it through its channel and records sent / failed.
4. `notifications_flush`, run periodically by beat, sends queued rows older
   than a minute, so a row whose task was lost is still sent.

SMS goes through a small backend interface (`SmsBackend`); the default writes
to the log, a real gateway is a dotted path in `settings.SMS_BACKEND`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from helpdesk.breaker import broker_publish
from helpdesk.outbox import RetryPolicy
from requests_app.models import Event, HelpRequest, State
from requests_app.phones import phone_mask

from . import access
from .access import Role
from .models import Assignment, Notification, Unit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

# Failed sends are tried again after 10 s, 20 s, 40 s, 80 s (on the flush's next tick);
# after MAX_ATTEMPTS a row is marked failed and shown in admin (helpdesk.outbox).
MAX_ATTEMPTS = 5
RETRY = RetryPolicy(base_seconds=10, factor=2, max_attempts=MAX_ATTEMPTS, cap_seconds=300)
# A new row's first attempt is its published task; if that task is lost, the
# flush sends the row once this grace has passed.
FLUSH_AFTER = dt.timedelta(seconds=60)
# Rows per published task when many are queued together: few enough that one
# task sends them well within its time limit, many enough that a sweep's batch
# costs a handful of publishes.
PUBLISH_CHUNK = 50


# --- Channels ----------------------------------------------------------------


class SmsBackend(Protocol):
    """What an SMS gateway must offer. Raise on failure; the outbox records it and retries."""

    def send(self, *, phone: str, text: str) -> None: ...


class LogSmsBackend:
    """The default SMS "gateway": writes the message to the log (development, tests)."""

    def send(self, *, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone_mask(phone), text)


def sms_backend_get() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def _send_email(notification: Notification) -> None:
    send_mail(
        subject=notification.subject,
        message=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[notification.recipient],
        fail_silently=False,
    )


def _send_sms(notification: Notification) -> None:
    sms_backend_get().send(phone=notification.recipient, text=notification.body)


# Keyed by str: `Notification.channel` holds the stored value, not the enum member.
CHANNELS: dict[str, Callable[[Notification], None]] = {
    Notification.Channel.EMAIL: _send_email,
    Notification.Channel.SMS: _send_sms,
}


# --- Recipients --------------------------------------------------------------


def _role_emails(role: Role) -> list[str]:
    users = access.staff_with_role(role).exclude(email="")
    return list(dict.fromkeys(users.order_by("id").values_list("email", flat=True)))


def supervisor_emails() -> list[str]:
    return _role_emails(Role.SUPERVISOR)


def dispatcher_emails() -> list[str]:
    return _role_emails(Role.DISPATCHER)


def acting_emails(*, help_request: HelpRequest) -> list[str]:
    """Whoever must act now: the lead unit's handlers, or the dispatchers before hand-over."""
    return acting_emails_many(request_ids=[help_request.pk])[help_request.pk]


def acting_emails_many(*, request_ids: Iterable[int]) -> dict[int, list[str]]:
    """`acting_emails` for a batch of requests in three queries (the sweep's batches)."""
    request_ids = list(request_ids)
    leads = dict(
        Assignment.objects.filter(request_id__in=request_ids).active_lead().values_list("request_id", "unit_id")
    )
    units = {u.pk: u for u in Unit.objects.filter(pk__in=set(leads.values())).prefetch_related("members")}
    per_unit = {
        pk: _unique([unit.email] + sorted((m.email for m in unit.members.all() if m.is_active and m.email), key=str))
        for pk, unit in units.items()
    }
    dispatchers = dispatcher_emails() if len(leads) < len(request_ids) else []
    return {rid: per_unit.get(leads[rid], []) if rid in leads else dispatchers for rid in request_ids}


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))


# --- Outbox ------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One notification to build; `recipients` get one row each."""

    channel: str
    recipients: list[str]
    subject: str
    body: str
    kind: str
    help_request: HelpRequest | None = None
    event: Event | None = None


def notifications_queue(*, messages: Iterable[Message], now: dt.datetime | None = None) -> list[Notification]:
    """Write the rows and publish their send tasks when the transaction commits.

    Call inside the transaction of what caused the notification.
    """
    now = now or timezone.now()
    rows = [
        Notification(
            channel=m.channel,
            recipient=recipient,
            subject=m.subject[:200],
            body=m.body,
            kind=m.kind,
            request=m.help_request,
            event=m.event,
            created_at=now,
            next_attempt_at=now + FLUSH_AFTER,
        )
        for m in messages
        for recipient in _unique(m.recipients)
    ]
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created]
    transaction.on_commit(lambda: notifications_publish(ids=ids))
    return created


def notifications_publish(*, ids: list[int]) -> int:
    """Publish the send tasks for these rows. Never raises: a lost publish is caught by the flush.

    One `notification_send_task` for a single row; otherwise one
    `notifications_send_many_task` per PUBLISH_CHUNK rows. Stops at the first
    broker error, so an outage costs one connection timeout, not one per
    message. Returns how many rows were published.
    """
    from .tasks import notification_send_task, notifications_send_many_task  # tasks import services, not the reverse

    published = 0
    for start in range(0, len(ids), PUBLISH_CHUNK):
        chunk = ids[start : start + PUBLISH_CHUNK]
        if len(chunk) == 1:
            sent = broker_publish(partial(notification_send_task.delay, chunk[0]), what="notification")
        else:
            sent = broker_publish(partial(notifications_send_many_task.delay, chunk), what="notifications")
        if not sent:  # the broker is away (the breaker logged it once): the flush will send these rows
            break
        published += len(chunk)
    return published


def notification_send(*, notification_id: int, now: dt.datetime | None = None) -> Notification | None:
    """Send one queued notification, at most once. Idempotent: safe to retry.

    Returns None when the row is gone or being sent by someone else right now;
    otherwise the row in its new state: sent; queued with its next attempt due
    later (RETRY), which the flush makes; failed after MAX_ATTEMPTS.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notification = Notification.objects.select_for_update(skip_locked=True).filter(pk=notification_id).first()
        if notification is None or notification.state != Notification.State.QUEUED:
            return notification
        notification.attempts += 1
        try:
            CHANNELS[notification.channel](notification)
        except Exception as exc:  # any gateway error is recorded, never lost
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            notification.next_attempt_at = RETRY.next_attempt_at(attempts=notification.attempts, now=now)
            if notification.next_attempt_at is None:
                notification.state = Notification.State.FAILED
                logger.error("Notification %s failed for good: %s", notification.pk, notification.last_error)
            else:
                logger.warning("Notification %s attempt %s failed: %s", notification.pk, notification.attempts, exc)
        else:
            notification.state = Notification.State.SENT
            notification.sent_at = now
            notification.last_error = ""
            notification.next_attempt_at = None
        notification.save(update_fields=["state", "attempts", "last_error", "sent_at", "next_attempt_at"])
    return notification


def notifications_flush(*, now: dt.datetime, limit: int = 200) -> int:
    """Send queued rows whose next attempt is due: retries, and rows whose task was lost. Returns how many were sent."""
    ids = list(
        Notification.objects.filter(state=Notification.State.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for notification_id in ids:
        notification = notification_send(notification_id=notification_id, now=now)
        if notification is not None and notification.state == Notification.State.SENT:
            sent += 1
    return sent


def notification_retry(*, notification: Notification) -> Notification:
    """Put a failed notification back in the queue (an admin action), with fresh attempts."""
    with transaction.atomic():
        changed = Notification.objects.filter(pk=notification.pk, state=Notification.State.FAILED).update(
            state=Notification.State.QUEUED, attempts=0, next_attempt_at=timezone.now() + FLUSH_AFTER
        )
        if changed:
            transaction.on_commit(lambda: notifications_publish(ids=[notification.pk]))
    notification.refresh_from_db()
    return notification


# --- What citizens are told ---------------------------------------------------

# (to_state of a TRANSITION event) -> (kind, SMS text). The text takes the ticket number.
CITIZEN_SMS_ON_TRANSITION: dict[str, tuple[str, StrOrPromise]] = {
    State.HANDED_OVER: (
        Notification.Kind.HANDED_OVER,
        _("【一帮到底】您的求助{ticket}已交{unit}办理，我们将在承诺时限内联系您。"),
    ),
    State.RESOLVED: (
        Notification.Kind.RESOLVED,
        _("【一帮到底】您的求助{ticket}已办结。请凭编号和手机号在进度查询页查看结果并评价，您的反馈决定是否销号。"),
    ),
}


def _staff_messages_for_event(*, event: Event) -> list[Message]:
    """Staff who must hear of a citizen's verdict: rework goes to the lead unit, a
    rating past the rework limit goes to the supervisors for a decision."""
    help_request = event.request
    subject_args = {"ticket": help_request.ticket_number, "title": help_request.title}
    if event.kind == Event.Kind.TRANSITION and event.to_state == State.REOPENED:
        return [
            Message(
                channel=Notification.Channel.EMAIL,
                recipients=acting_emails(help_request=help_request) + supervisor_emails(),
                subject=str(_("【重办】求助件 %(ticket)s") % subject_args),
                body=str(
                    _("求助件 %(ticket)s「%(title)s」已重新办理（重办），原因：%(note)s")
                    % {**subject_args, "note": event.note or event.message}
                ),
                kind=Notification.Kind.REOPENED,
                help_request=help_request,
                event=event,
            )
        ]
    if event.kind == Event.Kind.FEEDBACK and event.data.get("needs_decision"):
        return [
            Message(
                channel=Notification.Channel.EMAIL,
                recipients=supervisor_emails(),
                subject=str(_("【待决定】求助件 %(ticket)s 市民仍不满意") % subject_args),
                body=str(
                    _("求助件 %(ticket)s「%(title)s」已达重办次数上限，市民仍不满意，请督办员决定重办或销号。")
                    % subject_args
                ),
                kind=Notification.Kind.DECISION,
                help_request=help_request,
                event=event,
            )
        ]
    return []


# Apps built on dispatch (the 问政 board tells its 我也遇到 citizens of a resolution) add
# messages for a timeline event through the same outbox, in the same transaction. They
# register from their AppConfig.ready(): dispatch never imports them.
EventHook = Callable[[Event], list[Message]]
_EVENT_HOOKS: list[EventHook] = []


def event_hook_register(hook: EventHook) -> None:
    if hook not in _EVENT_HOOKS:
        _EVENT_HOOKS.append(hook)


def notifications_for_event(*, event: Event) -> list[Notification]:
    """Queue what a timeline event calls for: the citizen's SMS (hand-over, resolved →
    please rate), the staff's emails (rework, a decision the supervisors must take) and
    what registered hooks add (`event_hook_register`).

    Call inside the transaction that wrote the event (the workflow's transition
    function). Idempotent per event: calling it twice queues nothing new.
    """
    staff_messages = _staff_messages_for_event(event=event)
    citizen_sms = event.kind == Event.Kind.TRANSITION and event.to_state in CITIZEN_SMS_ON_TRANSITION
    hooked = [message for hook in _EVENT_HOOKS for message in hook(event)]
    if not staff_messages and not citizen_sms and not hooked:
        return []
    if Notification.objects.filter(event=event).exists():
        return []
    if staff_messages or not citizen_sms:
        return notifications_queue(messages=staff_messages + hooked, now=event.created_at)
    help_request = event.request
    kind, template = CITIZEN_SMS_ON_TRANSITION[event.to_state]
    text = str(template).format(ticket=help_request.ticket_number, unit=event.unit_name or _("承办单位"))
    return notifications_queue(
        messages=[
            Message(
                channel=Notification.Channel.SMS,
                recipients=[help_request.phone],
                subject="",
                body=text,
                kind=kind,
                help_request=help_request,
                event=event,
            ),
            *hooked,
        ],
        now=event.created_at,
    )
