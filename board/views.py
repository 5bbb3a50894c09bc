"""Public pages of the 问政 board. Thin: parse, call one selector or service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from requests_app.selectors import active_choices

from . import selectors, services
from .forms import MeTooForm


def _page_number(raw: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 1


def _district_by_code(code: str):
    return next((d for d in active_choices().districts if d.code == code), None)


@require_GET
def board_list(request: HttpRequest) -> HttpResponse:
    choices = active_choices()
    query = request.GET.get("q", "").strip()[:50]
    district = _district_by_code(request.GET.get("district", ""))
    category_code = request.GET.get("category", "")
    if not any(c.code == category_code for c in choices.categories):
        category_code = ""
    page = selectors.board_page(
        query=query,
        district_id=district.pk if district else None,
        category_code=category_code,
        number=_page_number(request.GET.get("page", "1")),
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "board/list.html",
        {
            "page": page,
            "query": query,
            "district": district,
            "category_code": category_code,
            "districts": choices.districts,
            "categories": choices.categories,
            "filters": params.urlencode(),
        },
    )


def _detail(request: HttpRequest, ticket_number: str, form: MeTooForm | None = None, status: int = 200):
    entry = selectors.board_entry_get(ticket_number=ticket_number)
    if entry is None:
        raise Http404
    form = form or (MeTooForm() if entry.is_open else None)
    return render(request, "board/detail.html", {"entry": entry, "form": form}, status=status)


@require_GET
def board_detail(request: HttpRequest, ticket_number: str) -> HttpResponse:
    return _detail(request, ticket_number)


def _rate(group, request) -> str:
    return settings.RATELIMIT_SUBMIT


@require_POST
@sensitive_post_parameters("phone")
@ratelimit(key="ip", rate=_rate, method="POST", block=False)
def me_too(request: HttpRequest, ticket_number: str) -> HttpResponse:
    """我也遇到: one phone once per open board request, told of the outcome by SMS."""
    form = MeTooForm(request.POST)
    if getattr(request, "limited", False):
        form.is_valid()
        form.add_error(None, _("提交过于频繁，请稍后再试。"))
        return _detail(request, ticket_number, form, status=429)
    if not form.is_valid():
        return _detail(request, ticket_number, form, status=400)
    try:
        _row, created = services.me_too_add(ticket_number=ticket_number, phone=form.cleaned_data["phone"])
    except services.MeTooRefused:
        raise Http404 from None
    if created:
        messages.success(request, _("已记录“我也遇到”。办结时我们会短信告知您结果。"))
    else:
        messages.info(request, _("这个电话已经记录过了，办结时会短信告知您结果。"))
    return redirect("board:detail", ticket_number=ticket_number)


def _rate_lookalikes(group, request) -> str:
    return settings.RATELIMIT_LOOKUP


@require_POST
@sensitive_post_parameters("title", "content")
@ratelimit(key="ip", rate=_rate_lookalikes, method="POST", block=False)
def similar(request: HttpRequest) -> HttpResponse:
    """The request form's look-alikes (posted by static/js/board-similar.js): an HTML fragment.

    POST, so what the citizen is typing never lands in an access log's query string;
    rate-limited like the lookup (an empty answer once limited: the form works without it).
    """
    if getattr(request, "limited", False):
        return HttpResponse("")
    district = next((d for d in active_choices().districts if str(d.pk) == request.POST.get("district", "")), None)
    found = selectors.board_similar(
        title=request.POST.get("title", "")[:60],
        content=request.POST.get("content", "")[:300],
        district_id=district.pk if district else None,
    )
    return render(request, "board/includes/similar.html", {"found": found})
