"""Citizen pages: home, submit, receipt, track. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import functools
from collections.abc import Callable

import segno
from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from helpdesk.params import id_or_none

from . import display, intake, public, selectors, services
from .forms import FeedbackForm, HelpRequestForm, LookupForm
from .models import Category, HelpRequest


def _read_once_more(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For views that only read: when the database connection drops mid-way (a failover, a cut),
    run the view once more on a new connection instead of answering 500."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except services.CONNECTION_LOST:
            if connection.in_atomic_block:
                raise
            connection.close()
            return view(request, *args, **kwargs)

    return wrapped


@_read_once_more
def home(request: HttpRequest) -> HttpResponse:
    categories = selectors.active_categories()
    return render(
        request,
        "requests_app/home.html",
        {
            "general": [c for c in categories if c.group == Category.Group.GENERAL],
            "emergency": [c for c in categories if c.group == Category.Group.EMERGENCY],
            "totals": selectors.public_totals(),
            "lookup_form": LookupForm(),
        },
    )


def _rate(setting: str):
    return lambda group, request: getattr(settings, setting)


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("name", "phone", "address", "content")
@ratelimit(key="ip", rate=_rate("RATELIMIT_SUBMIT"), method="POST", block=False)
def submit(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = HelpRequestForm(request.POST, request.FILES)
        if getattr(request, "limited", False):
            # Keep everything typed; say when to try again.
            form.is_valid()
            form.add_error(None, _("提交过于频繁，请稍后再试。您填写的内容已保留。"))
            return _submit_page(request, form, _advice_for(request), status=429)
        try:
            return _submit_valid(request, form)
        except services.SubmitUnavailable as exc:
            # request_submit already tried again on a new connection. Say what is
            # known (nothing stored, or: it may be stored, nobody can tell yet), keep
            # everything typed and the same submission key, so sending it again can
            # never store it twice.
            if not connection.in_atomic_block:
                connection.close()  # render the form on a fresh connection
            context = {
                "form": form,
                "advice": [],
                "unavailable": True,
                "maybe_stored": exc.maybe_stored,
                "had_photos": bool(request.FILES),
            }
            return render(request, "requests_app/submit.html", context, status=503)
    return _submit_form_page(request)


@_read_once_more
def _submit_form_page(request: HttpRequest) -> HttpResponse:
    initial = {}
    code = request.GET.get("category")
    if code:
        initial["category"] = selectors.active_category_by_code(code=code)
    return _submit_page(request, HelpRequestForm(initial=initial), [])


def _is_valid_once_more(request: HttpRequest, form: HelpRequestForm) -> bool:
    """Validation reads the database (the channels, the districts) before anything is stored: when
    the connection drops there, validate once more on a new connection. A second drop is
    SubmitUnavailable with nothing stored (the form comes back with the truth, not a 500)."""
    try:
        return form.is_valid()
    except services.CONNECTION_LOST as exc:
        if connection.in_atomic_block:
            raise
        connection.close()
        for _name, uploads in request.FILES.lists():
            for upload in uploads:
                upload.seek(0)
        try:
            form.full_clean()  # starts the errors and cleaned data afresh
            return form.is_valid()
        except services.CONNECTION_LOST:
            raise services.SubmitUnavailable(maybe_stored=False) from exc


def _submit_valid(request: HttpRequest, form: HelpRequestForm) -> HttpResponse:
    """Validate and store a posted form: the receipt's redirect, or the form again with what to fix."""
    valid = _is_valid_once_more(request, form)
    # Advice is read for every form shown again, and for a first submit (a submit after the
    # advice was seen goes straight through, at the cost of the inserts alone).
    advice = _advice_for(request) if not (valid and form.cleaned_data.get("advice_seen")) else []
    if valid and any(a.hold for a in advice):
        # Without JavaScript the advice is a step: the form comes back once, everything typed kept.
        form.advice_hold()
        return _submit_page(request, form, advice, held=True)
    if not valid:
        return _submit_page(request, form, advice)
    data = form.cleaned_data
    try:
        help_request = services.request_submit_from(
            data=data,
            submit_token=data.get("submit_token"),
            photos=data.get("photos") or (),
            publish_consent=bool(data.get("publish")),
        )
    except services.SubmitTokenTaken:
        # Says nothing about the request that holds the key.
        form.submit_token_renew()
        return _submit_page(request, form, _advice_for(request), status=409)
    token = selectors.track_token_for(ticket_number=help_request.ticket_number)
    return redirect("requests_app:receipt", token=token)


def _advice_for(request: HttpRequest) -> list[intake.Advice]:
    """The advisers' advice for what was typed (settings.INTAKE_ADVISERS); raw text, read before validation.

    Advice helps, it never gates a submission: if the database connection drops while it is
    read, the form goes on without it (on a new connection).
    """
    category = request.POST.get("category", "")
    try:
        return intake.advice_collect(
            title=request.POST.get("title", "")[:200],
            content=request.POST.get("content", "")[:2000],
            category_id=id_or_none(category),
        )
    except services.CONNECTION_LOST:
        if connection.in_atomic_block:
            raise
        connection.close()
        return []


