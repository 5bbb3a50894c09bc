"""Joins: evidence from apps built on dispatch that counts like a request in the surge rule.

A citizen who adds 我也遇到 to a public request on the 问政 board (the `board`
app) has the problem the request describes, at the time of the join: had the
board not been there, that citizen would have filed a request of their own. So
the detector counts each join like one more member of the group of the request
it was added to (see `rule.py`).

dispatch never imports board (the import contract is `kb | board -> dispatch ->
requests_app -> helpdesk`): an app registers a source from its
`AppConfig.ready()` (board: `board.selectors.me_too_times`), and the detector
and the surge pages ask every registered source. Without one, there are no joins.

A source is called as `source(request_ids=[...], since=..., until=...)` and
returns, for those requests, the times of their joins in `(since, until]`
(`since=None`: from the start, `until=None`: up to now), in one query, and never
anything personal (times only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

JoinsSource = Callable[..., dict[int, list[dt.datetime]]]
_SOURCES: list[JoinsSource] = []


def surge_joins_register(source: JoinsSource) -> None:
    """Add a source of joins (idempotent: `ready()` may run more than once in tests)."""
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
        for pk, times in source(request_ids=ids, since=since, until=until).items():
            found.setdefault(pk, []).extend(times)
    for times in found.values():
        times.sort()
    return found


def join_counts(*, request_ids: Iterable[int]) -> dict[int, int]:
    """How many joins each request has had so far (the surge pages' 我也遇到 column)."""
    return {pk: len(times) for pk, times in joins_of(request_ids=request_ids).items()}
