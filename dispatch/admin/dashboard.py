"""The supervisors' dashboard (督办考核) and its export, served under the request admin's URLs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext

from helpdesk.db_router import replica_view

from .. import access, dashboard, exports, stats
from .. import figures as channel_figures
from ..surges.selectors import surges_for_dashboard

if TYPE_CHECKING:  # what the mixin is mixed into; a plain class at run time
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class DashboardAdminMixin(_ModelAdmin):
    """Adds the dashboard's two URLs to a ModelAdmin (the request admin): `admin:dispatch_dashboard…`."""

    def dashboard_urls(self) -> list:
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="dispatch_dashboard"),
            path(
                "dashboard/export/<str:fmt>/",
                self.admin_site.admin_view(self.dashboard_export_view),
                name="dispatch_dashboard_export",
            ),
        ]

    def _dashboard_params(self, request: HttpRequest) -> tuple[int, str]:
        if not access.scope_of(request.user).is_staff_role:
            raise PermissionDenied
        return stats.period_days(request.GET.get("days")), request.GET.get("o", "solved_on_time")

    @replica_view
    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        days, order = self._dashboard_params(request)
        rows = dashboard.units_scorecard(user=request.user, days=days, order=order)
        column = order.lstrip("-")
        headers = [
            {
                "key": key,
                "label": label,
                "url": f"?days={days}&o={'-' if column == key and not order.startswith('-') else ''}{key}",
                "sorted": "asc" if column == key and order.startswith("-") else "desc" if column == key else "",
            }
            for key, label in dashboard.COLUMNS.items()
        ]
        return TemplateResponse(
            request,
            "admin/dispatch/dashboard.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("督办考核"),
                "opts": self.opts,
                "rows": rows,
                "headers": headers,
                "days": days,
                "order": order,
                "periods": stats.PERIODS,
                "late": dashboard.requests_late_now(user=request.user),
                "surges": surges_for_dashboard(user=request.user),
                "min_sample": settings.STATS_MIN_SAMPLE,
                "now": timezone.now(),
                "channel_figures": channel_figures.channel_figure_tables(
                    since=timezone.now() - dt.timedelta(days=days), until=timezone.now()
                ),
                "sources": channel_figures.requests_by_source(
                    since=timezone.now() - dt.timedelta(days=days), until=timezone.now()
                ),
            },
        )

    @replica_view
    def dashboard_export_view(self, request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
        if fmt not in exports.FORMATS:
            raise Http404
        days, order = self._dashboard_params(request)
        rows = dashboard.units_scorecard(user=request.user, days=days, order=order)
        return exports.export_response(
            fmt=fmt,
            filename=f"units-{days}d-{timezone.localtime():%Y%m%d}",
            header=dashboard.UNIT_EXPORT_HEADER,
            rows=dashboard.unit_export_rows(rows=rows),
        )