def _submit_page(
    request: HttpRequest, form: HelpRequestForm, advice: list[intake.Advice], *, held: bool = False, status: int = 200
) -> HttpResponse:
    context = {"form": form, "advice": advice, "advice_held": held}
    return render(request, "requests_app/submit.html", context, status=status)


@require_POST
@ratelimit(key="ip", rate=_rate("RATELIMIT_ADVICE"), method="POST", block=False)
def submit_advice(request: HttpRequest) -> HttpResponse:
    """The advice for the text being typed, as an HTML fragment for the form's script (CSRF-checked POST)."""
    if getattr(request, "limited", False):
        return HttpResponse(status=429)
    response = render(request, "requests_app/includes/advice.html", {"advice": _advice_for(request)})
    response["Cache-Control"] = "no-store"
    return response


def _qr_svg(url: str) -> str:
    # Generated on the server, no network: an inline SVG the phone can scan or print.
    return mark_safe(segno.make(url, error="m").svg_inline(scale=4, dark="#212529", light="#ffffff", omitsize=True))  # noqa: S308


def _progress_context(help_request: HelpRequest) -> dict:
    view = public.citizen_view_of(help_request=help_request)
    # The rating form posts to dispatch (it runs the workflow); the request's own token proves the citizen.
    return {"public": view, "feedback_form": FeedbackForm() if view.can_rate else None}


@_read_once_more
def receipt(request: HttpRequest, token: str) -> HttpResponse:
    help_request = selectors.request_get_by_token(token=token)
    if help_request is None:
        raise Http404
    context = _progress_context(help_request)
    # Only the receipt needs the absolute link (for its QR code).
    context["track_url"] = request.build_absolute_uri(
        reverse("requests_app:track_token", args=[context["public"].token])
    )
    context["qr_svg"] = _qr_svg(context["track_url"])
    return render(request, "requests_app/receipt.html", context)


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("phone")
@ratelimit(key="ip", rate=_rate("RATELIMIT_LOOKUP"), method="POST", block=False)
@_read_once_more  # inside the limit: a second run is not a second try
def track(request: HttpRequest) -> HttpResponse:
    problem = None
    status = 200
    if request.method == "POST":
        form = LookupForm(request.POST)
        if getattr(request, "limited", False):
            problem, status = "limited", 429
        elif form.is_valid():
            try:
                help_request = services.request_lookup(
                    ticket_number=form.cleaned_data["ticket_number"], phone=form.cleaned_data["phone"]
                )
            except services.LookupLocked:
                problem, status = "locked", 429
            else:
                if help_request is not None:
                    return render(request, "requests_app/progress.html", _progress_context(help_request))
                problem = "not_found"
    else:
        form = LookupForm(initial={"ticket_number": request.GET.get("ticket_number", "")})
    return render(request, "requests_app/track.html", {"form": form, "problem": problem}, status=status)


@_read_once_more
def track_token(request: HttpRequest, token: str) -> HttpResponse:
    help_request = selectors.request_get_by_token(token=token)
    if help_request is None:
        raise Http404
    return render(request, "requests_app/progress.html", _progress_context(help_request))


@require_POST
def publish_consent(request: HttpRequest, token: str) -> HttpResponse:
    """公开 / 撤回公开 from the progress page: the signed link proves the citizen.

    Withdrawn, the request leaves the 问政 board at once; given, it waits for staff to
    approve a text with personal details taken out.
    """
    help_request = selectors.request_get_by_token(token=token)
    if help_request is None:
        raise Http404
    consent = request.POST.get("consent") == "1"
    changed = services.request_publish_consent_set(help_request=help_request, consent=consent)
    if consent and changed.publish_consent:
        messages.success(request, _("已同意公开：工作人员审核、隐去个人信息后，您的求助和答复将显示在问政板上。"))
    elif not consent:
        messages.success(request, _("已撤回公开：您的求助不再显示在问政板上。"))
    return redirect("requests_app:track_token", token=token)


def poster(request: HttpRequest) -> HttpResponse:
    """A printable A4 poster with the platform's QR codes (扫码进入平台求助), like the article's."""
    submit_url = request.build_absolute_uri(reverse("requests_app:submit"))
    track_url = request.build_absolute_uri(reverse("requests_app:track"))
    return render(
        request,
        "requests_app/poster.html",
        {
            "submit_url": submit_url,
            "track_url": track_url,
            "submit_qr": _qr_svg(submit_url),
            "track_qr": _qr_svg(track_url),
        },
    )


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """长辈版 on or off (the layout's button), then back to the page it was pressed on; no JavaScript needed."""
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("requests_app:home")
    response = redirect(next_url)
    if request.POST.get("text_size") == display.LARGE:
        response.set_cookie(
            display.TEXT_SIZE_COOKIE,
            display.LARGE,
            max_age=display.TEXT_SIZE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(display.TEXT_SIZE_COOKIE, samesite="Lax")
    return response
