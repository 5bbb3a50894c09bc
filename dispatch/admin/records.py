"""Records of the workflow, read-only and scoped: hand-overs, extension requests, the contact-access audit."""

from __future__ import annotations

from django.contrib import admin

from helpdesk.admin_tools import ReadOnlyAdminMixin

from ..models import Assignment, ContactAccess, ExtensionRequest, ReportExport
from .base import ScopedAdminMixin


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Pending extensions at a glance; decisions are taken on the request's page."""

    list_display = ("request", "unit", "hours", "status", "requested_at", "decided_at")
    list_filter = ("status", "unit")
    list_select_related = ("request", "unit")
    search_fields = ("=request__ticket_number",)
    show_full_result_count = False


@admin.register(ContactAccess)
class ContactAccessAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who saw which citizen's full contact details, for the supervisors' audit."""

    list_display = ("viewed_at", "user", "request", "ip_address", "where")
    list_filter = (("viewed_at", admin.DateFieldListFilter),)
    search_fields = ("=request__ticket_number", "user__username")
    list_select_related = ("user", "request")
    raw_id_fields = ("user", "request")
    show_full_result_count = False


@admin.register(ReportExport)
class ReportExportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who downloaded which report of figures (no personal data in them), beside the contact-access audit."""

    list_display = ("exported_at", "user", "report", "params", "ip_address")
    list_filter = ("report", ("exported_at", admin.DateFieldListFilter))
    search_fields = ("user__username",)
    list_select_related = ("user",)
    show_full_result_count = False


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("request", "unit", "role", "assigned_at", "accepted_at", "returned_at", "is_active")
    list_filter = ("role", "is_active", "unit")
    list_select_related = ("request", "unit")
    search_fields = ("=request__ticket_number",)
    raw_id_fields = ("request",)
    show_full_result_count = False
