"""Writes on the citizen side: submitting a help request, and looking one up.

`request_submit` is the only way a request comes into being (web form, the
Open311 API). It is idempotent on `submit_token`: submitting the same form
twice returns the first request (to the same phone only: SubmitTokenTaken).
It publishes nothing to the broker, so a broker outage can never block a
citizen; the deadline sweep picks new requests up from the database.

The lifecycle of personal data (retention, key rotation) is in `retention.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from .crypto import keyed_hash
from .models import (
    Attachment,
    Category,
    Deadline,
    District,
    Event,
    HelpRequest,
    Source,
    State,
    TicketCounter,
    Urgency,
)
from .photos import CleanPhoto
from .selectors import request_find_for_citizen

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


def deadline_durations() -> dict[str, dt.timedelta]:
    """The platform's promises as durations, from settings (overridable by environment)."""
    return {
        Deadline.Kind.CONTACT: dt.timedelta(seconds=settings.SLA_CONTACT_SECONDS),
        Deadline.Kind.URGENT: dt.timedelta(seconds=settings.SLA_URGENT_SECONDS),
        Deadline.Kind.RESOLVE: dt.timedelta(seconds=settings.SLA_RESOLVE_SECONDS),
        Deadline.Kind.FEEDBACK: dt.timedelta(seconds=settings.SLA_FEEDBACK_SECONDS),
    }


def deadline_plan(*, created_at: dt.datetime, is_urgent: bool) -> dict[str, dt.datetime]:
    """Due times for a request created at `created_at` (the urgent one only if urgent)."""
    durations = deadline_durations()
    plan = {kind: created_at + delta for kind, delta in durations.items()}
    if not is_urgent:
        plan.pop(Deadline.Kind.URGENT)
    return plan


def ticket_number_next(*, now: dt.datetime | None = None) -> str:
    """Allocate the next ticket number for today's local date, e.g. ZZ20260315-0042.

    One atomic upsert on the day's counter row, run in its own autocommit
    statement so the counter's row lock is held for microseconds, not for the
    whole submission. A failed submission leaves a gap, never a duplicate.
    """
    local_day = timezone.localdate(now or timezone.now())
    table = TicketCounter._meta.db_table
    sql = (
        f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 - table name is ours
        f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [local_day])
        (number,) = cursor.fetchone()
    return f"{settings.TICKET_PREFIX}{local_day:%Y%m%d}-{number:04d}"


class SubmitTokenTaken(Exception):
    """The submission key belongs to another citizen's request: nothing was stored, nothing is revealed."""


def request_submit(
    *,
    category: Category,
    urgency: str,
    district: District,
    name: str,
    phone: str,
    address: str,
    title: str,
    content: str,
    submit_token: uuid.UUID | None = None,
    channel_label: str = "",
    photos: Sequence[CleanPhoto] = (),
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    publish_consent: bool = False,
    now: dt.datetime | None = None,
    source: str = Source.WEB,
    taken_by: User | None = None,
) -> HelpRequest:
    """Store a citizen's request with its deadlines and the first timeline event.

    Inputs must already be validated and normalised (see forms.HelpRequestForm;
    the location is a WGS-84 point inside the city's box, or both None).
    `publish_consent` is the citizen's "公开我的诉求和答复": recorded with its time
    and as a public timeline event; nothing is published before staff approve a text.
    Returns the existing request when `submit_token` was used before with the
    same phone; raises SubmitTokenTaken when it was used with another phone.
    `source` says how it arrived (web, phone, visit, API); `taken_by` is the
    operator who typed it in for a caller or a walk-in (代录), recorded on the
    first event as its actor.

    When the database connection drops (a failover, a restart, a cut
    connection) the submission runs once more on a new connection, in a new
    transaction: always if the ticket number could not even be allocated
    (nothing was stored), otherwise only with a `submit_token`, which makes a
    second run return the first one's request if that did commit after all. If
    the second run fails too, SubmitUnavailable is raised: its `maybe_stored`
    says whether a run lost its connection while committing (then nobody can
    know whether the request is stored until the database is back, and a
    re-send with the same key finds it), otherwise nothing was stored. Inside
    an outer transaction nothing is retried.
    """
    now = now or timezone.now()

    def store(ticket_number: str) -> HelpRequest:
        return _request_store(
            ticket_number=ticket_number,
            category=category,
            urgency=urgency,
            district=district,
            name=name,
            phone=phone,
            address=address,
            title=title,
            content=content,
            submit_token=submit_token,
            channel_label=channel_label,
            photos=photos,
            latitude=latitude,
            longitude=longitude,
            now=now,
            source=source,
            taken_by=taken_by,
            publish_consent=publish_consent,
        )

    maybe_stored = False
    for attempt in (1, 2):
        allocated = False
        try:
            ticket_number = ticket_number_next(now=now)
            allocated = True
            return store(ticket_number)
        except (*CONNECTION_LOST, _CommitAnswerLost) as exc:
            maybe_stored = maybe_stored or isinstance(exc, _CommitAnswerLost)
            if attempt == 2 or connection.in_atomic_block or (allocated and submit_token is None):
                raise SubmitUnavailable(maybe_stored=maybe_stored) from exc
            logger.warning("Database connection lost during a submission; trying once more on a new connection")
            connection.close()
    raise AssertionError("unreachable")  # pragma: no cover


