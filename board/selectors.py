"""Reads of the 问政 board: its pages, one entry, look-alikes at intake, the approval queue.

Every request leaves here as `requests_app.public.BoardEntry`, built from
`requests_app.selectors.board_requests_qs` (consent standing and a text approved), so
nothing but the approved text and the public summary can reach a page, a feed or the API.
Pages are index-backed and never count the whole board: a page reads one row more than
it shows to know whether there is a next one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Left

from dispatch.models import AssignmentQuerySet
from dispatch.similar import THRESHOLD
from dispatch.textsim import Probe
from requests_app.models import OPEN_STATES, RESOLVED_STATES, HelpRequest, Publication, State
from requests_app.public import BoardEntry, board_entry_of
from requests_app.selectors import board_requests_qs

from .models import MeToo, PendingPublication, SearchTerm
from .search import query_terms

PAGE_SIZE = 20
MAX_PAGE = 500  # deeper than anyone reads; keeps OFFSET bounded
FEED_SIZE = 30
# Look-alikes at intake: the newest open board requests scored, the best few shown.
SIMILAR_CANDIDATES = 500
SIMILAR_LIMIT = 3
CONTENT_HEAD = 300


def me_too_counts(*, request_ids: list[int]) -> dict[int, int]:
    """我也遇到 per request (one phone once), in one query on the unique (request, phone) index."""
    if not request_ids:
        return {}
    rows = MeToo.objects.filter(request_id__in=request_ids).values("request_id").annotate(n=Count("id"))
    return {row["request_id"]: row["n"] for row in rows}


def me_too_by_problem(
    *, ranges: list[tuple[dt.datetime, dt.datetime]], unit_ids: list[int] | None
) -> dict[tuple[int, int, int | None], int]:
    """我也遇到 joins made in the [start, end) ranges per (channel, district, active lead unit) of their request.

    For 每月一题 (through dispatch.joins); one aggregate on me_too_created_idx.
    """
    if not ranges:
        return {}
    when = Q()
    for start, end in ranges:
        when |= Q(created_at__gte=start, created_at__lt=end)
    qs = MeToo.objects.filter(when).annotate(
        lead=FilteredRelation(
            "request__assignments", condition=AssignmentQuerySet.active_lead_q("request__assignments__")
        )
    )
    if unit_ids is not None:
        qs = qs.filter(lead__unit_id__in=unit_ids)
    return {
        (g["request__category_id"], g["request__district_id"], g["lead__unit_id"]): g["n"]
        for g in qs.values("request__category_id", "request__district_id", "lead__unit_id")
        .annotate(n=Count("id"))
        .order_by()
    }


def me_too_times(
    *, request_ids: list[int], since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[int, list[dt.datetime]]:
    """When each 我也遇到 on these requests was added, in `(since, until]`: the surge detector's joins.

    Registered with `dispatch.joins` by `BoardConfig.ready()`; times only, nothing personal.
    """
    qs = MeToo.objects.filter(request_id__in=request_ids)
    if since is not None:
        qs = qs.filter(created_at__gt=since)
    if until is not None:
        qs = qs.filter(created_at__lte=until)
    found: dict[int, list[dt.datetime]] = {}
    for request_id, created_at in qs.order_by("created_at").values_list("request_id", "created_at"):
        found.setdefault(request_id, []).append(created_at)
    return found


def _entries(rows: list[HelpRequest]) -> list[BoardEntry]:
    counts = me_too_counts(request_ids=[r.pk for r in rows])
    return [board_entry_of(r, me_too=counts.get(r.pk, 0)) for r in rows]


def _newest_first(qs: QuerySet[HelpRequest]) -> QuerySet[HelpRequest]:
    # pk, not "publication__request": a relation would sort by HelpRequest's own ordering
    # (another join and a sort of the whole board). pk equals publication.request_id, so
    # PostgreSQL walks pub_approved_idx / pub_district_idx and stops after one page.
    return qs.order_by("-publication__approved_at", "-pk")


@dataclass(frozen=True)
class BoardPage:
    entries: list[BoardEntry]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def board_page(
    *, query: str = "", district_id: int | None = None, category_code: str = "", number: int = 1
) -> BoardPage:
    """One page of the board, newest approval first, filtered by words, district and channel."""
    number = min(max(number, 1), MAX_PAGE)
    qs = board_requests_qs()
    if district_id is not None:
        qs = qs.filter(publication__district_id=district_id)
    if category_code:
        qs = qs.filter(category__code=category_code)
    terms = query_terms(query)
    if terms:
        # Publications holding every term: one pass over the (term, publication) index.
        holding = (
            SearchTerm.objects.filter(term__in=terms)
            .values("publication")
            .annotate(n=Count("term"))
            .filter(n=len(terms))
            .values("publication")
        )
        qs = qs.filter(pk__in=Subquery(holding))
    start = (number - 1) * PAGE_SIZE
    rows = list(_newest_first(qs)[start : start + PAGE_SIZE + 1])
    return BoardPage(entries=_entries(rows[:PAGE_SIZE]), number=number, has_next=len(rows) > PAGE_SIZE)


def board_entry_get(*, ticket_number: str) -> BoardEntry | None:
    row = board_requests_qs().filter(ticket_number=ticket_number).first()
    return _entries([row])[0] if row is not None else None


def board_feed_entries(*, district_id: int | None = None, limit: int = FEED_SIZE) -> list[BoardEntry]:
    qs = board_requests_qs()
    if district_id is not None:
        qs = qs.filter(publication__district_id=district_id)
    return _entries(list(_newest_first(qs)[:limit]))


@dataclass(frozen=True)
class LookAlike:
    entry: BoardEntry
    score: float


def board_similar(
    *, title: str, content: str, district_id: int | None = None, limit: int = SIMILAR_LIMIT
) -> list[LookAlike]:
    """Open board requests that read like a request being written (dispatch's text similarity).

    Scores the approved texts only: what the citizen types is compared with what is public.
    """
    if not (title or content).strip():
        return []
    qs = board_requests_qs().filter(state__in=OPEN_STATES)
    if district_id is not None:
        qs = qs.filter(publication__district_id=district_id)
    probe = Probe.of(title, content[:CONTENT_HEAD])
    rows = (
        _newest_first(qs)
        .annotate(head=Left("publication__content", CONTENT_HEAD))
        .values_list("pk", "board_title", "head")[:SIMILAR_CANDIDATES]
    )
    best = sorted(((probe.similarity(t, c), pk) for pk, t, c in rows), key=lambda s: (-s[0], -s[1]))
    best = [(score, pk) for score, pk in best if score >= THRESHOLD][:limit]
    if not best:
        return []
    found = {r.pk: r for r in board_requests_qs().filter(pk__in=[pk for _, pk in best])}
    entries = {e.summary.ticket_number: e for e in _entries(list(found.values()))}
    return [LookAlike(entry=entries[found[pk].ticket_number], score=score) for score, pk in best if pk in found]


def publications_published_qs() -> QuerySet[Publication]:
    """The texts on the board now (consent standing, not withdrawn): where staff 撤下 one."""
    return Publication.objects.filter(request__in=board_requests_qs().values("pk"), withdrawn_at__isnull=True)


def publications_pending_qs() -> QuerySet[PendingPublication]:
    """Consented requests whose text awaits 批准公开, whose new reply (a later 办结) does, or that were 撤下."""
    publication = Publication.objects.filter(request=OuterRef("pk"))
    reply_pending = Q(state__in=RESOLVED_STATES) & Exists(
        publication.filter(Q(reply_approved_at__isnull=True) | Q(reply_approved_at__lt=OuterRef("resolved_at")))
    )
    withdrawn = Exists(publication.filter(withdrawn_at__isnull=False))
    return (
        PendingPublication.objects.filter(publish_consent=True, anonymised_at__isnull=True)
        .exclude(state__in=[State.INVALID, State.DUPLICATE])
        .filter(~Exists(publication) | reply_pending | withdrawn)
    )
