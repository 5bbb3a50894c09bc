"""Daily rollups of the /stats/ figures: per local day of submission, per channel, district and lead unit.

/stats/ counts a cohort (requests submitted in the last N days) by its state
and deadlines now. For the whole local days inside the period it reads
`StatsCell` rows (58 a day: the total, 12 channels, 16 districts, the units)
instead of aggregating millions of requests, deadlines and ratings; the
partial first day and today are computed live from the rows, with the very
functions that build the rollups (`stats.cells_live`), so both paths share
one definition.

Freshness, exactly:
- Every workflow transition and every sweep batch marks the submission day
  of the requests it changed dirty (`days_touch`), in its own transaction.
  Today is not marked: it is always computed live, and a day is rolled up
  only once it is over.
- A running promise turns "missed" when its due time passes, without a row
  changing: a day's rollup holds until the earliest such due time
  (`StatsDay.valid_until`), then it is rebuilt.
- A day not built, dirty or past `valid_until` is stale: a reader counts it
  live from the rows (so a GET never writes, and a replica can serve it);
  beat (`stats.figures_warm`) and `manage.py rollups_rebuild` rebuild it.

A rebuild locks the day's `StatsDay` row, so a transition marking that day
waits for it and marks it dirty again afterwards: no change is lost.
Submissions do not mark: a request is submitted on the day it is created, and
today is never rolled up (an import of older requests runs `rollups_rebuild`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from requests_app.models import Deadline, HelpRequest
from requests_app.selectors import Totals, totals_aggregates

from . import dashboard, problems
from .models import Assignment, ProblemDayCell, SourceDayCell, StatsCell, StatsDay, UnitDayCell
from .periods import ranges_merged
from .stats import KINDS, DimKey, Rate, Row, cells_fold, cells_live

DIM_OF = {"all": "", "category": "category_id", "district": "district_id", "unit": "lead__unit_id"}
MODEL_DIM = {v: k for k, v in DIM_OF.items()}
COUNTS = ("received", "resolved", "reported", "open_now", "closed")


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The aware start of `day` and of the next day, in the site's time zone."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def days_touch(*, created: Iterable[dt.datetime], now: dt.datetime, request_ids: Iterable[int] = ()) -> None:
    """Mark the submission days of changed requests dirty; call inside the changing transaction.

    With `request_ids`, also the days of their lead hand-overs (the dashboard's
    unit cells are per hand-over day): pass them whenever a change can move the
    unit table (assignments, the resolve promise, ratings, reopening).
    """
    today = timezone.localdate(now)
    days = {timezone.localdate(c) for c in created}
    ids = list(request_ids)
    if ids:
        assigned = Assignment.objects.filter(request_id__in=ids, role=Assignment.Role.LEAD)
        days |= {timezone.localdate(at) for at in assigned.values_list("assigned_at", flat=True)}
    past = sorted(days - {today})
    if not past:
        return
    StatsDay.objects.bulk_create(
        [StatsDay(day=day, dirty=True) for day in past],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["dirty"],
    )


def day_rebuild(*, day: dt.date, now: dt.datetime | None = None) -> None:
    """Recompute one day's cells from the rows, as of `now`."""
    now = now or timezone.now()
    since, until = day_bounds(day)
    with transaction.atomic():
        StatsDay.objects.bulk_create([StatsDay(day=day)], ignore_conflicts=True)
        StatsDay.objects.select_for_update().get(day=day)
        folded = cells_fold(cells_live(since=since, until=until, now=now))
        StatsCell.objects.filter(day=day).delete()
        StatsCell.objects.bulk_create(_cell(day, dim_key, row) for dim_key, row in folded.items())
        UnitDayCell.objects.filter(day=day).delete()
        scorecard = dashboard.scorecard_live(ranges=[(since, until)], now=now)
        UnitDayCell.objects.bulk_create(_unit_cell(day, row) for row in scorecard.values())
        ProblemDayCell.objects.filter(day=day).delete()
        ProblemDayCell.objects.bulk_create(
            problems.problem_cells(day, problems.problems_live(ranges=[(since, until)], now=now))
        )
        SourceDayCell.objects.filter(day=day).delete()
        SourceDayCell.objects.bulk_create(
            SourceDayCell(day=day, source=source, received=n)
            for source, n in sources_live(ranges=[(since, until)]).items()
        )
        valid_until = _valid_until(since=since, until=until, now=now)
        StatsDay.objects.filter(day=day).update(built_at=now, valid_until=valid_until, dirty=False)


