"""Reads on the citizen side: lookup by ticket number, signed tracking links, public totals.

Nothing here is shown to the public as it is: pages and the Open311 API build
what they show with `requests_app.public` from the requests read here.

The active channels and districts are read on every public form (to render
and to validate it), so each process keeps them under a stamp kept in the
cache: a change saved through the ORM (admin) calls `active_choices_invalidate`
(see apps.py), which drops the stamp, and every process sees the change at once
(the cache is shared: Redis or var/cache/).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.db.models import Count, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from helpdesk.compiled import CompiledQuery

from .crypto import keyed_hash
from .models import OPEN_STATES, RESOLVED_STATES, Category, District, Event, HelpRequest, State
from .phones import phone_normalize

_TRACK_SALT = "requests_app.track"
TOTALS_CACHE_KEY = "requests_app:totals:v2"
TOTALS_CACHE_SECONDS = 60
ACTIVE_CHOICES_CACHE_KEY = "requests_app:active_choices:stamp"
ACTIVE_CHOICES_CACHE_SECONDS = 30
# This process's active choices, by the stamp they were read under (one entry).
_active_choices_here: dict[str, ActiveChoices] = {}


def track_token_for(*, ticket_number: str) -> str:
    """A signed token that opens the progress page without the phone (QR code, receipt link)."""
    return signing.Signer(salt=_TRACK_SALT).sign(ticket_number)


def ticket_number_from_token(*, token: str) -> str | None:
    try:
        return signing.Signer(salt=_TRACK_SALT).unsign(token)
    except signing.BadSignature:
        return None


def public_requests_qs() -> QuerySet[HelpRequest]:
    """Requests annotated with what their public summary (`public.summary_of`) shows, in one query.

    The latest public event and the unit last handed over to come from
    correlated subqueries on indexed columns, never from a query per request;
    the next open promise is the request's own clock column (requests_app.clock).
    """
    # Served by event_request_time_idx (request, -created_at, -id).
    latest = Event.objects.filter(request=OuterRef("pk"), is_public=True).order_by("-created_at", "-id")
    return HelpRequest.objects.select_related("category", "district").annotate(
        last_public_at=Subquery(latest.values("created_at")[:1]),
        agency=Subquery(latest.filter(to_state=State.HANDED_OVER).values("unit_name")[:1]),
        expected_at=F("next_due_at"),
        public_updated_at=Coalesce("last_public_at", F("updated_at")),
    )


# The columns a public summary reads: a list decrypts no personal column.
SUMMARY_COLUMNS = (
    "ticket_number",
    "state",
    "title",
    "created_at",
    "updated_at",
    "resolved_at",
    "latitude",
    "longitude",
    "category__code",
    "category__name",
    "district__name",
)


def board_requests_qs() -> QuerySet[HelpRequest]:
    """The 问政 board's requests: the citizen's consent stands and staff approved a text not withdrawn (撤下).

    Annotated with the approved text (`public.board_entry_of` reads it), without the
    personal columns. The board, its feeds and Open311's GET requests read this one filter,
    so a withdrawn consent leaves all of them at once.
    """
    return (
        public_requests_qs()
        .filter(publish_consent=True, publication__isnull=False, publication__withdrawn_at__isnull=True)
        .annotate(
            board_title=F("publication__title"),
            board_content=F("publication__content"),
            board_reply=F("publication__reply"),
            board_approved_at=F("publication__approved_at"),
        )
        .only(*SUMMARY_COLUMNS)
    )


# What the citizen's own pages read (`public.citizen_view_of`): the summary's columns, the two
# personal ones it shows masked, and what decides the page's offers. The address, the request
# text and the staff's columns are neither read nor decrypted.
CITIZEN_COLUMNS = (
    *SUMMARY_COLUMNS,
    "name",
    "phone",
    "next_due_at",
    "reopen_count",
    "duplicate_of_id",
    "publish_consent",
    "anonymised_at",
)


def _request_qs() -> QuerySet[HelpRequest]:
    """The citizen's own request: its row, its channel and district, its current rating and,
    for a duplicate, the main request's number and state (the other citizen's personal data is
    never loaded). All joins: a correlated subquery costs the ORM twice the time to compile.

    The page reads its timeline anyway, so the latest public change and the unit last handed
    over come from there (`public.citizen_view_of`). Unordered: the ticket number is unique.
    """
    return (
        HelpRequest.objects.select_related("category", "district")
        .only(*CITIZEN_COLUMNS)
        .annotate(
            # One row at most: a rating per (request, round) (feedback_one_per_resolution).
            current_feedback=FilteredRelation("feedbacks", condition=Q(feedbacks__round=F("reopen_count"))),
            current_rating=F("current_feedback__rating"),
            main_number=F("duplicate_of__ticket_number"),
            main_state=F("duplicate_of__state"),
        )
        .order_by()
    )


# Every lookup and signed link runs one of these two: compiled once per connection
# (helpdesk.compiled), the page does not pay the ORM's compiling of four joins each time.
# A slice, not .first(): a unique column needs no ORDER BY.
_BY_NUMBER = CompiledQuery(lambda number: _request_qs().filter(ticket_number=number)[:1], number=str)
_BY_NUMBER_AND_PHONE = CompiledQuery(
    lambda number, phone_hash: _request_qs().filter(ticket_number=number, phone_hash=phone_hash)[:1],
    number=str,
    phone_hash=str,
)


def _one(found: list[HelpRequest]) -> HelpRequest | None:
    return found[0] if found else None


def request_get_by_token(*, token: str) -> HelpRequest | None:
    ticket_number = ticket_number_from_token(token=token)
    if ticket_number is None:
        return None
    return _one(_BY_NUMBER.fetch(number=ticket_number))


def request_find_for_citizen(*, ticket_number: str, phone: str) -> HelpRequest | None:
    """The request whose number and phone both match, else None.

    An unknown number and a wrong phone take the same path and return the same
    None, so the lookup cannot be used to learn which numbers exist.
    """
    normalized = phone_normalize(phone) or ""
    number = (ticket_number or "").strip().upper()
    if not number or not normalized:
        return None
    return _one(_BY_NUMBER_AND_PHONE.fetch(number=number, phone_hash=keyed_hash(normalized)))


@dataclass(frozen=True)
class ActiveChoices:
    categories: tuple[Category, ...]
    districts: tuple[District, ...]


def active_choices() -> ActiveChoices:
    """The switched-on channels and districts, in display order.

    Every public form reads them (each of its two choice fields, to render or to validate), so
    this process keeps them, under a stamp shared through the cache: reading the stamp is one
    small cache read, where reading the rows from the cache cost unpickling every row each time.
    A change saved through the ORM drops the stamp (`active_choices_invalidate`, at once and at
    commit), and every process reads the rows again (two queries); a stamp lives
    ACTIVE_CHOICES_CACHE_SECONDS, which bounds how long a change made around the ORM goes unseen.
    The rows are shared by this process's requests: read them, never change them.
    """
    stamp = cache.get(ACTIVE_CHOICES_CACHE_KEY)
    found = _active_choices_here.get(stamp) if stamp else None
    if found is not None:
        return found
    found = ActiveChoices(
        categories=tuple(Category.objects.filter(is_active=True)),
        districts=tuple(District.objects.filter(is_active=True)),
    )
    if stamp is None:
        stamp = uuid.uuid4().hex
        if not cache.add(ACTIVE_CHOICES_CACHE_KEY, stamp, ACTIVE_CHOICES_CACHE_SECONDS):
            return found  # another process stamped rows it read meanwhile: read them again next time
    _active_choices_here.clear()
    _active_choices_here[stamp] = found
    return found


def active_choices_invalidate() -> None:
    """Forget the choices everywhere (after a channel or district was saved or deleted)."""
    cache.delete(ACTIVE_CHOICES_CACHE_KEY)


def active_categories() -> list[Category]:
    return list(active_choices().categories)


def active_category_by_code(*, code: str) -> Category | None:
    return next((c for c in active_choices().categories if c.code == code), None)


# The figures' definitions, shared by the home page and /stats/ (dispatch.stats).
# "上报急难愁盼": confirmed by staff as urgent or tagged 难/愁/盼 at triage.
REPORTED = Q(is_urgent=True) | Q(tag_nan=True) | Q(tag_chou=True) | Q(tag_pan=True)


@dataclass(frozen=True)
class Totals:
    received: int
    resolved: int
    reported: int
    open_now: int
    closed: int


def totals_aggregates() -> dict[str, Count]:
    """The headline figures as aggregates over some requests: the home page counts all of
    them, /stats/ a period's (grouped by channel, district and unit)."""
    return {
        "received": Count("id"),
        "resolved": Count("id", filter=Q(state__in=RESOLVED_STATES)),
        "reported": Count("id", filter=REPORTED),
        "open_now": Count("id", filter=Q(state__in=OPEN_STATES)),
        "closed": Count("id", filter=Q(state=State.CLOSED)),
    }


def public_totals() -> Totals:
    """All-time headline figures (received, resolved, 急难愁盼 reported, open now, closed), cached for a minute.

    One aggregate query over the table; the cache keeps it off every page view.
    """
    cached = cache.get(TOTALS_CACHE_KEY)
    if cached is not None:
        return cached
    # Like the article's "已接受各类信息": every request received counts, even
    # ones later found invalid or duplicate.
    totals = Totals(**HelpRequest.objects.aggregate(**totals_aggregates()))
    cache.set(TOTALS_CACHE_KEY, totals, TOTALS_CACHE_SECONDS)
    return totals
