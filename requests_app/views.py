"""Citizen pages: home, submit, receipt, track. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from . import display, public, selectors, services
from .forms import FeedbackForm, HelpRequestForm, LookupForm
from .models import Category, HelpRequest


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
            return render(request, "requests_app/submit.html", {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            try:
                help_request = services.request_submit(
                    category=data["category"],
                    urgency=data["urgency"],
                    district=data["district"],
                    name=data["name"],
                    phone=data["phone"],
                    address=data["address"],
                    latitude=data.get("latitude"),
                    longitude=data.get("longitude"),
                    title=data["title"],
                    content=data["content"],
                    submit_token=data.get("submit_token"),
                    photos=data.get("photos") or (),
                    publish_consent=bool(data.get("publish")),
                )
            except services.SubmitTokenTaken:
                # Says nothing about the request that holds the key.
                form.submit_token_renew()
                return render(request, "requests_app/submit.html", {"form": form}, status=409)
            token = selectors.track_token_for(ticket_number=help_request.ticket_number)
            return redirect("requests_app:receipt", token=token)
    else:
        initial = {}
        code = request.GET.get("category")
        if code:
            initial["category"] = selectors.active_category_by_code(code=code)
        form = HelpRequestForm(initial=initial)
    return render(request, "requests_app/submit.html", {"form": form})


def _qr_svg(url: str) -> str:
    # Generated on the server, no network: an inline SVG the phone can scan or print.
    return mark_safe(segno.make(url, error="m").svg_inline(scale=4, dark="#212529", light="#ffffff", omitsize=True))  # noqa: S308


def _progress_context(help_request: HelpRequest) -> dict:
    view = public.citizen_view_of(help_request=help_request)
    # The rating form posts to dispatch (it runs the workflow); the request's own token proves the citizen.
    return {"public": view, "feedback_form": FeedbackForm() if view.can_rate else None}


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


def track_token(request: HttpRequest, token: str) -> HttpResponse:
    help_request = selectors.request_get_by_token(token=token)
    if help_request is None:
        raise Http404
    return render(request, "requests_app/progress.html", _progress_context(help_request))


@require_POST
def publish_withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """撤回公开: the signed link proves the citizen; the request leaves the 问政 board at once."""
    help_request = selectors.request_get_by_token(token=token)
    if help_request is None:
        raise Http404
    services.request_publish_withdraw(help_request=help_request)
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
