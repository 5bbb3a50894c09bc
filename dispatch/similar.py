"""Duplicate suggestions at 列单: recent requests from the same district that read alike.

`requests_similar` picks the candidates with one indexed query (same
district, submitted within `window_days`, not invalid and not themselves
duplicates, newest first, at most `MAX_CANDIDATES`, narrowed to what the staff
member may see by `dispatch.access.requests_visible`), scores their titles and
the first `CONTENT_HEAD` characters of their contents in Python with
`textsim.Probe` (characters, not words: Chinese has no spaces), and returns the best `limit` at or above `THRESHOLD`, each with its
score. The same code runs on PostgreSQL and SQLite.

PostgreSQL's pg_trgm does index CJK on this server (C.UTF-8: `show_trgm`
gives one trigram per three characters), but on the labelled pairs its
trigrams separate duplicates from near misses less well than character sets,
and its per-row cost on spaced text is too high; see bench/RESULTS.md.

Merging (并单) is the workflow's `mark_duplicate`, called by the admin.
Never log the texts read here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models.functions import Left
from django.utils import timezone

from requests_app.models import HelpRequest, State

from .access import Scope, requests_visible
from .textsim import Probe

WINDOW_DAYS = 30
MAX_CANDIDATES = 5000
# The start of a content says what and where; the rest costs time, not precision.
CONTENT_HEAD = 300
LIMIT = 5
# The best F1 on the labelled pairs (bench/similar_bench.py).
THRESHOLD = 0.16


@dataclass(frozen=True)
class Similar:
    request: HelpRequest
    score: float

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def similar_scores(
    *,
    help_request: HelpRequest,
    scope: Scope,
    window_days: int = WINDOW_DAYS,
    now: dt.datetime | None = None,
    max_candidates: int = MAX_CANDIDATES,
) -> list[tuple[float, int]]:
    """(score, request id) for every candidate, best first (no threshold, no limit)."""
    since = (now or timezone.now()) - dt.timedelta(days=window_days)
    candidates = (
        HelpRequest.objects.filter(district_id=help_request.district_id, created_at__gte=since)
        .exclude(pk=help_request.pk)
        .exclude(state__in=[State.INVALID, State.DUPLICATE])
    )
    candidates = requests_visible(scope=scope, queryset=candidates)
    rows = (
        candidates.annotate(head=Left("content", CONTENT_HEAD))
        .order_by("-created_at", "-id")
        .values_list("pk", "title", "head")[:max_candidates]
    )
    probe = Probe.of(help_request.title, help_request.content[:CONTENT_HEAD])
    scored = [(probe.similarity(t, c), pk) for pk, t, c in rows]
    scored.sort(key=lambda s: (-s[0], -s[1]))
    return scored


def requests_similar(
    *,
    help_request: HelpRequest,
    scope: Scope,
    window_days: int = WINDOW_DAYS,
    limit: int = LIMIT,
    threshold: float = THRESHOLD,
    now: dt.datetime | None = None,
) -> list[Similar]:
    """Up to `limit` requests that may be the same problem, best first (two queries)."""
    best = [
        (score, pk)
        for score, pk in similar_scores(help_request=help_request, scope=scope, window_days=window_days, now=now)
        if score >= threshold
    ][:limit]
    if not best:
        return []
    rows = (
        HelpRequest.objects.select_related("category")
        .only("pk", "ticket_number", "title", "state", "created_at", "category__name")
        .in_bulk([pk for _, pk in best])
    )
    return [Similar(request=rows[pk], score=score) for score, pk in best if pk in rows]
