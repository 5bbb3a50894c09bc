"""Back-office writes: the recorded actions that are not workflow transitions, and the
desk's combined steps built from several transitions.

Workflow state changes go through `dispatch.workflow.transition_apply`; a
combined step (列单并交单) applies each of its transitions through it, inside
one transaction, so the timeline shows every transition and a refusal of any
of them changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from requests_app.models import Category, HelpRequest

from . import routing, workflow
from .access import Actor
from .dashboard import request_export_records
from .models import ContactAccess, Unit

EXPORT = "export"


def contact_access_record(
    *, user: User, help_request: HelpRequest, ip_address: str | None, where: str = "admin"
) -> ContactAccess:
    """Record that `user` was shown the full name and phone of `help_request`."""
    return ContactAccess.objects.create(user=user, request=help_request, ip_address=ip_address or None, where=where)


def contact_accesses_record(
    *, user: User, request_ids: list[int], ip_address: str | None, where: str
) -> list[ContactAccess]:
    """Record, in one statement, that `user` was shown the full contact details of these requests."""
    now = timezone.now()
    return ContactAccess.objects.bulk_create(
        ContactAccess(user=user, request_id=pk, ip_address=ip_address or None, where=where, viewed_at=now)
        for pk in request_ids
    )


def requests_export(
    *, queryset: QuerySet[HelpRequest], user: User, ip_address: str | None, chunk: int = 500
) -> Iterator[list]:
    """The rows of a request export, recording every full name and phone it shows (marked "export").

    Each chunk of rows is recorded before it is handed on, so a download cut
    short has recorded at least what it sent.
    """
    pending: list[list] = []
    shown: list[int] = []
    for record in request_export_records(queryset=queryset, user=user):
        pending.append(record.row)
        if record.contact_shown:
            shown.append(record.request_id)
        if len(pending) >= chunk:
            if shown:
                contact_accesses_record(user=user, request_ids=shown, ip_address=ip_address, where=EXPORT)
            yield from pending
            pending, shown = [], []
    if shown:
        contact_accesses_record(user=user, request_ids=shown, ip_address=ip_address, where=EXPORT)
    yield from pending


def request_list_and_hand_over(
    *,
    request_id: int,
    actor: Actor,
    category: Category,
    unit: Unit,
    request_type: str = "",
    is_urgent: bool = False,
    tag_nan: bool = False,
    tag_chou: bool = False,
    tag_pan: bool = False,
    assist_units: Iterable[Unit] = (),
    instructions: str = "",
) -> HelpRequest:
    """列单并交单: classify a new request and hand it over, as one step of the dispatcher's.

    Two transitions of the table, each through `transition_apply` (two timeline
    events, their own checks and notifications), and the hand-over's routing
    record, all in one transaction: if either transition is refused, neither
    happened. The routing suggestion the record keeps is computed after the
    classification, from the category just chosen.
    """
    with transaction.atomic():
        workflow.transition_apply(
            request_id=request_id,
            action="list",
            actor=actor,
            category=category,
            request_type=request_type,
            is_urgent=is_urgent,
            tag_nan=tag_nan,
            tag_chou=tag_chou,
            tag_pan=tag_pan,
            note="",
        )
        return routing.request_hand_over_routed(
            request_id=request_id,
            actor=actor,
            unit=unit,
            assist_units=assist_units,
            instructions=instructions,
        )
