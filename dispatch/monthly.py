"""每月一题: the month's recurring problems per district × channel (and the units handling them), for supervisors.

A month is a local calendar month (settings.TIME_ZONE, Asia/Shanghai); its
requests are those *submitted* in it (a cohort, as /stats/), counted with the
definitions of `dispatch.problems`. Each group shows the month's count, the
three months before it and the change against their mean, the resolve
promise's on-time rate, the share of repeats, and the 我也遇到 joins made in
the month. The headline (每月一题) of a district is its biggest group of at
least `RECURRING_MIN` requests.

Reads: fresh whole days from the `ProblemDayCell` rollups; stale days and today
counted live from the rows (`problems.problems_live`), so a GET never writes.
Scope comes from `dispatch.access`: dispatchers and supervisors see every
unit, a handler only the requests whose lead is one of their units.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app.models import Category, District

from . import access, rollups
from .joins import joins_per_problem
from .models import ProblemDayCell, Unit
from .periods import Ranges, ranges_merged
from .problems import FIELDS, Key, Problem, problems_live
from .stats import Rate

TREND_MONTHS = 3
PICKER_MONTHS = 24
RECURRING_MIN = 2


# --- Months -----------------------------------------------------------------------------


def month_add(month: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after `month`'s (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The aware start of `month` and of the next month, in the site's time zone."""
    return rollups.day_bounds(month)[0], rollups.day_bounds(month_add(month, 1))[0]


def month_default(now: dt.datetime) -> dt.date:
    """The last complete month."""
    return month_add(timezone.localdate(now).replace(day=1), -1)


def month_choices(now: dt.datetime) -> list[dt.date]:
    """The picker's months, newest first: this month (so far) and the `PICKER_MONTHS` before it."""
    this = timezone.localdate(now).replace(day=1)
    return [month_add(this, -n) for n in range(PICKER_MONTHS + 1)]


def month_parse(value: str | None, *, now: dt.datetime) -> dt.date:
    """A picker value "YYYY-MM" among `month_choices`, or the default for anything else."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        chosen = dt.date(year, month, 1)
    except (TypeError, ValueError):
        return month_default(now)
    return chosen if chosen in month_choices(now) else month_default(now)


# --- Reads -------------------------------------------------------------------------------


def problems_read(*, month: dt.date, now: dt.datetime, unit_ids: list[int] | None) -> dict[Key, Problem]:
    """`problems_live` of the month's requests as of `now`: fresh days from the rollups, the rest live."""
    first, until = month, month_add(month, 1) - dt.timedelta(days=1)
    today = timezone.localdate(now)
    out: dict[Key, Problem] = {}
    ranges: Ranges = []
    last = min(until, today - dt.timedelta(days=1))
    if first <= last:
        stale = rollups.days_stale(first=first, last=last, now=now)
        ranges += [rollups.day_bounds(day) for day in stale]
        if len(stale) <= (last - first).days:
            cells = ProblemDayCell.objects.filter(day__gte=first, day__lte=last).exclude(day__in=stale)
            if unit_ids is not None:
                cells = cells.filter(unit_id__in=unit_ids)
            for g in (
                cells.values("category_id", "district_id", "unit_id")
                .annotate(**{name: Sum(name) for name in FIELDS})
                .order_by()
            ):
                out[(g["category_id"], g["district_id"], g["unit_id"])] = Problem(**{n: g[n] for n in FIELDS})
    if first <= today <= until:
        ranges.append((rollups.day_bounds(today)[0], now))
    for key, problem in problems_live(ranges=ranges_merged(ranges), now=now, unit_ids=unit_ids).items():
        out.setdefault(key, Problem()).add(problem)
    return out


@dataclass
class ProblemRow:
    """One recurring problem: a district × channel, its lead units and its figures."""

    district_id: int
    district: str
    category_id: int
    category: str
    counts: list[int]  # the months before, oldest first, then this month
    problem: Problem = field(default_factory=Problem)
    units: list[tuple[str, int]] = field(default_factory=list)  # this month's lead units, most requests first
    me_too: int = 0
    headline: bool = False

    @property
    def received(self) -> int:
        return self.counts[-1]

    @property
    def previous(self) -> list[int]:
        return self.counts[:-1]

    @property
    def baseline(self) -> float:
        """The mean of the months before."""
        return round(sum(self.previous) / len(self.previous), 1) if self.previous else 0.0

    @property
    def change(self) -> float:
        return round(self.received - self.baseline, 1)

    @property
    def change_percent(self) -> int | None:
        return round(100 * self.change / self.baseline) if self.baseline else None

    @property
    def on_time(self) -> Rate:
        kept, missed = self.problem.resolve_kept, self.problem.resolve_missed
        return Rate(kept, kept + missed)

    @property
    def repeat_share(self) -> Rate:
        return Rate(self.problem.repeats, self.problem.received)


@dataclass
class MonthlyReport:
    month: dt.date
    months: list[dt.date]  # the months before, oldest first, then this month
    rows: list[ProblemRow]  # most requests first
    headlines: list[ProblemRow]  # each district's biggest problem, most requests first
    total: ProblemRow