# What a dropped database connection raises (psycopg's "terminating connection", "connection already closed").
CONNECTION_LOST = (OperationalError, InterfaceError)


#: request_submit's keywords that every intake form (the citizen's HelpRequestForm, the
#: operator's 代录 form, an Open311 client's cleaned post) holds under the same names.
FORM_FIELDS = ("category", "urgency", "district", "name", "phone", "address", "title", "content")
#: Optional on some forms (the operator's has no map): absent means not given.
FORM_OPTIONAL_FIELDS = ("latitude", "longitude")


def request_submit_from(*, data: Mapping[str, Any], **options: Any) -> HelpRequest:
    """request_submit with the fields of a cleaned intake form; `options` are its other keywords.

    One mapping from form fields to the service, so a new field of the request is
    added once, not in every door (web form, 代录, Open311).
    """
    fields = {name: data[name] for name in FORM_FIELDS}
    fields.update({name: data.get(name) for name in FORM_OPTIONAL_FIELDS})
    return request_submit(**fields, **options)


class SubmitUnavailable(Exception):
    """The database could not be reached, twice, while storing a submission.

    `maybe_stored` False: nothing was stored, no ticket number was given.
    True: a run lost its connection while committing, so the request may be
    stored after all; nobody can tell until the database answers again, and a
    re-send with the same submission key then returns it instead of a second one.
    """

    def __init__(self, *, maybe_stored: bool) -> None:
        super().__init__("the submission may be stored" if maybe_stored else "nothing was stored")
        self.maybe_stored = maybe_stored


class _CommitAnswerLost(Exception):
    """The connection dropped while committing: the request may or may not be stored."""


def _request_store(
    *,
    ticket_number: str,
    category: Category,
    urgency: str,
    district: District,
    name: str,
    phone: str,
    address: str,
    title: str,
    content: str,
    submit_token: uuid.UUID | None,
    channel_label: str,
    photos: Sequence[CleanPhoto],
    latitude: Decimal | None,
    longitude: Decimal | None,
    now: dt.datetime,
    source: str,
    taken_by: User | None,
    publish_consent: bool,
) -> HelpRequest:
    is_urgent = urgency == Urgency.URGENT
    plan = deadline_plan(created_at=now, is_urgent=is_urgent)
    # The clock columns (requests_app.clock) of a new request: its first promise, none missed yet.
    # Set here rather than refreshed after the insert, to keep a submission at one UPDATE-free write.
    next_kind = min(plan, key=lambda kind: plan[kind])
    help_request = HelpRequest(
        ticket_number=ticket_number,
        submit_token=submit_token,
        category_claimed=category,
        category=category,
        urgency_claimed=urgency,
        is_urgent=is_urgent,
        district=district,
        name=name,
        phone=phone,
        phone_hash=keyed_hash(phone),
        address=address,
        latitude=latitude,
        longitude=longitude,
        title=title,
        content=content,
        source=source,
        publish_consent=publish_consent,
        publish_consent_at=now if publish_consent else None,
        state=State.SUBMITTED,
        created_at=now,
        updated_at=now,
        next_due_at=plan[next_kind],
        next_due_kind=next_kind,
    )
    # Only the outermost block commits; a lost answer to its COMMIT leaves the outcome unknown.
    commits = not connection.in_atomic_block
    committing = False
    try:
        with transaction.atomic():
            help_request.save(force_insert=True)
            Deadline.objects.bulk_create(
                Deadline(request=help_request, kind=kind, due_at=due) for kind, due in plan.items()
            )
            for photo in photos:
                attachment = Attachment(
                    request=help_request, width=photo.width, height=photo.height, size=len(photo.content)
                )
                attachment.file.save(f"{uuid.uuid4().hex}.jpg", ContentFile(photo.content), save=False)
                attachment.save()
            Event.objects.create(
                request=help_request,
                kind=Event.Kind.SUBMITTED,
                to_state=State.SUBMITTED,
                actor=taken_by,
                actor_label=channel_label or "市民",
                message="话务员代录求助" if taken_by is not None else "市民提交求助",
                is_public=True,
                created_at=now,
                data={"urgency": urgency, "category": category.code, "photos": len(photos), "source": source},
            )
            if publish_consent:
                Event.objects.create(
                    request=help_request,
                    kind=Event.Kind.PUBLICATION,
                    actor_label=channel_label or "市民",
                    message=CONSENT_GIVEN_MESSAGE,
                    is_public=True,
                    created_at=now,
                    data={"consent": True},
                )
            committing = commits  # leaving the block sends COMMIT
    except CONNECTION_LOST as exc:
        if committing:
            raise _CommitAnswerLost from exc
        raise
    except IntegrityError:
        # The same form was submitted before (double click, resubmitted POST):
        # the unique token refuses the second insert; answer with the first, but
        # only to the same citizen. A key copied from someone else's submission
        # must not open their receipt and tracking link.
        if submit_token is not None:
            existing = HelpRequest.objects.filter(submit_token=submit_token).first()
            if existing is not None:
                if existing.phone_hash and hmac.compare_digest(existing.phone_hash, help_request.phone_hash):
                    return existing
                raise SubmitTokenTaken from None
        raise
    return help_request


