"""Public pages served by the back office because they need it: the citizen's rating and /stats/.

`requests_app` never imports `dispatch`, so the rating form on the progress
page posts here (the signed tracking token proves the citizen), and /stats/
lives here because it counts by unit. Both are thin: parse, call one
service or selector, redirect or render. No personal data, no request text.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from helpdesk.db_router import replica_view
from requests_app import selectors as request_selectors
from requests_app.forms import FeedbackForm
from requests_app.models import Deadline, State

from . import charts, health, stats
from . import figures as channel_figures
from .feedback import feedback_record
from .workflow import CITIZEN, TransitionError


def _feedback_rate(group: str, request: HttpRequest) -> str:
    return settings.RATELIMIT_FEEDBACK


@require_POST
@ratelimit(key="ip", rate=_feedback_rate, method="POST", block=False)
def feedback_submit(request: HttpRequest, token: str) -> HttpResponse:
    # The token names the request rated, and a page carries only its own request's token:
    # a duplicate's page names its main request without one (requests_app.public).
    help_request = request_selectors.request_get_by_token(token=token)
    if help_request is None:
        raise Http404
    back = reverse("requests_app:track_token", args=[token])
    if getattr(request, "limited", False):  # set by @ratelimit
        messages.error(request, _("提交过于频繁，请稍后再试。"))
        return redirect(back)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    try:
        result = feedback_record(
            request_id=help_request.pk,
            actor=CITIZEN,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except TransitionError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if result.state == State.REOPENED:
        messages.success(request, _("感谢您的评价。您的求助已转回重新办理，请留意进度。"))
    elif result.state == State.RESOLVED:
        messages.success(request, _("感谢您的评价。督办员将研究后续处理。"))
    else:
        messages.success(request, _("感谢您的评价！"))
    return redirect(back)


# The largest public page (three ranking tables, the chart and its table): gzip
# brings it under one TCP initial window on a slow phone. Safe to compress, as
# it carries public figures only, no personal data or per-visitor secret but the
# CSRF token, which Django masks anew on every response (and Django's gzip adds
# random padding against BREACH). Pages with personal data stay uncompressed
# here; a proxy in front may compress them under its own policy.
@gzip_page
@require_GET
@replica_view
def stats_view(request: HttpRequest) -> HttpResponse:
    days = stats.period_days(request.GET.get("days"))
    figures = stats.figures_get(days=days)

    def chart() -> str:  # drawn only when the cached page fragment is missing
        return mark_safe(  # noqa: S308 - numbers, dates and escaped labels only
            charts.trend_svg(
                trend=figures.trend,
                title=_("近%(days)s天每日受理与解决") % {"days": days},
                received_label=_("受理"),
                resolved_label=_("已解决"),
            )
        )

    return render(
        request,
        "dispatch/stats.html",
        {
            "f": figures,
            "days": days,
            "periods": stats.PERIODS,
            "promises": [(k, Deadline.Kind(k).label, figures.period.on_time[k]) for k in stats.KINDS],
            "chart": chart,
            "cache_seconds": settings.STATS_CACHE_SECONDS,
            "min_sample": settings.STATS_MIN_SAMPLE,
            # Read (from their own cache) only when the cached page fragment is missing, like the chart.
            "channel_figures": SimpleLazyObject(
                lambda: channel_figures.channel_figure_tables_cached(
                    name=f"stats-{days}", since=figures.since, until=figures.until
                )
            ),
            "sources": SimpleLazyObject(
                lambda: channel_figures.requests_by_source_cached(
                    name=f"stats-{days}", since=figures.since, until=figures.until
                )
            ),
            "tables": [
                ("by-channel", _("按求助类别"), figures.by_channel),
                ("by-district", _("按区县(市)"), figures.by_district),
                ("by-unit", _("按承办单位"), figures.by_unit),
            ],
        },
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else (a load balancer restarts what fails this)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, cache, broker and the deadline sweep's age (see dispatch/health.py)."""
    status, body = health.readiness()
    if request.GET.get("strict") and body["status"] != "ok":
        status = 503
    return JsonResponse(body, status=status)
