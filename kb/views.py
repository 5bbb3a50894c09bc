"""Citizen pages of the knowledge base: "这解决了我的问题" (a 直办) and an answer's own page. Thin."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from dispatch import access
from dispatch.intake import OPERATOR_SOURCES
from helpdesk.params import id_or_none

from . import selectors, services


def _direct_rate(group: str, request: HttpRequest) -> str:
    return settings.RATELIMIT_DIRECT_ANSWER


@require_POST
@ratelimit(key="ip", rate=_direct_rate, method="POST", block=False)
def solved(request: HttpRequest) -> HttpResponse:
    answer_id = id_or_none(request.POST.get("answer", ""))
    if answer_id is None:
        raise Http404
    # An operator answering a caller from the intake page: the 直办 counts under the call's source.
    source = request.POST.get("source", "")
    # (admin.site.has_permission: the staff login and second factor every staff page asks for.)
    if source in OPERATOR_SOURCES and admin.site.has_permission(request) and access.may_take_intake(request.user):
        try:
            services.direct_answer_record(answer_id=answer_id, source=source)
        except services.NotLive:
            raise Http404 from None
        messages.success(request, gettext("已记录直办：来电问题已当场解答，未生成求助件。"))
        return redirect("dispatch:intake")
    # Over the limit the thanks still show, but nothing more is counted: the figure stays honest.
    if not getattr(request, "limited", False):
        try:
            services.direct_answer_record(answer_id=answer_id)
        except services.NotLive:
            raise Http404 from None
    return redirect(reverse("kb:answer", args=[answer_id]) + "?solved=1")


@require_GET
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.answer_live_get(pk=pk)
    if found is None:
        raise Http404
    return render(request, "kb/answer.html", {"answer": found, "solved": request.GET.get("solved") == "1"})
