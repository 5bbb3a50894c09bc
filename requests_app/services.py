"""Writes on the citizen side: submitting a help request, and the lifecycle of its personal data.

`request_submit` is the only way a request comes into being (web form, later
the Open311 API). It is idempotent on `submit_token`: submitting the same form
twice returns the first request (to the same phone only: SubmitTokenTaken). It publishes nothing to the broker, so a
broker outage can never block a citizen; the deadline sweep picks new
requests up from the database.

`requests_anonymise` (retention) and `personal_data_rotate_keys` (key
rotation) walk the inventory of personal data (`personal_data`), never a list
of their own.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, connection, models, transaction
from django.db.models import ExpressionWrapper, F, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext

from .crypto import keyed_hash, rotate
from .models import (
    FINISHED_STATES,
    Attachment,
    Category,
    Deadline,
    District,
    Event,
    HelpRequest,
    State,
    TicketCounter,
    Urgency,
)
from .personal_data import DELETE, Entry, Kind, inventory_encrypted, inventory_for_requests
from .photos import CleanPhoto
from .selectors import request_find_for_citizen

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
    now: dt.datetime | None = None,
) -> HelpRequest:
    """Store a citizen's request with its deadlines and the first timeline event.

    Inputs must already be validated and normalised (see forms.HelpRequestForm).
    Returns the existing request when `submit_token` was used before with the
    same phone; raises SubmitTokenTaken when it was used with another phone.
    """
    now = now or timezone.now()
    is_urgent = urgency == Urgency.URGENT
    ticket_number = ticket_number_next(now=now)
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
        title=title,
        content=content,
        state=State.SUBMITTED,
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            help_request.save(force_insert=True)
            Deadline.objects.bulk_create(
                Deadline(request=help_request, kind=kind, due_at=due)
                for kind, due in deadline_plan(created_at=now, is_urgent=is_urgent).items()
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
                actor_label=channel_label or "市民",
                message="市民提交求助",
                is_public=True,
                created_at=now,
                data={"urgency": urgency, "category": category.code, "photos": len(photos)},
            )
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


def requests_anonymise(*, older_than: dt.timedelta, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Erase the personal data of finished requests last changed before `now - older_than`.

    Walks the inventory (`personal_data.inventory_for_requests`) and erases every
    entry of each request in the same batch and transaction: the request's name,
    phone, hash, address, title and text; the outbox's recipients, bodies and
    errors; rating comments; timeline notes; staff free text on hand-overs and
    extensions; webhook payloads' free text; photo rows. Photo files are deleted
    from disk when the batch commits (`transaction.on_commit`), so a rollback
    leaves rows and files together; a crash between the commit and the deletion
    can leave a file without its row (the batch's file names are logged first).

    The timeline is append-only, with one exception: erasing a personal note
    (and the free-text keys of its data) during this legal-retention erasure.
    Kinds, states and times of events are never touched. The ticket number,
    channel, district, states, times, deadlines and ratings stay, so the public
    figures do not change. Each request gets one internal timeline event.

    Idempotent: anonymised requests are skipped. Batched; rows are claimed with
    `select_for_update(skip_locked=True)` where the database has row locks (on
    SQLite the IMMEDIATE transaction is the lock). Returns how many were anonymised.
    """
    now = now or timezone.now()
    cutoff = now - older_than
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                HelpRequest.objects.select_for_update(skip_locked=True)
                .filter(state__in=FINISHED_STATES, anonymised_at__isnull=True, updated_at__lt=cutoff)
                .order_by("id")[:batch_size]
            )
            if not batch:
                return done
            own_fields = _personal_data_erase(help_requests=batch)
            for help_request in batch:
                help_request.anonymised_at = now
            HelpRequest.objects.bulk_update(batch, [*own_fields, "anonymised_at"])
            message = gettext("个人信息已按保存期限匿名化")
            Event.objects.bulk_create(
                Event(
                    request=help_request,
                    kind=Event.Kind.NOTE,
                    actor_label="系统",
                    message=message,
                    is_public=False,
                    created_at=now,
                )
                for help_request in batch
            )
            done += len(batch)


def requests_anonymise_again(*, batch_size: int = 500) -> int:
    """Erase again, under today's inventory, what requests anonymised earlier still hold.

    For requests anonymised before the inventory listed the outbox, photos,
    comments and notes: their rows still hold the citizen's phone and words.
    Keeps `anonymised_at` and writes no timeline event (the request was
    anonymised already; this finishes it). Idempotent. Returns how many
    requests were walked.
    """
    last_id = 0
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                HelpRequest.objects.select_for_update(skip_locked=True)
                .filter(anonymised_at__isnull=False, id__gt=last_id)
                .order_by("id")[:batch_size]
            )
            if not batch:
                return done
            own_fields = _personal_data_erase(help_requests=batch)
            HelpRequest.objects.bulk_update(batch, own_fields)
            last_id = batch[-1].pk
            done += len(batch)