def _valid_until(*, since: dt.datetime, until: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """When the day's figures next change without a row changing, or None.

    A running promise of the day's requests (or of the requests handed over
    that day) falls due; a hand-over of the day not yet accepted nor returned
    leaves the acceptance window (it then counts as not accepted on time).
    """
    window = dt.timedelta(seconds=settings.ACCEPT_WITHIN_SECONDS)
    open_due = Deadline.objects.filter(due_at__gte=now).open()
    candidates = [
        open_due.filter(request__created_at__gte=since, request__created_at__lt=until).aggregate(first=Min("due_at"))[
            "first"
        ],
        open_due.filter(
            kind=Deadline.Kind.RESOLVE,
            request__assignments__role=Assignment.Role.LEAD,
            request__assignments__is_active=True,
            request__assignments__assigned_at__gte=since,
            request__assignments__assigned_at__lt=until,
        ).aggregate(first=Min("due_at"))["first"],
    ]
    waiting = Assignment.objects.filter(
        role=Assignment.Role.LEAD,
        assigned_at__gte=max(since, now - window),
        assigned_at__lt=until,
        accepted_at__isnull=True,
        returned_at__isnull=True,
    ).aggregate(first=Min("assigned_at"))["first"]
    if waiting is not None:
        candidates.append(waiting + window)
    present = [c for c in candidates if c is not None]
    return min(present) if present else None


def _unit_cell(day: dt.date, row: dashboard.UnitRow) -> UnitDayCell:
    return UnitDayCell(
        day=day,
        unit_id=row.unit_id,
        received=row.received,
        accepted_ok=row.accepted_on_time.hits,
        accepted_n=row.accepted_on_time.n,
        returned=row.returned,
        reopened=row.reopened,
        solved_kept=row.solved_on_time.hits,
        solved_missed=row.solved_on_time.n - row.solved_on_time.hits,
        ratings=row.satisfaction.n,
        ratings_good=row.satisfaction.hits,
    )


def scorecard_read(*, unit_ids: list[int], since: dt.datetime, now: dt.datetime) -> dict[int, dashboard.UnitRow]:
    """`dashboard.scorecard_live(since, now)` for these units: fresh whole days from the cells, the rest live."""
    out: dict[int, dashboard.UnitRow] = {}
    whole = _whole_days(since=since, now=now)
    ranges = [(since, now)]
    if whole is not None:
        first, last, stale = whole
        fields = [f.name for f in UnitDayCell._meta.concrete_fields if f.name not in ("id", "day", "unit")]
        for g in (
            UnitDayCell.objects.filter(day__gte=first, day__lte=last, unit_id__in=unit_ids)
            .exclude(day__in=stale)
            .values("unit_id")
            .annotate(**{f: Sum(f) for f in fields})
            .order_by()
        ):
            out[g["unit_id"]] = dashboard.UnitRow(
                unit_id=g["unit_id"],
                name="",
                received=g["received"],
                accepted_on_time=Rate(g["accepted_ok"], g["accepted_n"]),
                solved_on_time=Rate(g["solved_kept"], g["solved_kept"] + g["solved_missed"]),
                returned=g["returned"],
                reopened=g["reopened"],
                satisfaction=Rate(g["ratings_good"], g["ratings"]),
            )
        ranges = _live_ranges(since=since, now=now, first=first, stale=stale)
    for unit_id, row in dashboard.scorecard_live(ranges=ranges, now=now, unit_ids=unit_ids).items():
        dashboard.scorecard_add(out.setdefault(unit_id, dashboard.UnitRow(unit_id=unit_id, name="")), row)
    return out


def sources_live(*, ranges: list[tuple[dt.datetime, dt.datetime]]) -> dict[str, int]:
    """Requests submitted in the [start, end) `ranges`, per source, from the rows (one aggregate)."""
    if not ranges:
        return {}
    q = Q()
    for start, end in ranges:
        q |= Q(created_at__gte=start, created_at__lt=end)
    rows = HelpRequest.objects.filter(q).values("source").annotate(n=Count("id")).order_by()
    return {r["source"]: r["n"] for r in rows}


def sources_read(*, since: dt.datetime, now: dt.datetime) -> dict[str, int]:
    """`sources_live` over [since, now): fresh whole days from `SourceDayCell`, the rest live."""
    out: dict[str, int] = defaultdict(int)
    ranges = [(since, now)]
    whole = _whole_days(since=since, now=now)
    if whole is not None:
        first, last, stale = whole
        for source, n in (
            SourceDayCell.objects.filter(day__gte=first, day__lte=last)
            .exclude(day__in=stale)
            .values("source")
            .annotate(n=Sum("received"))
            .order_by()
            .values_list("source", "n")
        ):
            out[source] += n
        ranges = _live_ranges(since=since, now=now, first=first, stale=stale)
    for source, n in sources_live(ranges=ranges).items():
        out[source] += n
    return {source: n for source, n in out.items() if n}


def _whole_days(*, since: dt.datetime, now: dt.datetime) -> tuple[dt.date, dt.date, list[dt.date]] | None:
    """The whole local days inside [since, now) before today and the stale ones among them; None if none is fresh."""
    first_start, _ = day_bounds(timezone.localdate(since))
    first = timezone.localdate(since) + dt.timedelta(days=0 if since == first_start else 1)
    last = timezone.localdate(now) - dt.timedelta(days=1)
    if first > last:
        return None
    stale = days_stale(first=first, last=last, now=now)
    if len(stale) == (last - first).days + 1:
        return None
    return first, last, stale


def _live_ranges(
    *, since: dt.datetime, now: dt.datetime, first: dt.date, stale: list[dt.date]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """What the rollups do not hold: the partial first day, stale days and today, adjacent ones merged."""
    ranges = [(since, day_bounds(first)[0]), *(day_bounds(day) for day in stale)]
    ranges.append((day_bounds(timezone.localdate(now))[0], now))
    return ranges_merged(ranges)


def _cell(day: dt.date, dim_key: DimKey, row: Row) -> StatsCell:
    dim, key = dim_key
    cell = StatsCell(
        day=day, dim=MODEL_DIM[dim], key=key, ratings=row.satisfaction.n, ratings_good=row.satisfaction.hits
    )
    for name in COUNTS:
        setattr(cell, name, getattr(row, name))
    for kind in KINDS:
        rate = row.on_time[kind]
        setattr(cell, f"{kind}_kept", rate.hits)
        setattr(cell, f"{kind}_missed", rate.n - rate.hits)
    return cell


def days_stale(*, first: dt.date, last: dt.date, now: dt.datetime) -> list[dt.date]:
    """The days in [first, last] whose rollup is missing, dirty or past its validity."""
    fresh = set(
        StatsDay.objects.filter(day__gte=first, day__lte=last, dirty=False, built_at__isnull=False)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=now))
        .values_list("day", flat=True)
    )
    days, day = [], first
    while day <= last:
        if day not in fresh:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def days_refresh(*, first: dt.date, last: dt.date, now: dt.datetime | None = None) -> int:
    """Rebuild every stale day in [first, last] (never today or later); returns how many."""
    now = now or timezone.now()
    last = min(last, timezone.localdate(now) - dt.timedelta(days=1))
    stale = days_stale(first=first, last=last, now=now) if first <= last else []
    for day in stale:
        day_rebuild(day=day, now=now)
    return len(stale)


