"""每月一题's figures per channel × district × lead unit, counted from the rows (the rollups store them per day).

Definitions, for the requests *submitted* in a range (a cohort, as /stats/):
- received: the requests;
- duplicates: marked duplicate of another request (重复件, and 并单 of a surge);
- repeat callers: the same phone (its keyed hash) submitted another request in
  the `REPEAT_WINDOW` before this one; requests without a phone never count;
- repeats: duplicates or repeat callers, each request once (the share of repeats
  is repeats / received);
- on time: the 7-hour resolve promise kept, out of kept + missed, as of `now`
  (the definition of /stats/ and the dashboard);
- unit: the active lead (主办) now; None when not handed over.

我也遇到 joins live in the board app, which dispatch does not import: they are
read through `joins.joins_per_problem` (see dispatch/joins.py).

`rollups.day_rebuild` stores `problems_live` of one day as `ProblemDayCell`
rows; `monthly` reads fresh days from them and the rest from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from requests_app.models import Deadline, DeadlineQuerySet, HelpRequest

from .joins import ProblemKey
from .models import ProblemDayCell
from .periods import Ranges, in_ranges

REPEAT_WINDOW = dt.timedelta(days=30)

Key = ProblemKey  # category_id, district_id, lead unit id


@dataclass
class Problem:
    received: int = 0
    duplicates: int = 0
    repeat_callers: int = 0
    repeats: int = 0
    resolve_kept: int = 0
    resolve_missed: int = 0

    def add(self, other: Problem) -> None:
        for name in FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


FIELDS = ("received", "duplicates", "repeat_callers", "repeats", "resolve_kept", "resolve_missed")


def problems_live(*, ranges: Ranges, now: dt.datetime, unit_ids: list[int] | None = None) -> dict[Key, Problem]:
    """The figures of the requests submitted in the [start, end) ranges, as of `now`: two aggregates.

    `unit_ids` keeps only the requests whose active lead is one of them (a handler's units).
    """
    if not ranges:
        return {}
    out: dict[Key, Problem] = {}
    earlier = HelpRequest.objects.filter(
        phone_hash=OuterRef("phone_hash"),
        created_at__lt=OuterRef("created_at"),
        created_at__gte=OuterRef("created_at") - REPEAT_WINDOW,
    )
    repeat_caller = Q(Exists(earlier)) & ~Q(phone_hash="")
    requests = HelpRequest.objects.filter(in_ranges("created_at", ranges))
    if unit_ids is not None:
        requests = requests.filter(lead_unit_id__in=unit_ids)
    for g in (
        requests.values("category_id", "district_id", "lead_unit_id")
        .annotate(
            n=Count("id"),
            # Not named like the fields: "duplicates" is HelpRequest's reverse relation.
            n_duplicate=Count("id", filter=Q(duplicate_of__isnull=False)),
            n_repeat_caller=Count("id", filter=repeat_caller),
            n_repeat=Count("id", filter=Q(duplicate_of__isnull=False) | repeat_caller),
        )
        .order_by()
    ):
        out[(g["category_id"], g["district_id"], g["lead_unit_id"])] = Problem(
            received=g["n"],
            duplicates=g["n_duplicate"],
            repeat_callers=g["n_repeat_caller"],
            repeats=g["n_repeat"],
        )
    deadlines = Deadline.objects.filter(in_ranges("request__created_at", ranges), kind=Deadline.Kind.RESOLVE)
    if unit_ids is not None:
        deadlines = deadlines.filter(request__lead_unit_id__in=unit_ids)
    for g in (
        deadlines.values("request__category_id", "request__district_id", "request__lead_unit_id")
        .annotate(
            kept=Count("id", filter=DeadlineQuerySet.KEPT), missed=Count("id", filter=DeadlineQuerySet.missed_q(now))
        )
        .order_by()
    ):
        key = (g["request__category_id"], g["request__district_id"], g["request__lead_unit_id"])
        problem = out.setdefault(key, Problem())
        problem.resolve_kept, problem.resolve_missed = g["kept"], g["missed"]
    return out


def problem_cells(day: dt.date, problems: dict[Key, Problem]) -> list[ProblemDayCell]:
    """The rollup rows of one day's `problems_live`."""
    return [
        ProblemDayCell(
            day=day,
            category_id=category_id,
            district_id=district_id,
            unit_id=unit_id,
            **{name: getattr(p, name) for name in FIELDS},
        )
        for (category_id, district_id, unit_id), p in problems.items()
    ]
