"""Reads for the back office: what a user may do now, the worklist columns, the list filters.

Which requests a user may see is decided by `dispatch.access`, not here: the
helpers below narrow or annotate a queryset that is already scoped.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from requests_app.models import HelpRequest, running_due_expression

from . import access, workflow
from .models import Assignment, ExtensionRequest
from .workflow import Action


def request_actions_for(*, help_request: HelpRequest, user: User | AnonymousUser) -> list[Action]:
    """The actions `user` may take on `help_request` right now (the change view's buttons)."""
    ctx = workflow.context_load(help_request=help_request, actor=user)
    return workflow.actions_allowed(ctx=ctx)


def requests_late(*, queryset: QuerySet[HelpRequest], now: dt.datetime | None = None) -> QuerySet[HelpRequest]:
    """Open requests with a promise past due and neither met nor waived (served by req_next_due_idx).

    The request's earliest running promise (`next_due_at`, requests_app.clock)
    is past due exactly when one of its running promises is. A closed, invalid
    or duplicate request is finished: a promise it missed stays on record for
    the figures but no longer needs anyone's action.
    """
    now = now or timezone.now()
    # One expression (requests_app's running_due_expression, indexed by req_late_due_idx), not two
    # dependent clauses the planner would underestimate.
    return queryset.alias(running_due=running_due_expression()).filter(running_due__lt=now)


def requests_with_worklist_columns(*, queryset: QuerySet[HelpRequest]) -> QuerySet[HelpRequest]:
    """Annotate what the changelist shows, as correlated subqueries evaluated only for the page's rows.

    The time left is the request's own clock column (`next_due_at`), not a subquery.
    """
    return queryset.annotate(
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
    """Requests with an active hand-over (lead or assisting) to the unit: its lead column or its few assists."""
    return queryset.filter(access.requests_of_units_q(unit_ids=[unit_id]))
