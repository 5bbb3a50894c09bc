"""Reads for the supervisors' dashboard (考核): the per-unit table, what is late now, and the exports' rows.

Scope comes from `dispatch.access`: dispatchers and supervisors see every
unit, a handler only the rows of their own units; the late list and the
request export only the requests the user may see. Phones and names in
exports are masked unless `access.requests_with_contact_visible` says the
user may see them; every full one exported is recorded (`services.requests_export`).

Definitions, for lead hand-overs (主办) made in the period:
- received: hand-overs to the unit;
- accepted on time: 签收 within `settings.ACCEPT_WITHIN_SECONDS` of the
  hand-over, out of those accepted or still unaccepted (and not returned)
  after that window;
- solved on time: the 7-hour promise kept, out of kept + missed (as /stats/),
  for requests whose active lead is the unit;
- returned: hand-overs the unit returned (退单);
- reopened: requests still with the unit that were reopened at least once;
- satisfaction: (满意 + 基本满意) / ratings of those requests;
- late now (not period-bound): open requests with the unit as active lead and
  a promise past due, neither met nor waived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from helpdesk.timefmt import local_minute
from requests_app.models import OPEN_STATES, Deadline, DeadlineQuerySet, Feedback, HelpRequest, running_due_expression
from requests_app.phones import name_mask, phone_mask

from . import access, selectors
from .models import Assignment, AssignmentQuerySet
from .periods import Ranges, in_ranges
from .stats import SATISFIED, Rate

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations

LATE_LIST_LIMIT = 100


@dataclass
class UnitRow:
    unit_id: int
    name: str
    received: int = 0
    accepted_on_time: Rate = field(default_factory=Rate)
    solved_on_time: Rate = field(default_factory=Rate)
    returned: int = 0
    reopened: int = 0
    satisfaction: Rate = field(default_factory=Rate)
    late_now: int = 0


# column → label (lazy: staff read them in their language); rates sort by their value, small samples last.
COLUMNS = {
    "name": _("单位"),
    "received": _("受理"),
    "accepted_on_time": _("按时签收率"),
    "solved_on_time": _("按时办结率"),
    "returned": _("退单"),
    "reopened": _("重办"),
    "satisfaction": _("满意率"),
    "late_now": _("当前超时"),
}
RATE_COLUMNS = ("accepted_on_time", "solved_on_time", "satisfaction")


def _lead_in_period(prefix: str, ranges: Ranges) -> FilteredRelation:
    return FilteredRelation(
        f"{prefix}assignments",
        condition=AssignmentQuerySet.active_lead_q(f"{prefix}assignments__")
        & in_ranges(f"{prefix}assignments__assigned_at", ranges),
    )


def units_scorecard(
    *, user: User | AnonymousUser, days: int, now: dt.datetime | None = None, order: str = "solved_on_time"
) -> list[UnitRow]:
    """The per-unit table for the last `days` days, sorted by `order` (prefix "-" for ascending).

    Whole past days come from the daily rollups (`rollups.scorecard_read`), the
    rest live from the rows; equal to `units_scorecard_from_rows`.
    """
    from . import rollups

    now = now or timezone.now()
    return _scorecard(
        user=user,
        now=now,
        order=order,
        counts=lambda ids: rollups.scorecard_read(unit_ids=ids, since=now - dt.timedelta(days=days), now=now),
    )


def units_scorecard_from_rows(
    *, user: User | AnonymousUser, days: int, now: dt.datetime | None = None, order: str = "solved_on_time"
) -> list[UnitRow]:
    """The definition of `units_scorecard`: every count aggregated from the rows (tests compare the two)."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    return _scorecard(
        user=user,
        now=now,
        order=order,
        counts=lambda ids: scorecard_live(unit_ids=ids, ranges=[(since, now)], now=now),
    )


def _scorecard(*, user: User | AnonymousUser, now: dt.datetime, order: str, counts) -> list[UnitRow]:
    units = access.units_visible(scope=access.scope_of(user))
    rows = {u.pk: UnitRow(unit_id=u.pk, name=u.name) for u in units.order_by("kind", "order", "id")}
    if not rows:
        return []
    for unit_id, got in counts(list(rows)).items():
        row = rows[unit_id]
        row.received, row.returned, row.reopened = got.received, got.returned, got.reopened
        row.accepted_on_time, row.solved_on_time, row.satisfaction = (
            got.accepted_on_time,
            got.solved_on_time,
            got.satisfaction,
        )
    # "A running promise past due" is the request's clock column (requests_app.clock), its active lead
    # the request's lead unit column (dispatch.workflow.lead_unit): an index-only pass over
    # req_lead_late_due_idx (88 k late rows at 5 M: the heap was 0.55 s), never a join to the
    # assignments. Not period-bound.
    for g in (
        HelpRequest.objects.alias(running_due=running_due_expression())
        .filter(lead_unit_id__in=list(rows), running_due__lt=now, state__in=OPEN_STATES)
        .values("lead_unit_id")
        .annotate(n=Count("lead_unit_id"))
        .order_by()
    ):
        rows[g["lead_unit_id"]].late_now = g["n"]
    return units_sort(rows=list(rows.values()), order=order)


