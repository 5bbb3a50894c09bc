"""Who sees what in the back office: roles, principals, and each staff user's scope.

This module is the one place that decides which requests a staff user may
see, and whose contact details they may read in full. Every staff path asks
it: the request changelist and change page, the 督办 queue, the outbox, the
other record lists, exports, the dashboard, admin autocomplete, citizens'
photos, and the workflow's own unit checks. Do not write a second copy of
these rules anywhere: call `scope_of` and the queryset helpers below.

The rules:
- A user's roles come from their permissions (`roles.PERMISSION_*`), whether
  granted through a role group or directly; an inactive user holds none.
- Dispatchers and supervisors see every request, with full contact details.
- A handler sees the requests with an active assignment, as lead or as
  assisting unit, to one of their *active* units; full contact details only
  where their unit is the active lead (they must call the citizen).
- Anyone else (staff without a role, a handler whose units were all
  deactivated) sees no request.
- The citizen and the system are principals, not users: they act through the
  workflow only and see nothing in the back office.

`scope_of(user)` is computed once per user object (one request's
`request.user`) and cached on it; a change of roles or units takes effect on
the user's next request.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value

from requests_app.models import HelpRequest

from . import roles
from .models import Assignment, Unit, UnitMembership

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class ContactVisible(TypedDict):
    contact_visible: bool


class Role(enum.StrEnum):
    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    # 话务员: types in callers' and walk-ins' requests (dispatch/intake.py); sees no request list.
    OPERATOR = "operator"
    # Not staff: held only by the principals below, never granted to a user.
    CITIZEN = "citizen"  # the requester, proven by the signed tracking link
    SYSTEM = "system"  # the platform itself (automatic close, rework after 不满意)


STAFF_ROLES = frozenset({Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR})
# The roles that see every request and every citizen's contact details.
ALL_SEEING_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR})

ROLE_PERMISSIONS = {
    Role.DISPATCHER: roles.PERMISSION_TRIAGE,
    Role.HANDLER: roles.PERMISSION_HANDLE,
    Role.SUPERVISOR: roles.PERMISSION_SUPERVISE,
    Role.OPERATOR: roles.PERMISSION_INTAKE,
}


@dataclass(frozen=True)
class Principal:
    """An actor that is not a staff user: the citizen on the progress page, or the system.

    Their events have no `actor` foreign key, only `actor_label`.
    """

    role: Role
    label: str

    is_active = True


CITIZEN = Principal(role=Role.CITIZEN, label="市民")
SYSTEM = Principal(role=Role.SYSTEM, label="系统")
# `request.user` is a `User` (AUTH_USER_MODEL is Django's own) or, logged out, an `AnonymousUser`.
Actor = User | AnonymousUser | Principal


def actor_user(actor: Actor) -> User | None:
    """The actor's user row for a foreign key (`actor`, `recorded_by` …): None for a principal.

    An anonymous user holds no role, so no action reaches a write with one.
    """
    return actor if isinstance(actor, User) else None


@dataclass(frozen=True)
class Scope:
    """What one actor may see: everything, or the requests of these units (as lead or assisting)."""

    roles: frozenset[Role]
    unit_ids: frozenset[int]
    # The intake page's own reach (`intake_scope`): recent requests' number, title and state, city-wide.
    intake: bool = False

    @property
    def sees_all(self) -> bool:
        return bool(self.roles & ALL_SEEING_ROLES)

    @property
    def is_staff_role(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def handler_unit_ids(self) -> frozenset[int]:
        """The units whose requests a handler works on (none without the handler role)."""
        return self.unit_ids if Role.HANDLER in self.roles else frozenset()

    @cached_property
    def handler_requests_q(self) -> Q:
        """A handler's requests as a filter (`requests_of_units_q`), built once per scope (one small query)."""
        return requests_of_units_q(unit_ids=self.handler_unit_ids)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def acts_for_any(self, unit_ids: Iterable[int]) -> bool:
        """Whether one of `unit_ids` is one of this actor's active units (the workflow's unit check)."""
        return not self.unit_ids.isdisjoint(unit_ids)


NOBODY = Scope(roles=frozenset(), unit_ids=frozenset())
_CACHE_ATTR = "_yibang_access_scope"


def actor_roles(actor: Actor) -> frozenset[Role]:
    """The workflow roles an actor holds: a user's from their permissions, a principal's its own."""
    return scope_of(actor).roles


def actor_unit_ids(actor: Actor) -> frozenset[int]:
    """The active units a user is a member of (a principal has none)."""
    return scope_of(actor).unit_ids


def scope_of(actor: Actor) -> Scope:
    """The actor's scope, computed once per user object."""
    if isinstance(actor, Principal):
        return Scope(roles=frozenset({actor.role}), unit_ids=frozenset())
    cached = actor.__dict__.get(_CACHE_ATTR)
    if cached is not None:
        return cached
    if isinstance(actor, AnonymousUser) or not actor.is_active or not actor.is_authenticated:
        scope = NOBODY
    else:
        held = frozenset(role for role, perm in ROLE_PERMISSIONS.items() if actor.has_perm(perm))
        units = frozenset(
            UnitMembership.objects.filter(user=actor, unit__is_active=True).values_list("unit_id", flat=True)
        )
        scope = Scope(roles=held, unit_ids=units)
    actor.__dict__[_CACHE_ATTR] = scope
    return scope


def scope_forget(actor: Actor) -> None:
    """Drop a cached scope (after changing a user's roles or units within one request or test)."""
    if not isinstance(actor, Principal):
        actor.__dict__.pop(_CACHE_ATTR, None)
        for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
            actor.__dict__.pop(attr, None)