CONSENT_GIVEN_MESSAGE = "市民同意公开诉求和答复（经工作人员审核隐去个人信息后在问政板公开）"
CONSENT_WITHDRAWN_MESSAGE = "市民撤回公开同意，已从问政板撤下"


def request_publish_consent_set(
    *, help_request: HelpRequest, consent: bool, now: dt.datetime | None = None
) -> HelpRequest:
    """The citizen gives or withdraws "公开我的诉求和答复" from the progress page (proven by the token).

    Giving it later is how a caller whose request was typed in by an operator (代录, who
    cannot consent for them) or a citizen who left the box unticked opts in: the request
    then waits for staff to approve a text, as at intake. Withdrawing takes it off the
    board, its feeds and the Open311 list with this commit, since they read the consent on
    every request. An anonymised request cannot be published. Idempotent: setting the
    consent it already has records nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = HelpRequest.objects.select_for_update().get(pk=help_request.pk)
        if locked.publish_consent == consent or (consent and locked.anonymised_at is not None):
            return locked
        locked.publish_consent = consent
        locked.publish_consent_at = now if consent else None
        locked.updated_at = now
        locked.save(update_fields=["publish_consent", "publish_consent_at", "updated_at"])
        Event.objects.create(
            request=locked,
            kind=Event.Kind.PUBLICATION,
            actor_label="市民",
            message=CONSENT_GIVEN_MESSAGE if consent else CONSENT_WITHDRAWN_MESSAGE,
            is_public=True,
            created_at=now,
            data={"consent": consent},
        )
    return locked


class LookupLocked(Exception):
    """Too many wrong phones for this ticket number: lookups wait until the lock expires."""


def _lookup_failures_key(ticket_number: str) -> str:
    # Hashed: the number is whatever was typed, and cache keys must be short and plain.
    return "lookup-failures:" + hashlib.sha256(ticket_number.encode()).hexdigest()[:32]


def request_lookup(*, ticket_number: str, phone: str) -> HelpRequest | None:
    """Find a request by number and phone for the citizen, counting failed tries.

    After LOOKUP_MAX_FAILURES wrong answers for one ticket number within
    LOOKUP_LOCK_SECONDS, that number is locked for lookups (LookupLocked) until
    the window passes. Unknown numbers are counted the same way, so the lock
    reveals nothing about which numbers exist. The signed link is not affected.
    """
    key = _lookup_failures_key((ticket_number or "").strip().upper())
    failures = cache.get(key, 0)
    if failures >= settings.LOOKUP_MAX_FAILURES:
        raise LookupLocked
    help_request = request_find_for_citizen(ticket_number=ticket_number, phone=phone)
    if help_request is None and not cache.add(key, 1, settings.LOOKUP_LOCK_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, settings.LOOKUP_LOCK_SECONDS)
    return help_request
