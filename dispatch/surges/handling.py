"""A supervisor's answer to a flagged surge: merge it (并单) or dismiss it.

`surge_merge` links every member but the chosen lead to it with the
workflow's `mark_duplicate`, one transition (and one timeline event) each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from requests_app.models import HelpRequest, State

from ..access import Actor
from ..workflow import TransitionError, transition_apply
from .models import Surge


@dataclass
class MergeResult:
    surge: Surge
    merged: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def surge_merge(*, surge_id: int, lead_id: int, actor: Actor, now: dt.datetime | None = None) -> MergeResult:
    """并单: link every member but `lead_id` to it through the workflow (`mark_duplicate`).

    Members the workflow refuses (already handed over, already a duplicate) are
    skipped and reported; if none at all could be merged the whole call is
    refused with the workflow's reason and nothing changes.
    """
    now = now or timezone.now()
    with transaction.atomic():
        surge = Surge.objects.select_for_update().filter(pk=surge_id).first()
        if surge is None:
            raise TransitionError(gettext("聚集不存在"))
        if surge.state == Surge.State.DISMISSED:
            raise TransitionError(gettext("该聚集已排除"))
        member_ids = list(
            surge.memberships.order_by("request__created_at", "request_id").values_list("request_id", flat=True)
        )
        if lead_id not in member_ids:
            raise TransitionError(gettext("主件必须是该聚集的成员"))
        lead = HelpRequest.objects.get(pk=lead_id)
        if lead.state in (State.DUPLICATE, State.INVALID):
            raise TransitionError(gettext("主件%(number)s本身是重复件或无效件") % {"number": lead.ticket_number})
        result = MergeResult(surge=surge)
        note = gettext("未诉先办并单：%(summary)s") % {"summary": surge.summary}
        for pk in member_ids:
            if pk == lead_id:
                continue
            try:
                transition_apply(
                    request_id=pk, action="mark_duplicate", actor=actor, now=now, duplicate_of=lead, note=note
                )
            except TransitionError as exc:
                result.skipped.append((pk, str(exc)))
            else:
                result.merged.append(pk)
        already = set(
            HelpRequest.objects.filter(pk__in=[pk for pk, _ in result.skipped], duplicate_of=lead).values_list(
                "pk", flat=True
            )
        )
        if result.skipped and not result.merged and len(already) < len(result.skipped):
            raise TransitionError(next(reason for pk, reason in result.skipped if pk not in already))
        surge.state = Surge.State.MERGED
        surge.lead = lead
        surge.handled_at = now
        surge.updated_at = now
        surge.save(update_fields=["state", "lead", "handled_at", "updated_at"])
    return result


def surge_dismiss(*, surge_id: int, now: dt.datetime | None = None) -> Surge:
    """Not a real surge (a coincidence): it stays on record, its members keep it from being flagged again."""
    now = now or timezone.now()
    with transaction.atomic():
        surge = Surge.objects.select_for_update().get(pk=surge_id)
        if surge.state == Surge.State.OPEN:
            surge.state = Surge.State.DISMISSED
            surge.handled_at = now
            surge.updated_at = now
            surge.save(update_fields=["state", "handled_at", "updated_at"])
    return surge
