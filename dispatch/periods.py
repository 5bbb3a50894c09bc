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


def ranges_merged(ranges: Ranges) -> Ranges:
    """The ranges in order with adjacent ones joined and empty ones dropped (each becomes one query's OR term)."""
    merged: list[list[dt.datetime]] = []
    for start, end in ranges:
        if merged and merged[-1][1] == start:
            merged[-1][1] = end
        elif start < end:
            merged.append([start, end])
    return [(start, end) for start, end in merged]
