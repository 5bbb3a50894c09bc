"""Public figures for /stats/: totals, on-time rates of the four promises, satisfaction, by channel/district/unit.

Selectors only (reads). Definitions (the README's "Public figures" section says the same):

- The period is a cohort: requests *submitted* in the last N days (7/30/365),
  counted by their state and deadlines now.
- A promise is kept when its deadline was met at or before its due time;
  missed when met late, or still unmet and unwaived after its due time.
  Waived promises (not urgent after triage, invalid, duplicate) and promises
  still running (not due yet) count in neither: rate = kept / (kept + missed).
- Satisfaction = (满意 + 基本满意) / all ratings (online and 电话回访), one rating
  per resolution, for the period's requests.
- Unit = the lead unit (主办) of the request's active hand-over; requests not
  handed over have none.
- A rate from fewer than `settings.STATS_MIN_SAMPLE` cases is shown with its
  count and never ranked.

Cost: four aggregate queries over the period's rows (requests, deadlines and
ratings, each grouped by channel × district × lead unit and joined to the
active lead; one per day for the trend) plus three small name look-ups; the
result is cached for `settings.STATS_CACHE_SECONDS`. See bench/stats_million.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from requests_app.models import RESOLVED_STATES, Category, Deadline, DeadlineQuerySet, District, Feedback, HelpRequest
from requests_app.selectors import Totals, totals_aggregates

from .models import Unit
from .periods import ranges_merged

PERIODS = (7, 30, 365)
DEFAULT_PERIOD = 30
KINDS = (Deadline.Kind.CONTACT, Deadline.Kind.URGENT, Deadline.Kind.RESOLVE, Deadline.Kind.FEEDBACK)
RANK_BY = Deadline.Kind.RESOLVE  # tables are ranked by "solved within 7 hours"
SATISFIED = (Feedback.Rating.SATISFIED, Feedback.Rating.BASIC)
CACHE_KEY = "dispatch:stats:{days}"
DIMS = ("category_id", "district_id", "lead__unit_id")


@dataclass(frozen=True)
class Rate:
    """hits out of n, with the small-sample rule."""

    hits: int = 0
    n: int = 0

    @property
    def percent(self) -> float | None:
        return round(100 * self.hits / self.n, 1) if self.n else None

    @property
    def is_small(self) -> bool:
        return self.n < settings.STATS_MIN_SAMPLE

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.hits + other.hits, self.n + other.n)


@dataclass
class Row:
    """One line of a breakdown (a channel, a district, a unit), or the period's total."""

    key: int | None = None
    label: str = ""
    received: int = 0
    resolved: int = 0
    reported: int = 0
    open_now: int = 0
    closed: int = 0
    on_time: dict[str, Rate] = field(default_factory=lambda: {k: Rate() for k in KINDS})
    satisfaction: Rate = field(default_factory=Rate)
    rank: int | None = None

    def add(self, other: Row) -> None:
        for name in ("received", "resolved", "reported", "open_now", "closed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k in KINDS:
            self.on_time[k] = self.on_time[k] + other.on_time[k]
        self.satisfaction = self.satisfaction + other.satisfaction

    @property
    def rates(self) -> list[Rate]:
        return [self.on_time[k] for k in KINDS]


@dataclass
class Figures:
    days: int
    since: dt.datetime
    until: dt.datetime
    all_time: Totals
    period: Row
    by_channel: list[Row]
    by_district: list[Row]
    by_unit: list[Row]
    trend: list[tuple[dt.date, int, int]]  # (local day, received, resolved of those)


def period_days(value: str | None) -> int:
    """The period picker's value, or the default for anything else."""
    if value is None:
        return DEFAULT_PERIOD
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


KEPT = DeadlineQuerySet.KEPT


def _missed(now: dt.datetime) -> Q:
    return DeadlineQuerySet.missed_q(now)


def _request_groups(*, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """One GROUP BY (channel, district, lead unit) over the period's requests.

    The lead unit is the request's own column (`HelpRequest.lead_unit_id`, kept by the
    workflow from the active lead assignment): no join.
    """
    return list(
        HelpRequest.objects.filter(created_at__gte=since, created_at__lt=until)
        .values("category_id", "district_id", "lead_unit_id")
        .annotate(**totals_aggregates())
        .order_by()
    )


def _deadline_groups(*, since: dt.datetime, until: dt.datetime, now: dt.datetime) -> list[dict]:
    """One GROUP BY (kind, channel, district, lead unit) over the period's deadlines: kept and missed."""
    return list(
        Deadline.objects.filter(request__created_at__gte=since, request__created_at__lt=until)
        .values("kind", "request__category_id", "request__district_id", "request__lead_unit_id")
        .annotate(kept=Count("id", filter=KEPT), missed=Count("id", filter=_missed(now)))
        .order_by()
    )


def _feedback_groups(*, since: dt.datetime, until: dt.datetime) -> list[dict]:
    return list(
        Feedback.objects.filter(request__created_at__gte=since, request__created_at__lt=until)
        .values("request__category_id", "request__district_id", "request__lead_unit_id")
        .annotate(n=Count("id"), good=Count("id", filter=Q(rating__in=SATISFIED)))
        .order_by()
    )


def _trend_counts(*, since: dt.datetime, until: dt.datetime) -> dict[dt.date, tuple[int, int]]:
    """Per local day of submission in [since, until): (received, resolved of those)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    rows = (
        HelpRequest.objects.filter(created_at__gte=since, created_at__lt=until)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(received=Count("id"), resolved=Count("id", filter=Q(state__in=RESOLVED_STATES)))
        .order_by("day")
    )
    return {r["day"]: (r["received"], r["resolved"]) for r in rows}


def _trend(
    *, since: dt.datetime, until: dt.datetime, by_day: dict[dt.date, tuple[int, int]]
) -> list[tuple[dt.date, int, int]]:
    tz = ZoneInfo(settings.TIME_ZONE)
    first, last = since.astimezone(tz).date(), (until - dt.timedelta(microseconds=1)).astimezone(tz).date()
    days = []
    day = first
    while day <= last:
        received, resolved = by_day.get(day, (0, 0))
        days.append((day, received, resolved))
        day += dt.timedelta(days=1)
    return days


def rows_rank(*, rows: Iterable[Row], by: str = RANK_BY) -> list[Row]:
    """Rank rows by one promise's on-time rate; rows with a small sample come after, unranked.

    Ties keep the same rank; among equal rates the bigger sample comes first.
    """
    rows = list(rows)
    ranked = sorted(
        (r for r in rows if not r.on_time[by].is_small),
        key=lambda r: (-r.on_time[by].hits / r.on_time[by].n, -r.on_time[by].n, r.label),
    )
    previous, rank = None, 0
    for position, row in enumerate(ranked, start=1):
        rate = row.on_time[by].hits / row.on_time[by].n
        if rate != previous:
            rank, previous = position, rate
        row.rank = rank
    small = sorted((r for r in rows if r.on_time[by].is_small), key=lambda r: (-r.received, r.label))
    for row in small:
        row.rank = None
    return ranked + small


# A figure's place: ("", None) for the period's total, else (dimension, key) with a DIMS name.
DimKey = tuple[str, int | None]
Cells = dict[tuple, Row]


def cells_live(*, since: dt.datetime, until: dt.datetime, now: dt.datetime) -> Cells:
    """The finest grain, (channel, district, lead unit), of the requests submitted in [since, until), from rows."""
    cells: Cells = defaultdict(Row)
    for g in _request_groups(since=since, until=until):
        cell = cells[(g["category_id"], g["district_id"], g["lead_unit_id"])]
        for name in ("received", "resolved", "reported", "open_now", "closed"):
            setattr(cell, name, g[name])
    for g in _deadline_groups(since=since, until=until, now=now):
        cell = cells[(g["request__category_id"], g["request__district_id"], g["request__lead_unit_id"])]
        cell.on_time[g["kind"]] = Rate(g["kept"], g["kept"] + g["missed"])
    for g in _feedback_groups(since=since, until=until):
        cell = cells[(g["request__category_id"], g["request__district_id"], g["request__lead_unit_id"])]
        cell.satisfaction = Rate(g["good"], g["n"])
    return cells


def cells_fold(cells: Cells) -> dict[DimKey, Row]:
    """The total and the three breakdowns, each a sum of cells."""
    folded: dict[DimKey, Row] = defaultdict(Row)
    for key, cell in cells.items():
        folded[("", None)].add(cell)
        for position, name in enumerate(DIMS):
            folded[(name, key[position])].add(cell)
    return folded


def _fold_into(target: dict[DimKey, Row], source: dict[DimKey, Row]) -> None:
    for key, row in source.items():
        target[key].add(row)


def _figures(
    *, days: int, since: dt.datetime, now: dt.datetime, folded: dict[DimKey, Row], by_day: dict, all_time: Totals
) -> Figures:
    labels = {
        "category_id": dict(Category.objects.values_list("pk", "name")),
        "district_id": dict(District.objects.values_list("pk", "name")),
        "lead__unit_id": dict(Unit.objects.values_list("pk", "name")),
    }

    def breakdown(dim: str) -> list[Row]:
        rows = []
        for (name, key), row in folded.items():
            if name != dim or key is None:  # requests not handed over have no unit
                continue
            row.key, row.label = key, labels[dim].get(key, "")
            rows.append(row)
        return rows_rank(rows=rows)

    period = folded.get(("", None)) or Row()
    period.label = ""
    return Figures(
        days=days,
        since=since,
        until=now,
        all_time=all_time,
        period=period,
        by_channel=breakdown("category_id"),
        by_district=breakdown("district_id"),
        by_unit=breakdown("lead__unit_id"),
        trend=_trend(since=since, until=now, by_day=by_day),
    )


def figures_from_rows(*, days: int, now: dt.datetime | None = None) -> Figures:
    """Every figure on /stats/ for the last `days` days, aggregated from the rows (the definition)."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    folded = cells_fold(cells_live(since=since, until=now, now=now))
    by_day = _trend_counts(since=since, until=now)
    all_time = Totals(**HelpRequest.objects.aggregate(**totals_aggregates()))  # uncached: the definition
    return _figures(days=days, since=since, now=now, folded=folded, by_day=by_day, all_time=all_time)


def figures_compute(*, days: int, now: dt.datetime | None = None) -> Figures:
    """Every figure on /stats/ (uncached): whole past days from the rollups, the rest live from rows.

    Equal to `figures_from_rows` (dispatch/tests/test_rollups.py proves it on random data).
    """
    from . import rollups

    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    first_start, _ = rollups.day_bounds(timezone.localdate(since))
    first_full = timezone.localdate(since) + dt.timedelta(days=0 if since == first_start else 1)
    today = timezone.localdate(now)
    if first_full >= today:
        return figures_from_rows(days=days, now=now)
    last_full = today - dt.timedelta(days=1)
    stale = rollups.days_stale(first=first_full, last=last_full, now=now)
    if len(stale) == (last_full - first_full).days + 1:
        return figures_from_rows(days=days, now=now)
    folded, by_day = rollups.rollup_read(first=first_full, last=last_full, skip=stale)
    folded = defaultdict(Row, folded)
    # Live: the partial first day, stale days (rebuilt by beat), today; adjacent ones in one range.
    ranges = [(since, rollups.day_bounds(first_full)[0])]
    ranges += [rollups.day_bounds(day) for day in stale]
    ranges.append((rollups.day_bounds(today)[0], now))
    for start, end in ranges_merged(ranges):
        _fold_into(folded, cells_fold(cells_live(since=start, until=end, now=now)))
        by_day.update(_trend_counts(since=start, until=end))
    all_time = rollups.totals_all_time(now=now)
    return _figures(days=days, since=since, now=now, folded=folded, by_day=by_day, all_time=all_time)


def figures_warm() -> None:
    """Rebuild stale daily rollups, then recompute every period's figures into the cache (beat runs this)."""
    from . import rollups

    now = timezone.now()
    today = timezone.localdate(now)
    rollups.days_refresh(first=today - dt.timedelta(days=max(PERIODS) + 1), last=today, now=now)
    for days in PERIODS:
        cache.set(CACHE_KEY.format(days=days), figures_compute(days=days), settings.STATS_CACHE_SECONDS)


def figures_get(*, days: int) -> Figures:
    """The /stats/ figures, cached briefly: they are aggregates over the whole period."""
    key = CACHE_KEY.format(days=days)
    figures = cache.get(key)
    if figures is None:
        figures = figures_compute(days=days)
        cache.set(key, figures, settings.STATS_CACHE_SECONDS)
    return figures
