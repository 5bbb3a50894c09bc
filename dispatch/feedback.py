"""Closing the loop (回访): the citizen's rating, the staff callback, rework and the automatic close.

Services, all going through the one transition table (`dispatch.workflow`):

- `feedback_record`: the citizen (principal `CITIZEN`, from the progress page)
  or a dispatcher/supervisor (电话回访) rates the current resolution. In the same
  transaction the system then closes a satisfied result (销号), reopens an
  unsatisfied one for rework (重办, counted in `reopen_count`), or, beyond
  `settings.MAX_REOPENS`, leaves it resolved for a supervisor to decide (the
  rating's event says so). Either rating meets the 1-day feedback promise.
- `requests_autoclose`: closes resolved requests nobody rated within
  `settings.FEEDBACK_AUTOCLOSE_SECONDS`. Idempotent: safe to run twice at
  once or to retry; the table's guard re-checks each request under its lock.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from requests_app.models import Feedback, HelpRequest, State

from .workflow import CITIZEN, SYSTEM, Actor, TransitionError, transition_apply

logger = logging.getLogger(__name__)

AUTOCLOSE_BATCH = 500


def feedback_record(
    *, request_id: int, actor: Actor, rating: str, comment: str = "", now: dt.datetime | None = None
) -> HelpRequest:
    """Rate the current resolution and apply what follows; raise TransitionError and change nothing if refused."""
    now = now or timezone.now()
    action = "rate" if actor is CITIZEN else "record_callback"
    with transaction.atomic():
        help_request = transition_apply(
            request_id=request_id, action=action, actor=actor, now=now, rating=rating, comment=comment
        )
        if rating != Feedback.Rating.UNSATISFIED:
            return transition_apply(request_id=request_id, action="close", actor=SYSTEM, now=now)
        if help_request.reopen_count < settings.MAX_REOPENS:
            reason = gettext("市民对办理结果不满意，重新办理")
            if comment:
                reason += gettext("。市民意见：%(comment)s") % {"comment": comment}
            return transition_apply(request_id=request_id, action="reopen", actor=SYSTEM, now=now, reason=reason)
        # Beyond the limit: stays resolved; the rating's event (data.needs_decision) is the
        # supervisor's cue, and the notification hook reads it after commit.
        return help_request


def requests_unrated_due(*, now: dt.datetime) -> list[int]:
    """Ids of resolved requests whose current resolution is unrated and older than the autoclose delay."""
    cutoff = now - dt.timedelta(seconds=settings.FEEDBACK_AUTOCLOSE_SECONDS)
    rated = Feedback.objects.filter(request=OuterRef("pk"), round=OuterRef("reopen_count"))
    return list(
        HelpRequest.objects.filter(state=State.RESOLVED, resolved_at__lte=cutoff)
        .exclude(Exists(rated))
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:AUTOCLOSE_BATCH]
    )


def requests_autoclose(*, now: dt.datetime | None = None) -> int:
    """Close (by the system) resolved requests left unrated too long. Returns how many were closed."""
    now = now or timezone.now()
    closed = 0
    for request_id in requests_unrated_due(now=now):
        try:
            transition_apply(request_id=request_id, action="close", actor=SYSTEM, now=now)
        except TransitionError as exc:
            # Rated, reopened or closed meanwhile: nothing to do.
            logger.info("autoclose skipped request %s: %s", request_id, exc.message)
            continue
        closed += 1
    return closed
