"""Reads for the back office: which requests a user may see, what they may do now, the worklist columns.

Scoping rule: dispatchers and supervisors see every request; a handler sees
only requests with an active assignment (lead or assisting) to one of their
units; anyone else sees none. Every admin URL goes through `requests_visible_to`.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from requests_app.models import FINISHED_STATES, Deadline, HelpRequest

from . import workflow
from .models import Assignment, ExtensionRequest
from .workflow import Action, Role


def requests_visible_to(*, user: AbstractBaseUser, queryset: QuerySet[HelpRequest] | None = None) -> QuerySet:
    qs = HelpRequest.objects.all() if queryset is None else queryset
    user_roles = workflow.actor_roles(user)
    if Role.DISPATCHER in user_roles or Role.SUPERVISOR in user_roles:
        return qs
    if Role.HANDLER in user_roles:
        unit_ids = list(workflow.actor_unit_ids(user))
        # EXISTS on the partial (unit, request) index of active assignments.
        return qs.filter(
            Exists(Assignment.objects.filter(request=OuterRef("pk"), is_active=True, unit_id__in=unit_ids))
        )
    return qs.none()


def request_actions_for(*, help_request: HelpRequest, user: AbstractBaseUser) -> list[Action]:
    """The actions `user` may take on `help_request` right now (the change view's buttons)."""
    ctx = workflow.context_load(help_request=help_request, actor=user)
    return workflow.actions_allowed(ctx=ctx)


def contact_visible_to(*, help_request: HelpRequest, user: AbstractBaseUser) -> bool:
    """Full name and phone only for those who must contact the citizen.

    Dispatchers, supervisors, and handlers of the request's active lead unit.
    """
    user_roles = workflow.actor_roles(user)
    if Role.DISPATCHER in user_roles or Role.SUPERVISOR in user_roles:
        return True
    if Role.HANDLER not in user_roles:
        return False
    return Assignment.objects.filter(
        request=help_request,
        is_active=True,
        role=Assignment.Role.LEAD,
        unit_id__in=list(workflow.actor_unit_ids(user)),
    ).exists()


def _open_deadlines() -> QuerySet[Deadline]:
    return Deadline.objects.filter(request=OuterRef("pk"), met_at__isnull=True, waived_at__isnull=True)


def requests_late(*, queryset: QuerySet[HelpRequest], now: dt.datetime | None = None) -> QuerySet[HelpRequest]:
    """Open requests with a promise past due and neither met nor waived (served by deadline_open_idx).

    A closed, invalid or duplicate request is finished: a promise it missed
    stays on record for the figures but no longer needs anyone's action.
    """
    now = now or timezone.now()
    late_ids = Deadline.objects.filter(due_at__lt=now, met_at__isnull=True, waived_at__isnull=True).values("request_id")
    return queryset.filter(pk__in=late_ids).exclude(state__in=FINISHED_STATES)


def requests_with_worklist_columns(*, queryset: QuerySet[HelpRequest]) -> QuerySet[HelpRequest]:
    """Annotate what the changelist shows, as correlated subqueries evaluated only for the page's rows."""
    return queryset.annotate(
        next_due_at=Subquery(_open_deadlines().order_by("due_at").values("due_at")[:1]),
        next_due_kind=Subquery(_open_deadlines().order_by("due_at").values("kind")[:1]),
        lead_unit_name=Subquery(
            Assignment.objects.filter(request=OuterRef("pk"), is_active=True, role=Assignment.Role.LEAD).values(
                "unit__short_name"
            )[:1]
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
