"""The lifecycle of personal data: anonymisation when its retention ends, and re-encryption under a new key.

`requests_anonymise` (retention) and `personal_data_rotate_keys` (key
rotation) walk the inventory of personal data (`personal_data`), never a list
of their own. Both are idempotent and batched: safe to re-run after a crash.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext

from .crypto import rotate
from .models import (
    FINISHED_STATES,
    Event,
    HelpRequest,
)
from .personal_data import DELETE, Entry, Kind, inventory_encrypted, inventory_for_requests

logger = logging.getLogger(__name__)


def requests_anonymise(*, older_than: dt.timedelta, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Erase the personal data of finished requests last changed before `now - older_than`.

    Walks the inventory (`personal_data.inventory_for_requests`) and erases every
    entry of each request in the same batch and transaction: the request's name,
    phone, hash, address, title and text; the outbox's recipients, bodies and
    errors; rating comments; timeline notes; staff free text on hand-overs and
    extensions; webhook payloads' free text; photo rows. The location is
    coarsened to what public outputs show (~100 m), never kept exact. Photo files are deleted
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
        assert entry.request_path is not None  # inventory_for_requests() keeps only reachable entries
        groups[(entry.model, entry.request_path)].append(entry)
    own_fields: list[str] = []
    for (label, path), entries in groups.items():
        if path == "":
            for help_request in help_requests:
                for entry in entries:
                    erased = entry.erased
                    if callable(erased):  # COARSENED: keep what public outputs show
                        erased = erased(getattr(help_request, entry.field))
                    setattr(help_request, entry.field, erased)
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
