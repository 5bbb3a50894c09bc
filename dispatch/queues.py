"""The work queues (工作队列): which requests wait for whom, most urgent first.

One definition serves the 工作台 (the admin index: a count and the three most
urgent requests of each queue a user works), the changelist's 工作队列 filter
(`?queue=<key>`, the 工作台's links) and the change page's 下一件 button (the
next request of the same queue). Every queue narrows a queryset that
`dispatch.access` has already scoped to the user, so a queue never shows a
request its reader may not see.

Counts are capped (`COUNT_CAP`): a queue of thousands reads "1000+", and no
count ever scans a whole table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models import FINISHED_STATES, Deadline, Feedback, HelpRequest, State

from . import access, selectors
from .access import Role, Scope
from .models import ExtensionRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

COUNT_CAP = 1000
TOP = 3
UNSATISFIED_DAYS = 30


def _led_by_me(qs: QuerySet[HelpRequest], scope: Scope) -> QuerySet[HelpRequest]:
    """Requests whose active lead unit is one of a handler's units (not those they only assist)."""
    if scope.sees_all:
        return qs
    # The request's denormalised active lead unit (HelpRequest.lead_unit_id, dispatch.workflow.lead_unit).
    return qs.filter(lead_unit_id__in=sorted(scope.handler_unit_ids))


def _due_soon(qs: QuerySet[HelpRequest], scope: Scope, now: dt.datetime) -> QuerySet[HelpRequest]:
    horizon = now + dt.timedelta(seconds=settings.DEADLINE_REMINDER_SECONDS)
    soon = Deadline.objects.open().filter(request=OuterRef("pk"), due_at__gte=now, due_at__lte=horizon)
    return qs.filter(Exists(soon)).exclude(state__in=FINISHED_STATES)


def _extension_pending(qs: QuerySet[HelpRequest], scope: Scope, now: dt.datetime) -> QuerySet[HelpRequest]:
    pending = ExtensionRequest.objects.filter(request=OuterRef("pk"), status=ExtensionRequest.Status.PENDING)
    if not scope.sees_all:  # a handler follows the extensions their own units asked for
        pending = pending.filter(unit_id__in=sorted(scope.handler_unit_ids))
    return qs.filter(Exists(pending))


def _unsatisfied(qs: QuerySet[HelpRequest], scope: Scope, now: dt.datetime) -> QuerySet[HelpRequest]:
    since = now - dt.timedelta(days=UNSATISFIED_DAYS)
    rated = Feedback.objects.filter(request=OuterRef("pk"), rating=Feedback.Rating.UNSATISFIED, created_at__gte=since)
    return qs.filter(Exists(rated))


@dataclass(frozen=True)
class Queue:
    key: str
    label: StrOrPromise
    narrow: Callable[[QuerySet[HelpRequest], Scope, dt.datetime], QuerySet[HelpRequest]]
    # Most urgent first: the next promise due, then the oldest.
    by_due: bool = True


QUEUES: dict[str, Queue] = {
    q.key: q
    for q in (
        Queue("to_list", _("待列单"), lambda qs, scope, now: qs.filter(state=State.SUBMITTED)),
        Queue(
            "to_hand_over",
            _("待交单（含退回）"),
            lambda qs, scope, now: qs.filter(state__in=[State.LISTED, State.RETURNED]),
        ),
        Queue("due_soon", _("即将超时"), _due_soon),
        Queue("late", _("已超时"), lambda qs, scope, now: selectors.requests_late(queryset=qs, now=now)),
        Queue("to_call_back", _("待回访"), lambda qs, scope, now: qs.filter(state=State.RESOLVED)),
        Queue("to_accept", _("待签收"), lambda qs, scope, now: _led_by_me(qs.filter(state=State.HANDED_OVER), scope)),
        Queue(
            "in_progress",
            _("办理中（按剩余时间）"),
            lambda qs, scope, now: _led_by_me(qs.filter(state=State.ACCEPTED), scope),
        ),
        Queue("extension_pending", _("延期待批"), _extension_pending),
        Queue("reopened", _("重办"), lambda qs, scope, now: _led_by_me(qs.filter(state=State.REOPENED), scope)),
        Queue("unsatisfied", _("不满意"), _unsatisfied, by_due=False),
    )
}

