"""Citizen pages of the knowledge base: "这解决了我的问题" (a 直办) and an answer's own page. Thin."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from . import selectors, services


def _direct_rate(group: str, request: HttpRequest) -> str:
    return settings.RATELIMIT_DIRECT_ANSWER


@require_POST
@ratelimit(key="ip", rate=_direct_rate, method="POST", block=False)
def solved(request: HttpRequest) -> HttpResponse:
    value = request.POST.get("answer", "")
    if not value.isdigit():
        raise Http404
    # Over the limit the thanks still show, but nothing more is counted: the figure stays honest.
    if not getattr(request, "limited", False):
        try:
            services.direct_answer_record(answer_id=int(value))
        except services.NotLive:
            raise Http404 from None
    return redirect(reverse("kb:answer", args=[int(value)]) + "?solved=1")


@require_GET
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.answer_live_get(pk=pk)
    if found is None:
        raise Http404
    return render(request, "kb/answer.html", {"answer": found, "solved": request.GET.get("solved") == "1"})
