"""Reads for the Open311 API: services, service requests as the public sees them, API keys.

Requests leave here only as `public.PublicSummary`, the keyless projection:
the API never sees a HelpRequest, so it cannot publish a field the summary
lacks. Every list is one query (see `selectors.public_requests_qs`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from .. import public
from ..models import ApiClient, Category, District, HelpRequest
from ..public import PublicSummary, summary_of
from ..selectors import SUMMARY_COLUMNS, active_category_by_code, board_requests_qs, public_requests_qs

# The API's names for the state table, which lives with the public view.
OPEN, CLOSED = public.OPEN, public.CLOSED
STATUS_BY_STATE = public.STATUS_BY_STATE
status_for_state = public.status_for_state

MAX_RESULTS = 1000
MAX_SPAN = dt.timedelta(days=90)


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


def service_is_active(*, code: str) -> bool:
    """Does a POST's service_code name an active channel? (The form's own cached list, so both agree.)"""
    return active_category_by_code(code=code) is not None


def districts_list() -> list[District]:
    return list(District.objects.filter(is_active=True))


def service_requests_qs() -> QuerySet[HelpRequest]:
    """Requests with what their public summary shows, in one query, without the personal columns
    (nothing to decrypt for a list of a thousand). For the client that submitted a request
    (its token, its webhooks); anyone else reads `public_service_requests_qs`."""
    return public_requests_qs().only(*SUMMARY_COLUMNS)


def public_service_requests_qs() -> QuerySet[HelpRequest]:
    """What GET requests shows to anyone: the 问政 board's requests only (consented and
    approved, with the approved title). Ticket numbers are sequential, so a request whose
    citizen did not consent is not found by its number either."""
    return board_requests_qs()


@dataclass(frozen=True)
class RequestQuery:
    """Parsed filters of GET requests (see views); start/end are aware datetimes."""

    ids: list[str]
    service_codes: list[str]
    statuses: set[str]
    start: dt.datetime
    end: dt.datetime


def service_requests_search(*, query: RequestQuery, limit: int = MAX_RESULTS) -> list[PublicSummary]:
    """GET requests: by ids (other filters ignored, as the spec says) or by codes, status and dates."""
    qs = public_service_requests_qs()
    if query.ids:
        qs = qs.filter(ticket_number__in=query.ids)
    else:
        qs = qs.filter(created_at__gte=query.start, created_at__lte=query.end)
        if query.service_codes:
            qs = qs.filter(category__code__in=query.service_codes)
        if query.statuses:
            qs = qs.filter(state__in=states_for_statuses(query.statuses))
    return [summary_of(r) for r in qs.order_by("-created_at", "-id")[:limit]]


def service_request_get(*, service_request_id: str = "", pk: int | None = None) -> PublicSummary | None:
    """One request's public summary, by its ticket number (the API: board requests only) or its
    id (webhook payloads, to the client that submitted it)."""
    if pk is not None:  # a webhook payload, for the client that submitted the request
        qs = service_requests_qs().filter(pk=pk)
    else:
        qs = public_service_requests_qs().filter(ticket_number=service_request_id)
    req = qs.first()
    return summary_of(req) if req is not None else None


def service_request_for_token(*, token: str) -> tuple[PublicSummary, str] | None:
    """(the summary of the request an API submission created, the token in canonical form), else None."""
    try:
        value = uuid.UUID(token)
    except ValueError:
        return None
    req = service_requests_qs().filter(api_submission__token=value).first()
    return (summary_of(req), str(value)) if req is not None else None