def scorecard_live(*, ranges: Ranges, now: dt.datetime, unit_ids: list[int] | None = None) -> dict[int, UnitRow]:
    """The period-bound columns for the lead hand-overs made in the [start, end) `ranges`, as of `now`, per unit.

    Three aggregates, however many ranges; `unit_ids=None` counts every unit (the rollups' rebuild).
    """
    if not ranges:
        return {}
    window = dt.timedelta(seconds=settings.ACCEPT_WITHIN_SECONDS)
    out: dict[int, UnitRow] = {}

    def row(unit_id: int) -> UnitRow:
        return out.setdefault(unit_id, UnitRow(unit_id=unit_id, name=""))

    leads = Assignment.objects.filter(in_ranges("assigned_at", ranges), role=Assignment.Role.LEAD)
    if unit_ids is not None:
        leads = leads.filter(unit_id__in=unit_ids)
    for g in (
        leads.values("unit_id")
        .annotate(
            received=Count("id"),
            accepted_ok=Count("id", filter=Q(accepted_at__lte=F("assigned_at") + window)),
            accepted_n=Count(
                "id",
                filter=Q(accepted_at__isnull=False)
                | Q(accepted_at__isnull=True, returned_at__isnull=True, assigned_at__lt=now - window),
            ),
            returned=Count("id", filter=Q(returned_at__isnull=False)),
            reopened=Count("id", filter=Q(is_active=True, request__reopen_count__gt=0)),
        )
        .order_by()
    ):
        r = row(g["unit_id"])
        r.received, r.returned, r.reopened = g["received"], g["returned"], g["reopened"]
        r.accepted_on_time = Rate(g["accepted_ok"], g["accepted_n"])

    deadlines = Deadline.objects.filter(kind=Deadline.Kind.RESOLVE).annotate(lead=_lead_in_period("request__", ranges))
    deadlines = (
        deadlines.filter(lead__unit_id__in=unit_ids)
        if unit_ids is not None
        else deadlines.filter(lead__unit_id__isnull=False)
    )
    for g in (
        deadlines.values("lead__unit_id")
        .annotate(
            kept=Count("id", filter=DeadlineQuerySet.KEPT),
            missed=Count("id", filter=DeadlineQuerySet.missed_q(now)),
        )
        .order_by()
    ):
        row(g["lead__unit_id"]).solved_on_time = Rate(g["kept"], g["kept"] + g["missed"])

    ratings = Feedback.objects.annotate(lead=_lead_in_period("request__", ranges))
    ratings = (
        ratings.filter(lead__unit_id__in=unit_ids)
        if unit_ids is not None
        else ratings.filter(lead__unit_id__isnull=False)
    )
    for g in (
        ratings.values("lead__unit_id")
        .annotate(n=Count("id"), good=Count("id", filter=Q(rating__in=SATISFIED)))
        .order_by()
    ):
        row(g["lead__unit_id"]).satisfaction = Rate(g["good"], g["n"])
    return out


def scorecard_add(target: UnitRow, other: UnitRow) -> None:
    """Add `other`'s period-bound counts into `target` (rates add hits and samples)."""
    target.received += other.received
    target.returned += other.returned
    target.reopened += other.reopened
    for name in ("accepted_on_time", "solved_on_time", "satisfaction"):
        mine, theirs = getattr(target, name), getattr(other, name)
        setattr(target, name, Rate(mine.hits + theirs.hits, mine.n + theirs.n))


def units_sort(*, rows: list[UnitRow], order: str) -> list[UnitRow]:
    """Sort by a column; numbers and rates high first ("-" reverses); small-sample rates always last."""
    ascending = order.startswith("-")
    column = order.lstrip("-")
    if column not in COLUMNS:
        column, ascending = "solved_on_time", False
    if column == "name":
        return sorted(rows, key=lambda r: r.name, reverse=ascending)
    if column in RATE_COLUMNS:
        big = [r for r in rows if not getattr(r, column).is_small]
        small = [r for r in rows if getattr(r, column).is_small]
        big.sort(key=lambda r: getattr(r, column).hits / getattr(r, column).n, reverse=not ascending)
        small.sort(key=lambda r: (-getattr(r, column).n, r.name))
        return big + small
    return sorted(rows, key=lambda r: getattr(r, column), reverse=not ascending)


class LateRow(TypedDict):
    """What `requests_late_now` adds to each request (the late list's columns)."""

    overdue_since: dt.datetime
    overdue_kind: str
    lead_unit_name: str | None
    overdue_label: StrOrPromise


