"""Joins: 我也遇到 and the like, evidence from apps built on dispatch that a problem recurs.

A citizen who adds 我也遇到 to a public request on the 问政 board (the `board`
app) has the problem the request describes, at the time of the join: had the
board not been there, that citizen would have filed a request of their own.
Two readers count them:

- the surge detector counts each join like one more member of the group of the
  request it was added to (`surges/rule.py`), and the surge pages show them;
- 每月一题 counts the month's joins per (channel, district, lead unit)
  (`problems.py`).

dispatch never imports board (the import contract is `kb | board -> dispatch ->
requests_app -> helpdesk`): an app registers one source from its
`AppConfig.ready()` (board: `board.selectors.me_too_times` and
`me_too_by_problem`), and both readers ask every registered source. Without
one, there are no joins and no query.

A source answers, each in one query and never with anything personal:
- `times(request_ids=[...], since=..., until=...)`: for those requests, the
  times of their joins in `(since, until]` (`None`: open-ended);
- `per_problem(ranges=[(start, end), ...], unit_ids=[...] | None)`: the joins
  made in the `[start, end)` ranges per (channel id, district id, active lead
  unit id or None), only those of requests led by `unit_ids` unless None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .periods import Ranges

ProblemKey = tuple[int, int, int | None]  # category_id, district_id, lead unit id


@dataclass(frozen=True)
class JoinsSource:
    times: Callable[..., dict[int, list[dt.datetime]]]
    per_problem: Callable[..., dict[ProblemKey, int]]


_SOURCES: list[JoinsSource] = []


def joins_source_register(*, times: Callable[..., dict], per_problem: Callable[..., dict]) -> None:
    """Add a source of joins (idempotent: `ready()` may run more than once in tests)."""
    source = JoinsSource(times=times, per_problem=per_problem)
    if source not in _SOURCES:
        _SOURCES.append(source)


def joins_of(
    *, request_ids: Iterable[int], since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[int, list[dt.datetime]]:
    """The join times per request from every registered source, oldest first; no query without a source."""
    ids = list(request_ids)
    found: dict[int, list[dt.datetime]] = {}
    if not ids or not _SOURCES:
        return found
    for source in _SOURCES:
        for pk, times in source.times(request_ids=ids, since=since, until=until).items():
            found.setdefault(pk, []).extend(times)
    for times in found.values():
        times.sort()
    return found


def join_counts(*, request_ids: Iterable[int]) -> dict[int, int]:
    """How many joins each request has had so far (the surge pages' 我也遇到 column)."""
    return {pk: len(times) for pk, times in joins_of(request_ids=request_ids).items()}


def joins_per_problem(*, ranges: Ranges, unit_ids: list[int] | None) -> dict[ProblemKey, int]:
    """The joins made in the ranges per (channel, district, lead unit), summed over every source."""
    out: dict[ProblemKey, int] = {}
    if not ranges:
        return out
    for source in _SOURCES:
        for key, n in source.per_problem(ranges=ranges, unit_ids=unit_ids).items():
            out[key] = out.get(key, 0) + n
    return out