# The 工作台's sections: each role's queues, in the order its day goes.
WORKBENCH: tuple[tuple[Role, StrOrPromise, tuple[str, ...]], ...] = (
    (Role.DISPATCHER, _("交办员"), ("to_list", "to_hand_over", "due_soon", "late", "to_call_back")),
    (Role.HANDLER, _("承办单位"), ("to_accept", "in_progress", "extension_pending", "reopened")),
    (Role.SUPERVISOR, _("督办员"), ("late", "extension_pending", "unsatisfied")),
)


def queues_for(scope: Scope) -> list[Queue]:
    """The queues a user works, each once, in the 工作台's order."""
    keys: list[str] = []
    for role, _title, queue_keys in WORKBENCH:
        if scope.has(role):
            keys += [k for k in queue_keys if k not in keys]
    return [QUEUES[k] for k in keys]


def queue_requests(*, key: str, scope: Scope, now: dt.datetime | None = None) -> QuerySet[HelpRequest]:
    """The queue's requests that `scope` may see, most urgent first, with the changelist's columns."""
    queue = QUEUES[key]
    now = now or timezone.now()
    qs = access.requests_visible(scope=scope, queryset=HelpRequest.objects.all())
    qs = selectors.requests_with_worklist_columns(queryset=queue.narrow(qs, scope, now))
    if queue.by_due:
        return qs.order_by(F("next_due_at").asc(nulls_last=True), "created_at", "id")
    return qs.order_by("-updated_at", "-id")


def queue_narrow(*, key: str, scope: Scope, queryset: QuerySet[HelpRequest]) -> QuerySet[HelpRequest]:
    """The changelist's 工作队列 filter: an already scoped queryset narrowed to the queue."""
    return QUEUES[key].narrow(queryset, scope, timezone.now())


@dataclass(frozen=True)
class QueueSummary:
    queue: Queue
    count: int
    capped: bool
    top: list[HelpRequest]

    @property
    def count_text(self) -> str:
        return f"{self.count}+" if self.capped else str(self.count)


def queue_summary(*, key: str, scope: Scope, now: dt.datetime | None = None) -> QueueSummary:
    qs = queue_requests(key=key, scope=scope, now=now)
    count = qs.order_by()[: COUNT_CAP + 1].count()
    capped = count > COUNT_CAP
    return QueueSummary(queue=QUEUES[key], count=min(count, COUNT_CAP), capped=capped, top=list(qs[:TOP]))


@dataclass(frozen=True)
class WorkbenchSection:
    title: StrOrPromise
    queues: list[QueueSummary]


def workbench_for(*, user, now: dt.datetime | None = None) -> list[WorkbenchSection]:
    """The 工作台 of one staff member: a section per role they hold, a summary per queue (read once each)."""
    scope = access.scope_of(user)
    now = now or timezone.now()
    summaries: dict[str, QueueSummary] = {}
    sections = []
    for role, title, keys in WORKBENCH:
        if not scope.has(role):
            continue
        for key in keys:
            if key not in summaries:
                summaries[key] = queue_summary(key=key, scope=scope, now=now)
        sections.append(WorkbenchSection(title=title, queues=[summaries[k] for k in keys]))
    return sections


def queue_next(*, key: str, scope: Scope, after: HelpRequest) -> HelpRequest | None:
    """The most urgent request of the queue other than `after` (the change page's 下一件)."""
    if key not in QUEUES:
        return None
    return queue_requests(key=key, scope=scope).exclude(pk=after.pk).first()
