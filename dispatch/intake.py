"""Operator intake (代录): a 话务员 types in a request for a caller or a walk-in.

The request goes through the same `requests_app.services.request_submit` as
the web form (same validation in the form, same encryption, deadlines and
first timeline event), with its source (电话 / 来访) and the operator as the
first event's actor. In the same transaction the citizen's SMS is queued in
the outbox: the ticket number and the progress link. The operator reads both
out from the page that follows.

A caller's earlier requests are found by the phone's keyed hash and shown to
the operator only; every display is a ContactAccess row (where="intake"), as
it shows that this phone belongs to those requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from requests_app import services as request_services
from requests_app.crypto import keyed_hash
from requests_app.models import District, HelpRequest, Source
from requests_app.phones import phone_normalize

from . import access
from .models import Notification
from .notifications import Message, notifications_queue
from .services import contact_accesses_record
from .similar import Similar, requests_similar

if TYPE_CHECKING:
    from collections.abc import Mapping

    from django.contrib.auth.models import User

OPERATOR_SOURCES = (Source.PHONE, Source.VISIT)
HISTORY_LIMIT = 10
OPERATOR_LABEL = "话务员"
SMS_RECEIVED = _("【一帮到底】您的求助已受理，编号{ticket}。凭编号和本手机号可查询进度：{link}")


class NotAnOperator(PermissionError):
    """Only operators (and dispatchers, supervisors) take requests for callers."""


@dataclass(frozen=True)
class Intake:
    help_request: HelpRequest
    track_link: str
    sms: Notification | None


def operator_request_submit(
    *,
    user: User,
    source: str,
    data: Mapping[str, Any],
    submit_token,
    track_link_for,
) -> Intake:
    """Store the caller's request and queue their SMS; a second submit with the same key returns the first.

    `data` is the operator form's cleaned data; `track_link_for(ticket_number)` builds the
    absolute progress link (the view knows the host).
    """
    if not access.may_take_intake(user):
        raise NotAnOperator
    if source not in OPERATOR_SOURCES:
        raise ValueError(source)
    with transaction.atomic():
        help_request = request_services.request_submit_from(
            data=data,
            submit_token=submit_token,
            channel_label=OPERATOR_LABEL,
            source=source,
            taken_by=user,
        )
        link = track_link_for(help_request.ticket_number)
        sms = Notification.objects.filter(request=help_request, kind=Notification.Kind.RECEIVED).first()
        if sms is None:
            queued = notifications_queue(
                messages=[
                    Message(
                        channel=Notification.Channel.SMS,
                        recipients=[help_request.phone],
                        subject="",
                        body=str(SMS_RECEIVED).format(ticket=help_request.ticket_number, link=link),
                        kind=Notification.Kind.RECEIVED,
                        help_request=help_request,
                    )
                ]
            )
            sms = queued[0] if queued else None
    return Intake(help_request=help_request, track_link=link, sms=sms)


def caller_history(*, user: User, phone: str, ip_address: str | None) -> list[HelpRequest]:
    """The caller's earlier requests (newest first), for the operator's eyes; each display is logged."""
    if not access.may_take_intake(user):
        raise NotAnOperator
    normalized = phone_normalize(phone or "")
    if not normalized:
        return []
    found = list(
        HelpRequest.objects.filter(phone_hash=keyed_hash(normalized))
        .select_related("category")
        .only("pk", "ticket_number", "title", "state", "created_at", "source", "category__name")
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )
    if found:
        contact_accesses_record(user=user, request_ids=[r.pk for r in found], ip_address=ip_address, where="intake")
    return found


def intake_duplicates(*, user: User, district: District | None, title: str, content: str) -> list[Similar]:
    """Recent requests in the district that may be the caller's problem already (number, title, state)."""
    if district is None or not (title or content).strip():
        return []
    probe = HelpRequest(district=district, title=title, content=content)
    return requests_similar(help_request=probe, scope=access.intake_scope(user))