def _personal_data_erase(*, help_requests: list[HelpRequest]) -> list[str]:
    """Erase every inventory entry of these (locked) requests; return the request's own fields, set but unsaved."""
    ids = [r.pk for r in help_requests]
    groups: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in inventory_for_requests():
        groups[(entry.model, entry.request_path)].append(entry)
    own_fields: list[str] = []
    for (label, path), entries in groups.items():
        if path == "":
            for help_request in help_requests:
                for entry in entries:
                    setattr(help_request, entry.field, entry.erased)
            own_fields += [entry.field for entry in entries]
            continue
        rows = apps.get_model(label)._base_manager.filter(**{f"{path}__in": ids})
        if any(entry.erased is DELETE for entry in entries):
            _rows_delete(rows=rows, entries=entries)
            continue
        plain = {entry.field: entry.erased for entry in entries if not entry.json_keys}
        if plain:
            rows.update(**plain)  # QuerySet.update: the one write past Event.save()'s guard
        for entry in entries:
            if entry.json_keys:
                _json_keys_erase(rows=rows, entry=entry)
    return own_fields


def _rows_delete(*, rows: QuerySet, entries: list[Entry]) -> None:
    files = [
        (rows.model._meta.get_field(entry.field).storage, name)
        for entry in entries
        if entry.kind == Kind.FILE
        for name in rows.exclude(**{entry.field: ""}).values_list(entry.field, flat=True)
    ]
    rows.delete()
    if files:
        logger.info("Anonymisation: %d file(s) to delete after commit: %s", len(files), [n for _, n in files])
        transaction.on_commit(lambda: _files_delete(files))


def _files_delete(files: list[tuple[Storage, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:  # the row is gone already: say which file is left, for someone to remove
            logger.exception("Anonymisation could not delete %s", name)


def _json_keys_erase(*, rows: QuerySet, entry: Entry) -> None:
    top_keys = sorted({key.split(".")[0] for key in entry.json_keys})
    for pk, document in rows.filter(**{f"{entry.field}__has_any_keys": top_keys}).values_list("pk", entry.field):
        erased = _json_erased(document, keys=entry.json_keys, value=entry.erased)
        if erased != document:
            rows.model._base_manager.filter(pk=pk).update(**{entry.field: erased})


def _json_erased(document: object, *, keys: tuple[str, ...], value: object) -> object:
    """A copy of `document` with each dotted key that holds something set to `value`."""
    document = copy.deepcopy(document)
    for dotted in keys:
        *parents, last = dotted.split(".")
        node = document
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(last) not in (None, "", value):
            node[last] = value
    return document


@dataclass(frozen=True)
class KeyRotation:
    """What `personal_data_rotate_keys` did, per "app.Model.field"."""

    rotated: dict[str, int]
    unreadable: dict[str, int]  # tokens no configured key opens: left as they are

    @property
    def total(self) -> int:
        return sum(self.rotated.values())


def personal_data_rotate_keys(*, batch_size: int = 500) -> KeyRotation:
    """Re-encrypt every encrypted field of the inventory under the current (first) key.

    Reads the stored tokens as they are (a plain TextField view of the column,
    no decryption on load) and writes the re-encrypted tokens back as they are,
    a batch of rows per transaction. Rows are locked with `select_for_update`
    where the database has row locks; on SQLite (no FOR UPDATE) the IMMEDIATE
    transaction holds the write lock instead. A token no key opens is counted
    and left alone. Idempotent: running it again re-encrypts under the same key.
    """
    rotated: Counter[str] = Counter()
    unreadable: Counter[str] = Counter()
    fields_by_model: dict[str, list[str]] = defaultdict(list)
    for entry in inventory_encrypted():
        fields_by_model[entry.model].append(entry.field)
    for label, fields in fields_by_model.items():
        model = apps.get_model(label)
        raw = {f"raw_{f}": ExpressionWrapper(F(f), output_field=models.TextField()) for f in fields}
        last_pk = None
        while True:
            with transaction.atomic():
                rows = model._base_manager.select_for_update().order_by("pk").annotate(**raw)
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows.values_list("pk", *raw)[:batch_size])
                if not batch:
                    break
                objs = []
                for pk, *tokens in batch:
                    obj = model(pk=pk)
                    for field, token in zip(fields, tokens, strict=True):
                        if token:
                            try:
                                token = rotate(token)
                                rotated[f"{label}.{field}"] += 1
                            except InvalidToken:
                                unreadable[f"{label}.{field}"] += 1
                        # A Value with a plain TextField: written as is, not encrypted again.
                        setattr(obj, field, Value(token, output_field=models.TextField()))
                    objs.append(obj)
                model._base_manager.bulk_update(objs, fields)
                last_pk = batch[-1][0]
    for dotted, count in unreadable.items():
        logger.warning("Key rotation: %d value(s) of %s open with no configured key", count, dotted)
    return KeyRotation(rotated=dict(rotated), unreadable=dict(unreadable))