def monthly_report(*, user: User | AnonymousUser, month: dt.date, now: dt.datetime | None = None) -> MonthlyReport:
    """The report of `month` within the user's scope (an empty one for users without a staff role)."""
    now = now or timezone.now()
    scope = access.scope_of(user)
    unit_ids = None if scope.sees_all else sorted(scope.handler_unit_ids)
    months = [month_add(month, -n) for n in range(TREND_MONTHS, -1, -1)]
    if not scope.is_staff_role:
        unit_ids = []
    per_month = [problems_read(month=m, now=now, unit_ids=unit_ids) for m in months]
    me_too = joins_per_problem(ranges=[month_bounds(month)], unit_ids=unit_ids) if unit_ids != [] else {}
    this = per_month[-1]

    groups: dict[tuple[int, int], list[int]] = {}
    for i, got in enumerate(per_month):
        for (category_id, district_id, _unit), problem in got.items():
            groups.setdefault((district_id, category_id), [0] * len(months))[i] += problem.received
    for category_id, district_id, _unit in me_too:  # joins, perhaps without a new request this month
        groups.setdefault((district_id, category_id), [0] * len(months))
    names = _names(keys=[*this, *me_too])
    rows: dict[tuple[int, int], ProblemRow] = {}
    for (district_id, category_id), counts in groups.items():
        rows[(district_id, category_id)] = ProblemRow(
            district_id=district_id,
            district=names["district"].get(district_id, ""),
            category_id=category_id,
            category=names["category"].get(category_id, ""),
            counts=counts,
        )
    total = ProblemRow(district_id=0, district="", category_id=0, category="", counts=[0] * len(months))
    for i, got in enumerate(per_month):
        total.counts[i] = sum(p.received for p in got.values())
    units: dict[tuple[int, int], dict[int | None, int]] = defaultdict(dict)
    for (category_id, district_id, unit_id), problem in this.items():
        rows[(district_id, category_id)].problem.add(problem)
        total.problem.add(problem)
        units[(district_id, category_id)][unit_id] = problem.received
    for (category_id, district_id, _unit), n in me_too.items():
        rows[(district_id, category_id)].me_too += n
        total.me_too += n
    for key, by_unit in units.items():
        rows[key].units = sorted(
            ((names["unit"].get(u, "") if u is not None else gettext("未交办"), n) for u, n in by_unit.items()),
            key=lambda pair: (-pair[1], pair[0]),
        )
    shown = sorted(
        (r for r in rows.values() if r.received or r.me_too),
        key=lambda r: (-r.received, -r.change, r.district_id, r.category_id),
    )
    headlines: dict[int, ProblemRow] = {}
    for row in shown:
        if row.received >= RECURRING_MIN and row.district_id not in headlines:
            row.headline = True
            headlines[row.district_id] = row
    return MonthlyReport(month=month, months=months, rows=shown, headlines=list(headlines.values()), total=total)


def _names(*, keys: list[Key]) -> dict[str, dict[int, str]]:
    """The names of the channels, districts and units in `keys`: three small look-ups."""
    category_ids = {k[0] for k in keys}
    district_ids = {k[1] for k in keys}
    unit_ids = {k[2] for k in keys if k[2] is not None}
    return {
        "category": dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name")),
        "district": dict(District.objects.filter(pk__in=district_ids).values_list("pk", "name")),
        "unit": dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {},
    }


# --- Export ------------------------------------------------------------------------------


def export_header(report: MonthlyReport) -> list:
    before = [f"{m:%Y-%m}" for m in report.months[:-1]]
    return [
        _("每月一题"), _("区县(市)"), _("类别"), _("主办单位"), *before, f"{report.month:%Y-%m}",
        _("前三月均值"), _("变化"), _("变化%"), _("按时办结"), _("办结样本"), _("按时办结率%"),
        _("重复件"), _("同一电话再次来诉"), _("重复件与再次来诉"), _("重复占比%"), _("我也遇到"),
    ]  # fmt: skip


def export_rows(report: MonthlyReport) -> list[list]:
    """The page's table as rows, the headline problems marked; the last row is the total."""
    yes = gettext("是")
    out = []
    for r in [*report.rows, report.total]:
        is_total = r is report.total
        out.append(
            [
                yes if r.headline else "",
                gettext("合计") if is_total else r.district,
                "" if is_total else r.category,
                "" if is_total else "、".join(f"{name}（{n}）" for name, n in r.units),
                *r.counts,
                r.baseline,
                r.change,
                "" if r.change_percent is None else r.change_percent,
                r.on_time.hits,
                r.on_time.n,
                "" if r.on_time.percent is None else r.on_time.percent,
                r.problem.duplicates,
                r.problem.repeat_callers,
                r.problem.repeats,
                "" if r.repeat_share.percent is None else r.repeat_share.percent,
                r.me_too,
            ]
        )
    return out
