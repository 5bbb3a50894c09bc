"""Merged duplicates follow their main request: one reply answers every citizen who asked.

When the main request's public reply is written (办结 with its result, or a
public 办理记录), each request merged into it (并单, state `duplicate`) gets
one public timeline line carrying the same reply, and on 办结 its citizen gets
an SMS through the outbox. The reply was written for the main request's
citizen: their name, address, phone and ID numbers are masked
(`requests_app.redact.request_text_redact`) before anyone else reads it. Their own states do not change: they are finished
already; only what they are told grows.

A request merged into a main one that is already resolved is given the
main's latest reply (and its SMS) at once.

Called by `transition_apply` inside its transaction, after the event is written.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app.models import Event, HelpRequest, State
from requests_app.redact import request_text_redact

from .. import notifications
from ..models import Notification

FOLLOWED_ACTIONS = frozenset({"resolve", "add_note"})
FOLLOW_ACTION = "main_followed"

MAIN_RESOLVED_SMS = _(
    "【一帮到底】您的求助{ticket}已与求助件{main}合并办理，现已办结。请凭编号和手机号在进度查询页查看答复。"
)


def duplicates_follow(*, event: Event, help_request: HelpRequest) -> list[Event]:
    """Copy a main request's public reply to its merged duplicates (and text their citizens on 办结).

    `event` was just written for `help_request`. A request merged into a main one
    that is already resolved gets the main's latest reply at once.
    """
    action = event.data.get("action")
    if action == "mark_duplicate":
        main = help_request.duplicate_of
        reply = (
            Event.objects.filter(request=main, is_public=True, data__action="resolve")
            .order_by("-created_at", "-id")
            .first()
            if main is not None and main.resolved_at is not None
            else None
        )
        if main is None or reply is None:
            return []
        return _follow(event=reply, main=main, duplicates=[help_request], at=event.created_at)
    if not event.is_public or action not in FOLLOWED_ACTIONS:
        return []
    duplicates = list(
        HelpRequest.objects.filter(duplicate_of=help_request, state=State.DUPLICATE)
        .only("pk", "ticket_number", "phone")
        .order_by("pk")
    )
    return _follow(event=event, main=help_request, duplicates=duplicates, at=event.created_at)


def _follow(*, event: Event, main: HelpRequest, duplicates: list[HelpRequest], at: dt.datetime) -> list[Event]:
    if not duplicates:
        return []
    action = event.data.get("action")
    # Written for the main request's citizen: their name, address, phone never reach the others.
    known = HelpRequest.objects.only("name", "phone", "address").get(pk=main.pk)
    reply = request_text_redact(help_request=known, text=event.note)
    if action == "resolve":
        message = gettext("主件%(number)s已办结") % {"number": main.ticket_number}
    else:
        message = gettext("主件%(number)s：%(message)s") % {"number": main.ticket_number, "message": event.message}
    events = Event.objects.bulk_create(
        [
            Event(
                request=duplicate,
                kind=Event.Kind.NOTE,
                from_state=State.DUPLICATE,
                to_state=State.DUPLICATE,
                actor=event.actor,
                actor_label=event.actor_label,
                unit_name=event.unit_name,
                message=message[:200],
                note=reply,
                is_public=True,
                data={"action": FOLLOW_ACTION, "main": main.ticket_number, "main_event": event.pk},
                created_at=at,
            )
            for duplicate in duplicates
        ]
    )
    if action == "resolve":
        notifications.notifications_queue(
            messages=[
                notifications.Message(
                    channel=Notification.Channel.SMS,
                    recipients=[duplicate.phone],
                    subject="",
                    body=str(MAIN_RESOLVED_SMS).format(ticket=duplicate.ticket_number, main=main.ticket_number),
                    kind=Notification.Kind.MAIN_RESOLVED,
                    help_request=duplicate,
                    event=follow,
                )
                for duplicate, follow in zip(duplicates, events, strict=True)
                if duplicate.phone
            ],
            now=at,
        )
    return events
