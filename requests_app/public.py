"""The one public view of a request: what a person without a staff login may see of it.

Every public output is built from the two projections here, never from a
HelpRequest directly:

- `PublicSummary` (`summary_of`): the keyless projection, for outputs that
  prove nothing about who is asking — every Open311 response and webhook
  payload, and anything a page shows about someone else's request. It holds
  the ticket number, channel, district, state, the Open311 status, times, the
  handling unit's name, the title through `text_redact` and the location
  rounded to ~100 m (`coordinate_public`), never the exact point. It has no field
  for an event's note, a rating comment or the request text, so free text
  typed by citizens or staff cannot reach a keyless output; `status_notes` is
  written by the system from the state label, the unit name and the time.
- `CitizenView` (`citizen_view_of`): for the citizen who proved ownership
  (ticket number and phone, or the signed tracking token) and only for their
  own request: the summary plus the masked name and phone, the public
  timeline with the notes written for them, the deadlines, whether they may
  rate the result, and — for a duplicate — the main request as a
  `MainRequestRef`: its number and state label, nothing that opens or rates it.

Callers pass requests read through `selectors.public_requests_qs` (keyless) or
`selectors.request_get_by_token` / `request_find_for_citizen` (the citizen's):
the columns and annotations those read are what makes a citizen's page three
queries and an Open311 list one. Views compute nothing public themselves.

Labels are translated when a projection is built: build one per response,
never cache it across languages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from helpdesk.compiled import CompiledQuery
from helpdesk.timefmt import local_minute

from .location import coordinate_round
from .models import FINISHED_STATES, OPEN_STATES, RESOLVED_STATES, Deadline, Event, Feedback, HelpRequest, State
from .phones import name_mask, phone_mask
from .redact import text_redact
from .selectors import track_token_for

OPEN = "open"
CLOSED = "closed"

# Open311 knows two statuses; the workflow has ten states. Every state must be
# listed here (a test checks the table against State).
STATUS_BY_STATE: dict[str, str] = {
    State.SUBMITTED: OPEN,
    State.LISTED: OPEN,
    State.HANDED_OVER: OPEN,
    State.ACCEPTED: OPEN,
    State.RETURNED: OPEN,
    State.RESOLVED: OPEN,  # open until the result is fed back and the request closed (销号)
    State.REOPENED: OPEN,
    State.CLOSED: CLOSED,
    State.INVALID: CLOSED,
    State.DUPLICATE: CLOSED,
}


def status_for_state(state: str) -> str:
    return STATUS_BY_STATE[state]


def state_label(state: str) -> str:
    return str(State(state).label)


# Three decimals of a degree: 111 m of latitude, ~91 m of longitude in Zhengzhou. What is
# published is the centre of a ~100 m cell, not the citizen's own point (it may be their home).
PUBLIC_COORDINATE_PLACES = 3


def coordinate_public(value: Decimal | None) -> Decimal | None:
    """A coordinate as every keyless output shows it (and as anonymisation keeps it): ~100 m."""
    return None if value is None else coordinate_round(value, places=PUBLIC_COORDINATE_PLACES)


# --- Keyless: what anyone may read about any request -------------------------------


@dataclass(frozen=True)
class PublicSummary:
    """A request as a keyless output shows it. No field holds free text but the redacted title."""

    ticket_number: str
    service_code: str
    service_name: str
    district_name: str
    state: str
    state_label: str
    status: str  # Open311: open / closed
    title: str  # through text_redact
    submitted_at: dt.datetime
    updated_at: dt.datetime  # the latest public change
    expected_at: dt.datetime | None  # the next open promise; None once finished (nothing more is expected)
    agency: str  # the unit it was last handed over to, by name
    latitude: Decimal | None  # rounded to ~100 m (coordinate_public), never the exact point
    longitude: Decimal | None

    @property
    def status_notes(self) -> str:
        """System-written: state label · unit name · time of the latest public change."""
        return " · ".join(part for part in (self.state_label, self.agency, local_minute(self.updated_at)) if part)


def _annotated(req: HelpRequest, name: str) -> Any:
    """A value annotated by `requests_app.selectors`; a KeyError means the row was read some other way."""
    return req.__dict__[name]


def summary_of(req: HelpRequest) -> PublicSummary:
    """The keyless projection of a request read through `selectors.public_requests_qs` (annotated)."""
    return _summary(
        req,
        updated_at=_annotated(req, "public_updated_at"),
        expected_at=_annotated(req, "expected_at"),
        agency=_annotated(req, "agency") or "",
    )


def _summary(
    req: HelpRequest, *, updated_at: dt.datetime, expected_at: dt.datetime | None, agency: str
) -> PublicSummary:
    return PublicSummary(
        ticket_number=req.ticket_number,
        service_code=req.category.code,
        service_name=req.category.name,
        district_name=req.district.name,
        state=req.state,
        state_label=state_label(req.state),
        status=status_for_state(req.state),
        # A board request's title is the one staff approved; any other passes the redactor.
        title=req.__dict__.get("board_title") or text_redact(req.title),
        submitted_at=req.created_at,
        updated_at=updated_at,
        expected_at=None if req.state in FINISHED_STATES else expected_at,
        agency=agency,
        latitude=coordinate_public(req.latitude),
        longitude=coordinate_public(req.longitude),
    )


# --- The 问政 board: what a consented, approved request shows to anyone ------------------


@dataclass(frozen=True)
class BoardEntry:
    """A request on the 问政 board: the summary plus the text and reply staff approved.

    No name, phone, address, point (not even rounded), internal note or unapproved text:
    the approved text comes from `Publication`, everything else from the summary.
    """

    summary: PublicSummary
    content: str  # approved by staff
    reply: str  # the unit's reply as approved by staff; "" until one is
    submitted_at: dt.datetime
    approved_at: dt.datetime
    resolved_at: dt.datetime | None
    is_open: bool  # someone must still act: "我也遇到" may be added
    me_too: int  # how many other citizens said 我也遇到

    @property
    def submitted(self) -> str:
        return local_minute(self.submitted_at)

    @property
    def resolved(self) -> str:
        return local_minute(self.resolved_at)


def board_entry_of(req: HelpRequest, *, me_too: int = 0) -> BoardEntry:
    """The board's projection of a request read through `selectors.board_requests_qs`."""
    return BoardEntry(
        summary=summary_of(req),
        content=_annotated(req, "board_content"),
        reply=_annotated(req, "board_reply"),
        submitted_at=req.created_at,
        approved_at=_annotated(req, "board_approved_at"),
        resolved_at=req.resolved_at if req.state in RESOLVED_STATES else None,
        is_open=req.state in OPEN_STATES,
        me_too=me_too,
    )


