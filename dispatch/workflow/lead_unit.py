"""The request's denormalised active lead unit (`HelpRequest.lead_unit_id`).

Invariant: `lead_unit_id` is the unit of the request's active lead assignment
(`AssignmentQuerySet.active_lead`), or None. The workflow's hand-over and
return (`effects.do_hand_over`, `effects.do_return`) set it on the request
they save, in the transaction that writes the Assignment rows; they are the
only writers of active lead rows. Anything else that writes Assignment rows
(a test, a data repair) calls `request_lead_unit_refresh` in its transaction.
`dispatch.access` reads the column for a handler's scope and contact rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from requests_app.models import HelpRequest

from ..models import Assignment


def lead_unit_expected(*, request_id: int) -> int | None:
    """What the Assignment rows say the request's active lead unit is."""
    return Assignment.objects.filter(request_id=request_id).active_lead().values_list("unit_id", flat=True).first()


def request_lead_unit_refresh(*, request_ids: Iterable[int]) -> int:
    """Recompute `lead_unit_id` of these requests from their Assignment rows (one UPDATE); rows updated."""
    ids = sorted(set(request_ids))
    if not ids:
        return 0
    lead = Assignment.objects.filter(request=OuterRef("pk")).active_lead().values("unit_id")[:1]
    return HelpRequest.objects.filter(pk__in=ids).update(lead_unit_id=Subquery(lead))
