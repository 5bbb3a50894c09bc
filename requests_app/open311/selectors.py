"""Reads for the Open311 API: services, service requests as the public sees them, API keys.

Every list is one query: the latest public event, the handling unit and the
next due time come from correlated subqueries on indexed columns, never from a
query per request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ..models import ApiClient, ApiSubmission, Category, Deadline, District, Event, HelpRequest, State

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

MAX_RESULTS = 1000
MAX_SPAN = dt.timedelta(days=90)


def status_for_state(state: str) -> str:
    return STATUS_BY_STATE[state]


def states_for_statuses(statuses: set[str]) -> list[str]:
    return [state for state, status in STATUS_BY_STATE.items() if status in statuses]


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_client_for_key(*, key: str) -> ApiClient | None:
    """The active client holding `key`, else None (unknown and revoked keys look the same)."""
    if not key:
        return None
    digest = key_hash(key)
    client = ApiClient.objects.filter(key_hash=digest).first()
    if client is None or not hmac.compare_digest(client.key_hash, digest) or client.revoked_at is not None:
        return None
    return client


def services_list() -> list[Category]:
    return list(Category.objects.filter(is_active=True))


def service_get(*, code: str) -> Category | None:
    if "\x00" in code:
        return None
    return Category.objects.filter(code=code, is_active=True).first()


def districts_list() -> list[District]:
    return list(District.objects.filter(is_active=True))


def _public_events() -> QuerySet[Event]:
    # Served by event_request_time_idx (request, -created_at, -id).
    return Event.objects.filter(request=OuterRef("pk"), is_public=True).order_by("-created_at", "-id")


def service_requests_qs() -> QuerySet[HelpRequest]:
    """Requests annotated with what the API shows, in one query (no N+1)."""
    latest = _public_events()
    return (
        HelpRequest.objects.select_related("category", "district")
        .only(
            "ticket_number",
            "state",
            "title",
            "created_at",
            "updated_at",
            "category__code",
            "category__name",
            "district__name",
        )
        .annotate(
            notes_message=Subquery(latest.values("message")[:1]),
            notes_note=Subquery(latest.values("note")[:1]),
            last_public_at=Subquery(latest.values("created_at")[:1]),
            agency=Subquery(latest.filter(to_state=State.HANDED_OVER).values("unit_name")[:1]),
            expected_at=Subquery(
                Deadline.objects.filter(request=OuterRef("pk"), met_at__isnull=True, waived_at__isnull=True)
                .order_by("due_at", "id")
                .values("due_at")[:1]
            ),
            public_updated_at=Coalesce("last_public_at", F("updated_at")),
        )
    )


@dataclass(frozen=True)
class RequestQuery:
    """Parsed filters of GET requests (see views); start/end are aware datetimes."""

    ids: list[str]
    service_codes: list[str]
    statuses: set[str]
    start: dt.datetime
    end: dt.datetime


def service_requests_search(*, query: RequestQuery, limit: int = MAX_RESULTS) -> list[HelpRequest]:
    """GET requests: by ids (other filters ignored, as the spec says) or by codes, status and dates."""
    qs = service_requests_qs()
    if query.ids:
        return list(qs.filter(ticket_number__in=query.ids).order_by("-created_at", "-id")[:limit])
    qs = qs.filter(created_at__gte=query.start, created_at__lte=query.end)
    if query.service_codes:
        qs = qs.filter(category__code__in=query.service_codes)
    if query.statuses:
        qs = qs.filter(state__in=states_for_statuses(query.statuses))
    return list(qs.order_by("-created_at", "-id")[:limit])


def service_request_get(*, service_request_id: str) -> HelpRequest | None:
    return service_requests_qs().filter(ticket_number=service_request_id).first()


def submission_for_token(*, token: str) -> ApiSubmission | None:
    try:
        value = uuid.UUID(token)
    except ValueError:
        return None
    return ApiSubmission.objects.select_related("request").filter(token=value).first()
