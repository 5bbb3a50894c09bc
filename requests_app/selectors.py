"""Reads on the citizen side: lookup by ticket number, signed tracking links, public totals.

Nothing here is shown to the public as it is: pages and the Open311 API build
what they show with `requests_app.public` from the requests read here.

The active channels and districts are read on every public form (to render
and to validate it), so they are served from the cache: a change saved
through the ORM (admin) calls `active_choices_invalidate` (see apps.py), and
every process sees it at once (the cache is shared: Redis or var/cache/).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .crypto import keyed_hash
from .models import OPEN_STATES, RESOLVED_STATES, Category, District, Event, Feedback, HelpRequest, State
from .phones import phone_normalize

_TRACK_SALT = "requests_app.track"
TOTALS_CACHE_KEY = "requests_app:totals:v2"
TOTALS_CACHE_SECONDS = 60
ACTIVE_CHOICES_CACHE_KEY = "requests_app:active_choices"
ACTIVE_CHOICES_CACHE_SECONDS = 30


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


def _request_qs() -> QuerySet[HelpRequest]:
    """The citizen's own request, with what `public.citizen_view_of` needs beyond the summary.

    Of a main request (for a duplicate) only its number and state are read: the
    other citizen's personal data is never loaded.
    """
    return public_requests_qs().annotate(
        main_number=F("duplicate_of__ticket_number"),
        main_state=F("duplicate_of__state"),
        current_rating=Subquery(
            Feedback.objects.filter(request=OuterRef("pk"), round=OuterRef("reopen_count")).values("rating")[:1]
        ),
    )


def request_get_by_token(*, token: str) -> HelpRequest | None:
    ticket_number = ticket_number_from_token(token=token)
    if ticket_number is None:
        return None
    return _request_qs().filter(ticket_number=ticket_number).first()


def request_find_for_citizen(*, ticket_number: str, phone: str) -> HelpRequest | None:
    """The request whose number and phone both match, else None.

    An unknown number and a wrong phone take the same path and return the same
    None, so the lookup cannot be used to learn which numbers exist.
    """
    normalized = phone_normalize(phone) or ""
    number = (ticket_number or "").strip().upper()
    if not number or not normalized:
        return None
    return _request_qs().filter(ticket_number=number, phone_hash=keyed_hash(normalized)).first()


@dataclass(frozen=True)
class ActiveChoices:
    categories: tuple[Category, ...]
    districts: tuple[District, ...]


def active_choices() -> ActiveChoices:
    """The switched-on channels and districts, in display order (cached; two queries on a miss)."""
    cached = cache.get(ACTIVE_CHOICES_CACHE_KEY)
    if cached is None:
        cached = ActiveChoices(
            categories=tuple(Category.objects.filter(is_active=True)),
            districts=tuple(District.objects.filter(is_active=True)),
        )
        cache.set(ACTIVE_CHOICES_CACHE_KEY, cached, ACTIVE_CHOICES_CACHE_SECONDS)
    return cached


def active_choices_invalidate() -> None:
    """Forget the cached choices (after a channel or district was saved or deleted)."""
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
