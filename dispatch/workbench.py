"""The 工作台: each staff member's queues on the admin index, next task first.

Per role, the queues that role works (dispatcher: 待列单, 待交单 incl. 退回,
已超时, 待回访; handler: 待签收, 办理中, 重办, 已超时; supervisor:
已超时, 重办, 待回访), each with its count, the three most urgent requests
(earliest open deadline first) and a link into the request changelist with
the same filter, sorted by time left. Which requests count is decided by
`dispatch.access` (a handler's queues hold only their units' requests).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from requests_app.models import HelpRequest, State

from . import access, selectors
from .access import Role

# The changelist's column index of 时限 (0 is the action checkbox): `?o=5` sorts by time left.
TIME_LEFT_ORDER = "5"
URGENT_SHOWN = 3


@dataclass(frozen=True)
class QueueSpec:
    key: str
    label: str | Promise
    states: tuple[str, ...] = ()
    late: bool = False

    def filter(self, queryset: QuerySet[HelpRequest]) -> QuerySet[HelpRequest]:
        if self.late:
            return selectors.requests_late(queryset=queryset)
        return queryset.filter(state__in=self.states)

    def params(self) -> dict[str, str]:
        if self.late:
            return {"late": "1"}
        if len(self.states) == 1:
            return {"state__exact": self.states[0]}
        return {"state__in": ",".join(self.states)}


LATE = QueueSpec("late", _("已超时"), late=True)
TO_VISIT = QueueSpec("to_visit", _("待回访"), (State.RESOLVED,))
REWORK = QueueSpec("rework", _("重办"), (State.REOPENED,))
QUEUES: dict[Role, tuple[QueueSpec, ...]] = {
    Role.DISPATCHER: (
        QueueSpec("to_list", _("待列单"), (State.SUBMITTED,)),
        QueueSpec("to_hand_over", _("待交单（含退回）"), (State.LISTED, State.RETURNED)),
        LATE,
        TO_VISIT,
    ),
    Role.HANDLER: (
        QueueSpec("to_accept", _("待签收"), (State.HANDED_OVER,)),
        QueueSpec("in_progress", _("办理中"), (State.ACCEPTED,)),
        REWORK,
        LATE,
    ),
    Role.SUPERVISOR: (LATE, REWORK, TO_VISIT),
}
ROLE_LABELS = {Role.DISPATCHER: _("平台交办员"), Role.HANDLER: _("承办人"), Role.SUPERVISOR: _("督办员")}


@dataclass(frozen=True)
class Queue:
    key: str
    label: str | Promise
    count: int
    urgent: list[HelpRequest]
    url: str


@dataclass(frozen=True)
class RoleQueues:
    role: Role
    label: str | Promise
    queues: list[Queue]


def workbench_for(*, user: User | AnonymousUser) -> list[RoleQueues]:
    """The user's queues, role by role (none for staff without a workflow role)."""
    scope = access.scope_of(user)
    visible = access.requests_visible(scope=scope, queryset=HelpRequest.objects.all())
    changelist = reverse("admin:requests_app_helprequest_changelist")
    result = []
    for role, specs in QUEUES.items():
        if not scope.has(role):
            continue
        queues = []
        for spec in specs:
            queryset = spec.filter(visible)
            urgent = list(
                selectors.requests_with_worklist_columns(queryset=queryset).order_by(
                    F("next_due_at").asc(nulls_last=True), "created_at", "pk"
                )[:URGENT_SHOWN]
            )
            params = urlencode({**spec.params(), "o": TIME_LEFT_ORDER})
            queues.append(Queue(spec.key, spec.label, queryset.count(), urgent, f"{changelist}?{params}"))
        result.append(RoleQueues(role, ROLE_LABELS[role], queues))
    return result
