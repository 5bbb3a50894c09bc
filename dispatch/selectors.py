"""Reads for the back office: what a user may do now, the worklist columns, the list filters.

Which requests a user may see is decided by `dispatch.access`, not here: the
helpers below narrow or annotate a queryset that is already scoped.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from requests_app.models import FINISHED_STATES, Deadline, HelpRequest

from . import workflow
from .models import Assignment, ExtensionRequest
from .workflow import Action


def request_actions_for(*, help_request: HelpRequest, user: User | AnonymousUser) -> list[Action]:
    """The actions `user` may take on `help_request` right now (the change view's buttons)."""
    ctx = workflow.context_load(help_request=help_request, actor=user)
    return workflow.actions_allowed(ctx=ctx)


def _open_deadlines() -> QuerySet[Deadline]:
    return Deadline.objects.filter(request=OuterRef("pk")).open()


def requests_late(*, queryset: QuerySet[HelpRequest], now: dt.datetime | None = None) -> QuerySet[HelpRequest]:
    """Open requests with a promise past due and neither met nor waived (served by deadline_open_idx).

    A closed, invalid or duplicate request is finished: a promise it missed
    stays on record for the figures but no longer needs anyone's action.
    """
    now = now or timezone.now()
    late_ids = Deadline.objects.overdue(now).values("request_id")
    return queryset.filter(pk__in=late_ids).exclude(state__in=FINISHED_STATES)


def requests_with_worklist_columns(*, queryset: QuerySet[HelpRequest]) -> QuerySet[HelpRequest]:
    """Annotate what the changelist shows, as correlated subqueries evaluated only for the page's rows."""
    return queryset.annotate(
        next_due_at=Subquery(_open_deadlines().order_by("due_at").values("due_at")[:1]),
        next_due_kind=Subquery(_open_deadlines().order_by("due_at").values("kind")[:1]),
        lead_unit_name=Subquery(
            Assignment.objects.filter(request=OuterRef("pk")).active_lead().values("unit__short_name")[:1]
        ),
        has_pending_extension=Exists(
            ExtensionRequest.objects.filter(request=OuterRef("pk"), status=ExtensionRequest.Status.PENDING)
        ),
    )


def requests_with_tag(*, queryset: QuerySet[HelpRequest], tag: str) -> QuerySet[HelpRequest]:
    field = {"ji": "is_urgent", "nan": "tag_nan", "chou": "tag_chou", "pan": "tag_pan"}[tag]
    return queryset.filter(Q(**{field: True}))


def requests_of_unit(*, queryset: QuerySet[HelpRequest], unit_id: int) -> QuerySet[HelpRequest]:
    return queryset.filter(Exists(Assignment.objects.filter(request=OuterRef("pk"), is_active=True, unit_id=unit_id)))
