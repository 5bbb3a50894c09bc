"""Periods as lists of half-open [start, end) ranges, shared by the dashboard, 每月一题 and the joins hook."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

Ranges = list[tuple[dt.datetime, dt.datetime]]


def in_ranges(field: str, ranges: Ranges) -> Q:
    """`field` falls in one of the half-open [start, end) ranges (at least one)."""
    q = Q()
    for start, end in ranges:
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q
