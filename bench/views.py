"""Minimal baseline views: the same database statements as the real pages, nothing else.

Each view runs exactly the SQL its real counterpart runs for the database
work the promise is about, through the plain ORM calls a minimal Django view
would use, and answers with a few bytes instead of a page:

- submit_baseline = what the real submission asks the database: the advice's
  one candidate statement (kb.matching; a form posted without JavaScript, as
  bench/run.py posts it, is advised before it is stored), then
  requests_app.services.request_submit's statements: the ticket counter
  upsert in autocommit, then one transaction with the HelpRequest insert, the
  Deadline bulk insert and the Event insert.
- form_baseline = plain Django: a Form over the same fields, validated, one
  INSERT into bench.MinimalSubmission, a redirect (the issue's "minimal form").
- track_baseline / track_ticket_baseline = the progress page's selects: the
  request by ticket number (+ the phone's keyed hash) with its category, district and
  duplicate_of joined, its public events, its deadlines.

No form, no template, no validation beyond int(): that is the point of a
baseline. CSRF still applies (same middleware), so the client sends the same
cookie and token to both.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kb.matching import candidates_sql, query_terms, query_text
from requests_app.crypto import keyed_hash
from requests_app.models import Deadline, Event, HelpRequest, State, TicketCounter
from requests_app.phones import phone_normalize

from .models import MinimalSubmission

_DURATIONS = {
    "contact": "SLA_CONTACT_SECONDS",
    "urgent": "SLA_URGENT_SECONDS",
    "resolve": "SLA_RESOLVE_SECONDS",
    "feedback": "SLA_FEEDBACK_SECONDS",
}


@require_POST
def submit_baseline(request: HttpRequest) -> HttpResponse:
    post = request.POST
    now = timezone.now()
    terms = query_terms(query_text(title=post["title"], content=post["content"]))
    if terms:
        sql, params = candidates_sql(terms=terms, today=timezone.localdate(now))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
    urgency = post["urgency"]
    is_urgent = urgency == "urgent"
    day = timezone.localdate(now)
    table = TicketCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        (number,) = cursor.fetchone()
    category_id = int(post["category"])
    with transaction.atomic():
        help_request = HelpRequest(
            ticket_number=f"{settings.TICKET_PREFIX}{day:%Y%m%d}-{number:04d}",
            submit_token=uuid.UUID(post["submit_token"]),
            category_claimed_id=category_id,
            category_id=category_id,
            urgency_claimed=urgency,
            is_urgent=is_urgent,
            district_id=int(post["district"]),
            name=post["name"],
            phone=post["phone"],
            address=post.get("address", ""),
            title=post["title"],
            content=post["content"],
            state=State.SUBMITTED,
            created_at=now,
            updated_at=now,
        )
        help_request.save(force_insert=True)
        Deadline.objects.bulk_create(
            Deadline(request=help_request, kind=kind, due_at=now + dt.timedelta(seconds=getattr(settings, name)))
            for kind, name in _DURATIONS.items()
            if is_urgent or kind != "urgent"
        )
        Event.objects.create(
            request=help_request,
            kind="submitted",
            to_state=State.SUBMITTED,
            actor_label="市民",
            message="市民提交求助",
            is_public=True,
            created_at=now,
            data={"urgency": urgency, "category": "minsheng"},
        )
    return HttpResponse(help_request.ticket_number)


def _lookup_response(help_request: HelpRequest | None) -> HttpResponse:
    if help_request is None:
        return HttpResponseNotFound("no")
    events = list(
        Event.objects.filter(request=help_request, is_public=True)
        .only("kind", "message", "note", "unit_name", "created_at", "to_state")
        .order_by("created_at", "id")
    )
    deadlines = list(help_request.deadlines.order_by("due_at", "id"))
    return HttpResponse(f"{help_request.ticket_number} {len(events)} {len(deadlines)}")


def _requests():
    return HelpRequest.objects.select_related("category", "district", "duplicate_of")


@require_POST
def track_baseline(request: HttpRequest) -> HttpResponse:
    # The phone is stored encrypted (random ciphertext): like the real lookup, and
    # like any Django view over this schema, match its keyed hash instead.
    phone_hash = keyed_hash(phone_normalize(request.POST["phone"]) or "")
    return _lookup_response(
        _requests().filter(ticket_number=request.POST["ticket_number"], phone_hash=phone_hash).first()
    )


@require_GET
def track_ticket_baseline(request: HttpRequest, ticket_number: str) -> HttpResponse:
    return _lookup_response(_requests().filter(ticket_number=ticket_number).first())


class MinimalForm(forms.Form):
    """The submission's fields as a plain Django form: types, lengths, required, nothing else."""

    submit_token = forms.UUIDField()
    category = forms.IntegerField()
    district = forms.IntegerField()
    urgency = forms.ChoiceField(choices=[("normal", "normal"), ("urgent", "urgent")])
    name = forms.CharField(max_length=50)
    phone = forms.CharField(max_length=20)
    address = forms.CharField(max_length=200, required=False)
    title = forms.CharField(max_length=200)
    content = forms.CharField(max_length=2000)


@require_POST
def form_baseline(request: HttpRequest) -> HttpResponse:
    """The minimal Django form view the issue compares with: validate, one INSERT, redirect."""
    form = MinimalForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    MinimalSubmission.objects.create(**form.cleaned_data)
    return redirect("/bench/form/done/")


def form_baseline_done(request: HttpRequest) -> HttpResponse:
    return HttpResponse("done")