def requests_late_now(
    *, user: User | AnonymousUser, now: dt.datetime | None = None
) -> list[WithAnnotations[HelpRequest, LateRow]]:
    """Open requests with a promise past due, most late first, within the user's scope (at most 100)."""
    now = now or timezone.now()
    qs = access.requests_visible(scope=access.scope_of(user)).filter(state__in=OPEN_STATES)
    qs = selectors.requests_late(queryset=qs, now=now)
    # cast: annotate() types its columns Any, and overdue_label is set below.
    late = cast(
        "list[WithAnnotations[HelpRequest, LateRow]]",
        list(
            qs.annotate(
                # The earliest running promise, past due here, is the earliest overdue one:
                # the clock columns (requests_app.clock), so this is a scan of req_active_due_idx.
                overdue_since=F("next_due_at"),
                overdue_kind=F("next_due_kind"),
                lead_unit_name=Subquery(
                    Assignment.objects.filter(request=OuterRef("pk")).active_lead().values("unit__name")[:1]
                ),
            )
            .select_related("category", "district")
            .only("ticket_number", "title", "state", "created_at", "category__name", "district__name")
            .order_by("next_due_at", "pk")[:LATE_LIST_LIMIT]
        ),
    )
    for req in late:
        req.overdue_label = Deadline.Kind(req.overdue_kind).label
    return late


# --- Exports -------------------------------------------------------------------------

EXPORT_MAX_ROWS = 100_000

REQUEST_EXPORT_HEADER = [
    _("编号"), _("提交时间"), _("状态"), _("类别"), _("区县(市)"), _("主办单位"), _("急"), _("难"), _("愁"), _("盼"),
    _("标题"), _("姓名"), _("联系电话"), _("首次联系时间"), _("办结时间"), _("销号时间"), _("重办次数"), _("最近评价"),
]  # fmt: skip


@dataclass(frozen=True)
class ExportRecord:
    request_id: int
    contact_shown: bool  # the row carries the citizen's full name and phone
    row: list


def request_export_records(*, queryset: QuerySet[HelpRequest], user: User | AnonymousUser) -> Iterator[ExportRecord]:
    """The export's rows for an already scoped and filtered queryset, contact masked where required.

    Callers record every row whose contact is shown (`services.requests_export` does).
    """
    qs = access.requests_with_contact_visible(scope=access.scope_of(user), queryset=queryset).annotate(
        export_lead=Subquery(Assignment.objects.filter(request=OuterRef("pk")).active_lead().values("unit__name")[:1]),
        export_rating=Subquery(Feedback.objects.filter(request=OuterRef("pk")).order_by("-round").values("rating")[:1]),
    )
    ratings = dict(Feedback.Rating.choices)
    yes = gettext("是")
    for r in (
        qs.select_related("category", "district")
        .order_by("-created_at", "-id")[:EXPORT_MAX_ROWS]
        .iterator(chunk_size=2000)
    ):
        # Shown in full only when the rule allows it and there is something to show.
        shown = bool(r.contact_visible and (r.name or r.phone))
        row = [
            r.ticket_number,
            local_minute(r.created_at),
            str(r.get_state_display()),
            r.category.name,
            r.district.name,
            r.export_lead or "",
            *(yes if flag else "" for flag in (r.is_urgent, r.tag_nan, r.tag_chou, r.tag_pan)),
            r.title,
            r.name if r.contact_visible else name_mask(r.name),
            r.phone if r.contact_visible else phone_mask(r.phone),
            local_minute(r.first_contact_at),
            local_minute(r.resolved_at),
            local_minute(r.closed_at),
            r.reopen_count,
            str(ratings.get(r.export_rating, "")),
        ]
        yield ExportRecord(request_id=r.pk, contact_shown=shown, row=row)


UNIT_EXPORT_HEADER = [
    _("单位"), _("受理"), _("按时签收"), _("签收样本"), _("按时签收率%"), _("按时办结"), _("办结样本"), _("按时办结率%"),
    _("退单"), _("重办"), _("满意"), _("评价数"), _("满意率%"), _("当前超时"),
]  # fmt: skip


def unit_export_rows(*, rows: list[UnitRow]) -> Iterator[list]:
    for r in rows:
        yield [
            r.name,
            r.received,
            r.accepted_on_time.hits,
            r.accepted_on_time.n,
            "" if r.accepted_on_time.percent is None else r.accepted_on_time.percent,
            r.solved_on_time.hits,
            r.solved_on_time.n,
            "" if r.solved_on_time.percent is None else r.solved_on_time.percent,
            r.returned,
            r.reopened,
            r.satisfaction.hits,
            r.satisfaction.n,
            "" if r.satisfaction.percent is None else r.satisfaction.percent,
            r.late_now,
        ]
