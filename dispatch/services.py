"""Back-office writes that are not workflow transitions.

Workflow state changes go through `dispatch.workflow.transition_apply`; this
module holds the other recorded actions.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from requests_app.models import HelpRequest

from .dashboard import request_export_records
from .models import ContactAccess

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