def rollup_read(
    *, first: dt.date, last: dt.date, skip: list[dt.date]
) -> tuple[dict[DimKey, Row], dict[dt.date, tuple]]:
    """The folded figures and the per-day (received, resolved) of the days [first, last] but `skip`.

    Reads only: the caller counts the stale days (`days_stale`) live instead.
    """
    fields = [*COUNTS, "ratings", "ratings_good", *(f"{k}_{x}" for k in KINDS for x in ("kept", "missed"))]
    folded: dict[DimKey, Row] = defaultdict(Row)
    for g in (
        StatsCell.objects.filter(day__gte=first, day__lte=last)
        .exclude(day__in=skip)
        .values("dim", "key")
        .annotate(**{f: Sum(f) for f in fields})
        .order_by()
    ):
        row = folded[(DIM_OF[g["dim"]], g["key"])]
        for name in COUNTS:
            setattr(row, name, g[name])
        row.satisfaction = Rate(g["ratings_good"], g["ratings"])
        for kind in KINDS:
            kept, missed = g[f"{kind}_kept"], g[f"{kind}_missed"]
            row.on_time[kind] = Rate(kept, kept + missed)
    trend = {
        day: (received, resolved)
        for day, received, resolved in StatsCell.objects.filter(day__gte=first, day__lte=last, dim=StatsCell.Dim.ALL)
        .exclude(day__in=skip)
        .values_list("day", "received", "resolved")
    }
    return folded, trend


def totals_all_time(*, now: dt.datetime) -> Totals:
    """The all-time headline figures (`requests_app.selectors.public_totals`'s definition) from the rollups.

    Fresh rolled-up days are summed; days before the first rollup, stale days,
    today and anything after `now` are counted live from the rows (one
    aggregate per range). Without any rollup this is one aggregate over the table.
    """
    today = timezone.localdate(now)
    first = StatsDay.objects.aggregate(first=Min("day"))["first"]
    sums = dict.fromkeys(COUNTS, 0)
    ranges: list[tuple[dt.datetime | None, dt.datetime | None]] = []
    if first is None or first >= today:
        ranges.append((None, None))
    else:
        last = today - dt.timedelta(days=1)
        stale = days_stale(first=first, last=last, now=now)
        got = (
            StatsCell.objects.filter(dim=StatsCell.Dim.ALL, day__gte=first, day__lte=last)
            .exclude(day__in=stale)
            .aggregate(**{name: Sum(name) for name in COUNTS})
        )
        for name in COUNTS:
            sums[name] += got[name] or 0
        ranges.append((None, day_bounds(first)[0]))
        ranges += [day_bounds(day) for day in stale]
        ranges.append((day_bounds(today)[0], None))
    merged: list[list] = []
    for start, end in ranges:
        if merged and merged[-1][1] is not None and merged[-1][1] == start:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    for start, end in merged:
        qs = HelpRequest.objects.all()
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lt=end)
        for name, value in qs.aggregate(**totals_aggregates()).items():
            sums[name] += value
    return Totals(**sums)