# --- The citizen's own request ------------------------------------------------------
#
# The progress page is the lookup's whole cost beyond its three SELECTs, so
# what it shows is computed here once, in Python, instead of through template
# filters (localtime|date builds a DateFormat per value) and get_FOO_display
# (rebuilds and translates every choice per call).


# Compiled once per connection (helpdesk.compiled), as the page's row is (selectors).
_PUBLIC_EVENTS = CompiledQuery(
    lambda request_id: (
        Event.objects.filter(request_id=request_id, is_public=True)
        .only("kind", "message", "note", "unit_name", "created_at", "to_state")
        .order_by("created_at", "id")
    ),
    request_id=int,
)
_DEADLINES = CompiledQuery(
    lambda request_id: (
        Deadline.objects.filter(request_id=request_id)
        .only("kind", "due_at", "met_at", "breached_at", "waived_at")
        .order_by("due_at", "id")
    ),
    request_id=int,
)


def public_events(*, help_request: HelpRequest) -> list[Event]:
    """The request's public timeline, oldest first, as the citizen reads it."""
    return _PUBLIC_EVENTS.fetch(request_id=help_request.pk)


def deadlines_of(*, help_request: HelpRequest) -> list[Deadline]:
    """The request's four promises (three if not urgent), as the progress page lists them."""
    return _DEADLINES.fetch(request_id=help_request.pk)


