"""The clock: meeting, waiving and extending a request's deadlines, and the sweep that enforces them.

Call meet/waive/set_urgent/extend inside the transaction that changes the
request (the workflow's transition function does), so a deadline and the
event that met it commit together. All functions are idempotent: meeting a
met deadline changes nothing. Each one refreshes the request's denormalised
clock columns (`requests_app.clock`) in the same transaction, and so does the
sweep for the requests of each batch it flags.

`deadlines_sweep` is the source of truth for breaches and reminders (beat runs
it every DEADLINE_SWEEP_SECONDS; `manage.py sweep_deadlines` by hand). Each
breach and each reminder happens exactly once, however many sweeps run at the
same moment or however late a sweep comes: rows are claimed with
`SELECT ... FOR UPDATE SKIP LOCKED` in short transactions and marked in the
same transaction as their event and their notifications, so a sweep killed
mid-way loses its uncommitted batch and the next sweep redoes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from helpdesk.timefmt import local_minute
from requests_app.clock import request_clock_refresh
from requests_app.models import Deadline, Event, HelpRequest
from requests_app.services import deadline_durations

from . import rollups
from .health import DEADLINE_SWEEP, clock_run_record
from .models import Notification
from .notifications import Message, acting_emails_many, notifications_queue, supervisor_emails


def deadlines_meet(*, help_request: HelpRequest, kinds: Iterable[str], at: dt.datetime | None = None) -> int:
    """Mark the given deadlines met at `at` (first time only). Returns how many changed."""
    at = at or timezone.now()
    changed = Deadline.objects.filter(request=help_request, kind__in=list(kinds)).open().update(met_at=at)
    if changed:
        request_clock_refresh(request_ids=[help_request.pk])
    return changed


def deadlines_waive(
    *, help_request: HelpRequest, kinds: Iterable[str] | None = None, at: dt.datetime | None = None
) -> int:
    """Stop the clock on deadlines that no longer apply (invalid, duplicate, no longer urgent).

    Met deadlines keep their record; only running or breached ones are waived.
    """
    at = at or timezone.now()
    qs = Deadline.objects.filter(request=help_request).open()
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    changed = qs.update(waived_at=at)
    if changed:
        request_clock_refresh(request_ids=[help_request.pk])
    return changed


def deadlines_set_urgent(*, help_request: HelpRequest, is_urgent: bool, at: dt.datetime | None = None) -> None:
    """Start (or stop) the 3-hour urgent clock when staff confirm (or drop) the 急 flag.

    The urgent clock starts from the request's submission, as the promise does.
    """
    at = at or timezone.now()
    if is_urgent:
        due = help_request.created_at + deadline_durations()[Deadline.Kind.URGENT]
        deadline, created = Deadline.objects.get_or_create(
            request=help_request, kind=Deadline.Kind.URGENT, defaults={"due_at": due}
        )
        if not created and deadline.waived_at is not None:
            Deadline.objects.filter(pk=deadline.pk).update(waived_at=None)
        request_clock_refresh(request_ids=[help_request.pk])
    else:
        deadlines_waive(help_request=help_request, kinds=[Deadline.Kind.URGENT], at=at)


def deadlines_extend(*, help_request: HelpRequest, kinds: Iterable[str], by: dt.timedelta) -> list[Deadline]:
    """Move the due times of running deadlines by `by` (an approved extension).

    A deadline already flagged as breached keeps its flag: the extension
    changes what is due next, not what already happened.
    """
    deadlines = list(Deadline.objects.select_for_update().filter(request=help_request, kind__in=list(kinds)).open())
    for deadline in deadlines:
        deadline.due_at = deadline.due_at + by
        deadline.reminded_at = None
        deadline.save(update_fields=["due_at", "reminded_at"])
    if deadlines:
        request_clock_refresh(request_ids=[help_request.pk])
    return deadlines


# --- The sweep ---------------------------------------------------------------

SYSTEM_LABEL = "时限监控"


@dataclass(frozen=True)
class SweepResult:
    breached: int = 0
    escalated: int = 0
    reminded: int = 0
    notifications: int = 0


def _pending() -> QuerySet[Deadline]:
    # Matches the partial index deadline_pending_idx exactly, so the planner can use it.
    return Deadline.objects.open().filter(breached_at__isnull=True)


def _claim(queryset: QuerySet[Deadline], *, batch_size: int) -> list[Deadline]:
    """Lock up to batch_size rows nobody else holds; call inside a transaction.

    Ordered by due_at alone, the partial index's order, so the LIMIT stops the
    index scan after one batch (a tie-breaker such as id would make PostgreSQL
    read and sort every due row for each batch: the cost grew with the backlog
    squared). The requests are fetched afterwards by primary key.
    """
    batch = list(queryset.select_for_update(skip_locked=True).order_by("due_at")[:batch_size])
    requests = HelpRequest.objects.only("ticket_number", "title", "created_at").in_bulk({d.request_id for d in batch})
    for deadline in batch:
        deadline.request = requests[deadline.request_id]
    return batch


def _escalate(*, request_ids: list[int], now: dt.datetime) -> set[int]:
    """Set the 督办 flag on requests not yet escalated; return those this call escalated.

    A conditional UPDATE ... RETURNING, so concurrent sweeps escalate a request once.
    """
    if not request_ids:
        return set()
    table = HelpRequest._meta.db_table
    placeholders = ", ".join(["%s"] * len(request_ids))
    sql = (
        f"UPDATE {table} SET escalated_at = %s "  # noqa: S608 - table name is ours, values are parameters
        f"WHERE id IN ({placeholders}) AND escalated_at IS NULL RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *request_ids])
        return {row[0] for row in cursor.fetchall()}


def _kind_labels() -> dict[str, str]:
    # Translated once per batch: get_kind_display() per row rebuilds the choices
    # dict and translates every label (a third of the sweep's time at 500 rows).
    return {kind: str(label) for kind, label in Deadline.Kind.choices}


def _breach_batch(*, now: dt.datetime, batch_size: int) -> tuple[int, int, int]:
    with transaction.atomic():
        batch = _claim(_pending().filter(due_at__lte=now), batch_size=batch_size)
        if not batch:
            return 0, 0, 0
        Deadline.objects.filter(pk__in=[d.pk for d in batch], breached_at__isnull=True).update(breached_at=now)
        escalated = _escalate(request_ids=sorted({d.request_id for d in batch}), now=now)
        request_clock_refresh(request_ids={d.request_id for d in batch})
        # Submission days only: a breach flag or an escalation moves /stats/ but not the unit
        # table (its "missed" follows the due time itself, `StatsDay.valid_until`).
        rollups.days_touch(created=[d.request.created_at for d in batch], now=now)
        # The event of a request's first breach in this batch records the escalation.
        escalating: dict[int, int] = {}
        for d in batch:
            if d.request_id in escalated:
                escalating.setdefault(d.request_id, d.pk)
        labels = _kind_labels()
        event_message, subject, body = (
            _("超时未完成：%(promise)s"),
            _("【督办】%(ticket)s 超时：%(promise)s"),
            _("求助件 %(ticket)s「%(title)s」的承诺“%(promise)s”已于 %(due)s 到期，尚未完成，已列入督办。"),
        )
        breached_at = now.isoformat()
        Event.objects.bulk_create(
            Event(
                request_id=d.request_id,
                kind=Event.Kind.DEADLINE,
                actor_label=SYSTEM_LABEL,
                message=event_message % {"promise": labels[d.kind]},
                is_public=False,
                created_at=now,
                data={
                    "deadline_id": d.pk,
                    "deadline": d.kind,
                    "due_at": d.due_at.isoformat(),
                    "breached_at": breached_at,
                    "escalated": escalating.get(d.request_id) == d.pk,
                },
            )
            for d in batch
        )
        supervisors = supervisor_emails()
        acting = acting_emails_many(request_ids={d.request_id for d in batch})
        messages = [
            Message(
                channel=Notification.Channel.EMAIL,
                recipients=[*supervisors, *acting[d.request_id]],
                subject=subject % {"ticket": d.request.ticket_number, "promise": labels[d.kind]},
                body=body
                % {
                    "ticket": d.request.ticket_number,
                    "title": d.request.title,
                    "promise": labels[d.kind],
                    "due": local_minute(d.due_at),
                },
                kind=Notification.Kind.BREACH,
                help_request=d.request,
            )
            for d in batch
        ]
        notifications = notifications_queue(messages=messages, now=now)
    return len(batch), len(escalated), len(notifications)


def _remind_batch(*, now: dt.datetime, batch_size: int) -> tuple[int, int]:
    horizon = now + dt.timedelta(seconds=settings.DEADLINE_REMINDER_SECONDS)
    with transaction.atomic():
        batch = _claim(
            _pending().filter(due_at__gt=now, due_at__lte=horizon, reminded_at__isnull=True), batch_size=batch_size
        )
        if not batch:
            return 0, 0
        Deadline.objects.filter(pk__in=[d.pk for d in batch], reminded_at__isnull=True).update(reminded_at=now)
        acting = acting_emails_many(request_ids={d.request_id for d in batch})
        supervisors = None
        labels = _kind_labels()
        subject = _("【提醒】%(ticket)s 即将到期：%(promise)s")
        body = _("求助件 %(ticket)s「%(title)s」的承诺“%(promise)s”将于 %(due)s 到期，请及时办理。")
        messages = []
        for d in batch:
            if d.kind == Deadline.Kind.FEEDBACK:
                supervisors = supervisor_emails() if supervisors is None else supervisors
                recipients = supervisors
            else:
                recipients = acting[d.request_id]
            messages.append(
                Message(
                    channel=Notification.Channel.EMAIL,
                    recipients=recipients,
                    subject=subject % {"ticket": d.request.ticket_number, "promise": labels[d.kind]},
                    body=body
                    % {
                        "ticket": d.request.ticket_number,
                        "title": d.request.title,
                        "promise": labels[d.kind],
                        "due": local_minute(d.due_at),
                    },
                    kind=Notification.Kind.REMINDER,
                    help_request=d.request,
                )
            )
        notifications = notifications_queue(messages=messages, now=now)
    return len(batch), len(notifications)


def deadlines_sweep(*, now: dt.datetime, batch_size: int = 500) -> SweepResult:
    """Flag every due, unmet deadline once (event, 督办 flag, notifications) and send due reminders once.

    Idempotent and safe to run concurrently: a second sweep at the same `now`
    changes nothing. Each batch is its own transaction, so locks are short and
    a crash loses at most the batch in flight, which the next sweep redoes.
    Do not call inside an outer transaction (the batches must commit).
    """
    breached = escalated = reminded = notified = 0
    # Events and e-mails are stored text: always in the site's language, even if
    # the caller's thread has another language active.
    with translation.override(settings.LANGUAGE_CODE):
        while True:
            count, esc, notes = _breach_batch(now=now, batch_size=batch_size)
            breached, escalated, notified = breached + count, escalated + esc, notified + notes
            if count < batch_size:
                break
        while True:
            count, notes = _remind_batch(now=now, batch_size=batch_size)
            reminded, notified = reminded + count, notified + notes
            if count < batch_size:
                break
    # The clock's heartbeat: /readyz and the staff pages' banner say when this stops.
    clock_run_record(job=DEADLINE_SWEEP)
    return SweepResult(breached=breached, escalated=escalated, reminded=reminded, notifications=notified)
