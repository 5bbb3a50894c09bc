"""The clock: meeting, waiving and extending a request's deadlines.

Call these inside the transaction that changes the request (the workflow's
transition function does), so a deadline and the event that met it commit
together. All functions are idempotent: meeting a met deadline changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from requests_app.models import Deadline, HelpRequest
from requests_app.services import deadline_durations


def deadlines_meet(*, help_request: HelpRequest, kinds: Iterable[str], at: dt.datetime | None = None) -> int:
    """Mark the given deadlines met at `at` (first time only). Returns how many changed."""
    at = at or timezone.now()
    return Deadline.objects.filter(
        request=help_request, kind__in=list(kinds), met_at__isnull=True, waived_at__isnull=True
    ).update(met_at=at)


def deadlines_waive(
    *, help_request: HelpRequest, kinds: Iterable[str] | None = None, at: dt.datetime | None = None
) -> int:
    """Stop the clock on deadlines that no longer apply (invalid, duplicate, no longer urgent).

    Met deadlines keep their record; only running or breached ones are waived.
    """
    at = at or timezone.now()
    qs = Deadline.objects.filter(request=help_request, met_at__isnull=True, waived_at__isnull=True)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return qs.update(waived_at=at)


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
    else:
        deadlines_waive(help_request=help_request, kinds=[Deadline.Kind.URGENT], at=at)


def deadlines_extend(*, help_request: HelpRequest, kinds: Iterable[str], by: dt.timedelta) -> list[Deadline]:
    """Move the due times of running deadlines by `by` (an approved extension).

    A deadline already flagged as breached keeps its flag: the extension
    changes what is due next, not what already happened.
    """
    deadlines = list(
        Deadline.objects.select_for_update().filter(
            request=help_request, kind__in=list(kinds), met_at__isnull=True, waived_at__isnull=True
        )
    )
    for deadline in deadlines:
        deadline.due_at = deadline.due_at + by
        deadline.reminded_at = None
        deadline.save(update_fields=["due_at", "reminded_at"])
    return deadlines
