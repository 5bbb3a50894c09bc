"""Reads of surges for the dashboard and the admin. Surges are city-wide: only staff who see every
request (`access.Scope.sees_all`: dispatchers, supervisors) see them."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, Count, IntegerField, OuterRef, QuerySet, Subquery, Value, When

from requests_app.models import HelpRequest

from .. import access
from ..joins import join_counts
from .models import Surge, SurgeMember

DASHBOARD_LIMIT = 10


def surges_visible(*, user: User | AnonymousUser) -> QuerySet[Surge]:
    if not access.scope_of(user).sees_all:
        return Surge.objects.none()
    first_title = (
        HelpRequest.objects.filter(surge_membership__surge=OuterRef("pk"))
        .order_by("created_at", "id")
        .values("title")[:1]
    )
    return Surge.objects.select_related("district", "category", "lead").annotate(
        member_count=Count("memberships"), title=Subquery(first_title)
    )


def surges_for_dashboard(*, user: User | AnonymousUser, limit: int = DASHBOARD_LIMIT) -> list[Surge]:
    """Open surges first (newest first), then the latest handled ones; each with `member_count` (one query)."""
    open_first = Case(When(state=Surge.State.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return surges_with_joins(surges=list(surges_visible(user=user).order_by(open_first, "-detected_at", "-id")[:limit]))


def surges_with_joins(*, surges: list[Surge]) -> list[Surge]:
    """Set `me_too` on each surge: the 我也遇到 added so far to its members (two queries for the lot).

    The rule's `joins` are those inside its window; this is every join, as the supervisor
    reads it beside the members (`joins.join_counts`, from the apps that registered a source).
    """
    members = list(SurgeMember.objects.filter(surge__in=surges).values_list("surge_id", "request_id"))
    counts = join_counts(request_ids=[pk for _, pk in members])
    totals: dict[int, int] = {}
    for surge_id, pk in members:
        totals[surge_id] = totals.get(surge_id, 0) + counts.get(pk, 0)
    for surge in surges:
        surge.me_too = totals.get(surge.pk, 0)  # type: ignore[attr-defined]
    return surges


def surge_members(*, surge: Surge) -> list[HelpRequest]:
    """The members, oldest first, with what the surge's page shows (no personal data) and `me_too`."""
    members = list(
        HelpRequest.objects.filter(surge_membership__surge=surge)
        .select_related("duplicate_of")
        .only(
            "pk",
            "ticket_number",
            "title",
            "state",
            "created_at",
            "duplicate_of__ticket_number",
            "latitude",
            "longitude",
        )
        .order_by("created_at", "id")
    )
    counts = join_counts(request_ids=[m.pk for m in members])
    for member in members:
        member.me_too = counts.get(member.pk, 0)  # type: ignore[attr-defined]
    return members
