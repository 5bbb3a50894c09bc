"""每月一题: the supervisors' monthly report of recurring problems and its export, under the request admin's URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext

from helpdesk.clientip import client_ip

from .. import access, exports, monthly
from ..models import ReportExport
from .base import admin_user

if TYPE_CHECKING:  # what the mixin is mixed into; a plain class at run time
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class MonthlyAdminMixin(_ModelAdmin):
    """Adds `admin:dispatch_monthly` and `admin:dispatch_monthly_export` to a ModelAdmin (the request admin)."""

    def monthly_urls(self) -> list:
        return [
            path("monthly/", self.admin_site.admin_view(self.monthly_view), name="dispatch_monthly"),
            path(
                "monthly/export/<str:fmt>/",
                self.admin_site.admin_view(self.monthly_export_view),
                name="dispatch_monthly_export",
            ),
        ]

    def _monthly_report(self, request: HttpRequest) -> monthly.MonthlyReport:
        # As the dashboard: staff roles only; a handler's report holds only their units' requests.
        if not access.scope_of(request.user).is_staff_role:
            raise PermissionDenied
        now = timezone.now()
        month = monthly.month_parse(request.GET.get("month"), now=now)
        return monthly.monthly_report(user=request.user, month=month, now=now)

    def monthly_view(self, request: HttpRequest) -> HttpResponse:
        report = self._monthly_report(request)
        return TemplateResponse(
            request,
            "admin/dispatch/monthly.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("每月一题"),
                "opts": self.opts,
                "report": report,
                "top": report.headlines[0] if report.headlines else None,
                "choices": monthly.month_choices(timezone.now()),
                "min_sample": settings.STATS_MIN_SAMPLE,
                "sees_all": access.scope_of(request.user).sees_all,
            },
        )

    def monthly_export_view(self, request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
        if fmt not in exports.FORMATS:
            raise Http404
        report = self._monthly_report(request)
        ReportExport.objects.create(
            user=admin_user(request),
            report="monthly",
            params=f"{report.month:%Y-%m} {fmt}",
            ip_address=client_ip(request) or None,
        )
        return exports.export_response(
            fmt=fmt,
            filename=f"monthly-{report.month:%Y-%m}",
            header=monthly.export_header(report),
            rows=monthly.export_rows(report),
        )