@dataclass(frozen=True)
class TimelineLine:
    kind: str
    at: str
    unit_name: str
    message: str
    note: str  # written for the citizen: only ever in a CitizenView


@dataclass(frozen=True)
class DeadlineLine:
    kind: str
    label: str
    status: str  # met / missed / running / waived (Deadline.status)
    status_label: str
    tone: str  # the badge's Bootstrap colour
    due: str
    met: str  # "" while not met


@dataclass(frozen=True)
class MainRequestRef:
    """Someone else's request as a duplicate's page names it: its number and state, nothing that opens it."""

    ticket_number: str
    state_label: str


@dataclass(frozen=True)
class CitizenView:
    """What the citizen who proved ownership sees of their own request (receipt, progress page, rating)."""

    summary: PublicSummary
    token: str  # the request's own signed tracking token
    masked_name: str
    masked_phone: str
    submitted_at: str
    timeline: tuple[TimelineLine, ...]
    deadlines: tuple[DeadlineLine, ...]
    rating_label: str  # the current resolution's rating, "" if not rated
    can_rate: bool  # offer the rating form (the workflow re-checks under the row lock)
    duplicate_of: MainRequestRef | None
    publish_consent: bool  # "公开我的诉求和答复" stands: the page offers to withdraw it
    may_consent: bool  # not consented and publishable: the page offers to consent


def _deadline_statuses() -> dict[str, tuple[str, str]]:
    return {
        "met": (_("按时完成"), "success"),
        "missed": (_("已超时"), "warning"),
        "waived": (_("不适用"), "secondary"),
        "running": (_("进行中"), "info"),
    }


def _deadline_lines(help_request: HelpRequest) -> tuple[DeadlineLine, ...]:
    labels = {kind: str(label) for kind, label in Deadline.Kind.choices}
    statuses = _deadline_statuses()
    lines = []
    for d in deadlines_of(help_request=help_request):
        status_label, tone = statuses[d.status]
        lines.append(
            DeadlineLine(
                kind=d.kind,
                label=labels.get(d.kind, d.kind),
                status=d.status,
                status_label=status_label,
                tone=tone,
                due=local_minute(d.due_at),
                met=local_minute(d.met_at),
            )
        )
    return tuple(lines)


def citizen_view_of(*, help_request: HelpRequest) -> CitizenView:
    """The citizen's view of their own request, read by `selectors.request_get_by_token` or
    `request_find_for_citizen`. Three queries: the row (joined with its rating and main
    request), its timeline, its deadlines."""
    events = public_events(help_request=help_request)
    handed_over = [e for e in events if e.to_state == State.HANDED_OVER]
    rating = _annotated(help_request, "current_rating") if help_request.resolved_at else None
    main = None
    main_number = _annotated(help_request, "main_number")
    if help_request.state == State.DUPLICATE and main_number:
        main = MainRequestRef(
            ticket_number=main_number, state_label=state_label(_annotated(help_request, "main_state"))
        )
    return CitizenView(
        # As `selectors.public_requests_qs` annotates them: the latest public event, else the row's own time.
        summary=_summary(
            help_request,
            updated_at=events[-1].created_at if events else help_request.updated_at,
            expected_at=help_request.next_due_at,
            agency=handed_over[-1].unit_name if handed_over else "",
        ),
        token=track_token_for(ticket_number=help_request.ticket_number),
        masked_name=name_mask(help_request.name),
        masked_phone=phone_mask(help_request.phone),
        submitted_at=local_minute(help_request.created_at),
        timeline=tuple(
            TimelineLine(
                kind=e.kind, at=local_minute(e.created_at), unit_name=e.unit_name, message=e.message, note=e.note
            )
            for e in events
        ),
        deadlines=_deadline_lines(help_request),
        rating_label=str(Feedback.Rating(rating).label) if rating else "",
        can_rate=help_request.state == State.RESOLVED and rating is None,
        duplicate_of=main,
        publish_consent=help_request.publish_consent,
        may_consent=(
            not help_request.publish_consent
            and help_request.anonymised_at is None
            and help_request.state != State.DUPLICATE
        ),
    )
