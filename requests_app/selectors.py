"""Reads on the citizen side: lookup by ticket number, signed tracking links, public totals.

Nothing here returns personal data unmasked to a public page: views call
`phones.phone_mask` / `phones.name_mask` on what they show.

The active channels and districts are read on every public form (to render
and to validate it), so they are served from the cache: a change saved
through the ORM (admin) calls `active_choices_invalidate` (see apps.py), and
every process sees it at once (the cache is shared: Redis or var/cache/).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .crypto import keyed_hash
from .models import OPEN_STATES, RESOLVED_STATES, Category, Deadline, District, Event, Feedback, HelpRequest, State
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


def _request_qs() -> QuerySet[HelpRequest]:
    return HelpRequest.objects.select_related("category", "district", "duplicate_of")


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


def public_events(*, help_request: HelpRequest) -> list[Event]:
    """The request's public timeline, oldest first, as the citizen reads it."""
    return list(
        Event.objects.filter(request=help_request, is_public=True)
        .only("kind", "message", "note", "unit_name", "created_at", "to_state")
        .order_by("created_at", "id")
    )


def feedback_current(*, help_request: HelpRequest) -> Feedback | None:
    """The rating of the request's current resolution (one per resolution), if given."""
    return Feedback.objects.filter(request=help_request, round=help_request.reopen_count).first()


def feedback_status(*, help_request: HelpRequest) -> tuple[Feedback | None, bool]:
    """(the current resolution's rating, whether the progress page offers the rating form).

    The form is offered while the request is resolved and not yet rated; the
    workflow's `rate` action re-checks this under the row lock when it is posted.
    """
    feedback = feedback_current(help_request=help_request) if help_request.resolved_at else None
    return feedback, help_request.state == State.RESOLVED and feedback is None


def deadlines_of(*, help_request: HelpRequest) -> list:
    return list(help_request.deadlines.order_by("due_at", "id"))


# --- The progress page, ready to print ----------------------------------------
#
# The public progress page is the lookup's whole cost beyond its three SELECTs,
# so what it shows is computed here once, in Python, instead of through
# template filters (localtime|date builds a DateFormat per value) and
# get_FOO_display (rebuilds and translates every choice per call).


def local_minute(moment: dt.datetime | None) -> str:
    """`moment` in the site's time zone as "YYYY-MM-DD HH:MM" (the template's date:"Y-m-d H:i"); "" for None."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@dataclass(frozen=True)
class TimelineLine:
    kind: str
    at: str
    unit_name: str
    message: str
    note: str


@dataclass(frozen=True)
class DeadlineLine:
    kind: str
    label: str
    status: str  # met / missed / running / waived (Deadline.status)
    status_label: str
    tone: str  # the badge's Bootstrap colour
    due: str
    met: str  # "" while not met


def _deadline_statuses() -> dict[str, tuple[str, str]]:
    return {
        "met": (_("按时完成"), "success"),
        "missed": (_("已超时"), "warning"),
        "waived": (_("不适用"), "secondary"),
        "running": (_("进行中"), "info"),
    }


@dataclass(frozen=True)
class Progress:
    state_label: str
    submitted_at: str
    timeline: list[TimelineLine]
    deadlines: list[DeadlineLine]


def progress_of(*, help_request: HelpRequest) -> Progress:
    """What the progress page and the receipt show beside the request: its public timeline and its promises."""
    labels = {kind: str(label) for kind, label in Deadline.Kind.choices}
    statuses = _deadline_statuses()
    deadlines = []
    for d in deadlines_of(help_request=help_request):
        status = d.status
        status_label, tone = statuses[status]
        deadlines.append(
            DeadlineLine(
                kind=d.kind,
                label=labels.get(d.kind, d.kind),
                status=status,
                status_label=status_label,
                tone=tone,
                due=local_minute(d.due_at),
                met=local_minute(d.met_at),
            )
        )
    return Progress(
        state_label=str(State(help_request.state).label),
        submitted_at=local_minute(help_request.created_at),
        timeline=[
            TimelineLine(
                kind=e.kind, at=local_minute(e.created_at), unit_name=e.unit_name, message=e.message, note=e.note
            )
            for e in public_events(help_request=help_request)
        ],
        deadlines=deadlines,
    )


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