# --- Requests -------------------------------------------------------------------------


def requests_visible(*, scope: Scope, queryset: QuerySet | None = None, ref: str = "pk") -> QuerySet:
    """`queryset` narrowed to the requests `scope` may see.

    `ref` names the queryset's column holding the request id ("pk" for
    requests, "request_id" for rows that belong to a request). On requests,
    a handler's filter is the request's own lead unit column
    (`HelpRequest.lead_unit_id`, kept by the workflow; req_lead_created_idx)
    or one of the few active assisting hand-overs to their units (a hashed
    set of ids), so the planner never probes the assignments row by row.
    Elsewhere it is an EXISTS on the partial (unit, request) index of active
    assignments.
    """
    qs = HelpRequest.objects.all() if queryset is None else queryset
    if scope.sees_all or scope.intake:
        return qs
    unit_ids = sorted(scope.handler_unit_ids)
    if not unit_ids:
        return qs.none()
    if ref == "pk" and issubclass(qs.model, HelpRequest):  # the request table (or a proxy of it)
        return qs.filter(scope.handler_requests_q)
    return qs.filter(Exists(Assignment.objects.filter(request=OuterRef(ref), unit_id__in=unit_ids).active()))


# Up to this many assisted requests are listed in the filter as constants (see requests_of_units_q).
ASSISTED_INLINE_MAX = 20_000


def requests_of_units_q(*, unit_ids: Iterable[int]) -> Q:
    """Requests with an active hand-over (lead or assisting) to one of `unit_ids`, as a filter on requests.

    The lead side is the request's own column (`HelpRequest.lead_unit_id`). The
    assisting side is read first from the partial assignment_assist_idx (index
    only) and listed as constants: PostgreSQL then estimates the filter's share
    of the table right (a subquery in an OR is guessed at half the table, which
    turns the capped count into a sequential scan) and tests it per row with a
    hash. Past ASSISTED_INLINE_MAX it stays a subquery.
    """
    units = sorted(unit_ids)
    lead = Q(lead_unit_id__in=units)
    assisting = Assignment.objects.filter(unit_id__in=units, role=Assignment.Role.ASSIST).active()
    ids = list(assisting.order_by().values_list("request_id", flat=True)[: ASSISTED_INLINE_MAX + 1])
    if len(ids) > ASSISTED_INLINE_MAX:
        return lead | Q(pk__in=assisting.values("request_id"))
    return lead | Q(pk__in=sorted(set(ids))) if ids else lead


def requests_visible_to(*, user: Actor, queryset: QuerySet | None = None) -> QuerySet:
    return requests_visible(scope=scope_of(user), queryset=queryset)


def contact_visible(*, scope: Scope, help_request: HelpRequest) -> bool:
    """Full name, phone and address only for those who must contact the citizen.

    Dispatchers, supervisors, and handlers of the request's active lead unit.
    """
    if scope.sees_all:
        return True
    if not scope.handler_unit_ids:
        return False
    return (
        Assignment.objects.filter(request=help_request, unit_id__in=sorted(scope.handler_unit_ids))
        .active_lead()
        .exists()
    )


def contact_visible_to(*, user: Actor, help_request: HelpRequest) -> bool:
    return contact_visible(scope=scope_of(user), help_request=help_request)


def requests_with_contact_visible(
    *, scope: Scope, queryset: QuerySet[HelpRequest]
) -> QuerySet[WithAnnotations[HelpRequest, ContactVisible]]:
    """Annotate `contact_visible` (the rule of `contact_visible`) for every row, in the same query."""
    if scope.sees_all:
        return queryset.annotate(contact_visible=Value(True, output_field=BooleanField()))
    if not scope.handler_unit_ids:
        return queryset.annotate(contact_visible=Value(False, output_field=BooleanField()))
    # The request's own lead unit column (HelpRequest.lead_unit_id), not a probe per row.
    mine = ExpressionWrapper(Q(lead_unit_id__in=sorted(scope.handler_unit_ids)), output_field=BooleanField())
    return queryset.annotate(contact_visible=mine)


def may_take_intake(actor: Actor) -> bool:
    """Operators (话务员) type in requests for callers and walk-ins; so may dispatchers and supervisors."""
    held = scope_of(actor).roles
    return Role.OPERATOR in held or bool(held & ALL_SEEING_ROLES)


def intake_scope(actor: Actor) -> Scope:
    """What the intake page may look through for one who takes calls: recent requests city-wide, so the
    operator can tell a caller theirs is already being handled (the page shows number, title and state,
    never another citizen's contact details). Contact rules (`contact_visible`) are unchanged."""
    scope = scope_of(actor)
    if not may_take_intake(actor):
        return NOBODY
    return Scope(roles=scope.roles, unit_ids=scope.unit_ids, intake=True)


# --- Units ----------------------------------------------------------------------------


def units_visible(*, scope: Scope) -> QuerySet[Unit]:
    """The units whose figures a user may see: all for dispatchers and supervisors, else their own."""
    if scope.sees_all:
        return Unit.objects.all()
    return Unit.objects.filter(pk__in=sorted(scope.handler_unit_ids))


# --- People ---------------------------------------------------------------------------


def staff_with_role(role: Role) -> QuerySet:
    """The active users holding `role` (through a role group or a permission granted directly).

    The same rule as `scope_of`, as a query: who the outbox tells when
    something is for the dispatchers or the supervisors.
    """
    app_label, codename = ROLE_PERMISSIONS[role].split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
        .distinct()
    )
