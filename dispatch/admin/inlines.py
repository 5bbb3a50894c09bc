"""The request page's read-only inlines: photos, hand-overs, extensions, ratings, the timeline."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpdesk.admin_tools import ReadOnlyAdminMixin
from requests_app.models import Attachment, Event, Feedback

from ..models import Assignment, ExtensionRequest

# --- Inlines (read-only; the parent request is already scoped) ---------------------------


class _ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Only shown inside a request's page, which already passed the scoping check
        # (InlineModelAdmin.get_queryset asks without the parent object).
        return True


class AssignmentInline(_ReadOnlyInline):
    model = Assignment
    fields = ("unit", "role", "instructions", "assigned_at", "accepted_at", "returned_at", "return_reason", "is_active")
    readonly_fields = fields
    verbose_name_plural = pgettext_lazy("plural", "交办情况")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("unit")


class ExtensionRequestInline(_ReadOnlyInline):
    model = ExtensionRequest
    fields = ("unit", "hours", "reason", "status", "requested_at", "decided_at", "decision_note")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("unit")


class AttachmentInline(_ReadOnlyInline):
    """Citizens' photos, served by the permission-checked staff view, never by a public URL."""

    model = Attachment
    fields = ("photo", "width", "height", "size", "created_at")
    readonly_fields = fields
    verbose_name_plural = pgettext_lazy("plural", "市民上传的照片")

    @admin.display(description=_("照片"))
    def photo(self, obj: Attachment) -> str:
        url = reverse("dispatch:attachment", args=[obj.pk])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="" height="120"></a>', url, url
        )


class FeedbackInline(_ReadOnlyInline):
    model = Feedback
    fields = ("round", "rating", "comment", "channel", "created_at")
    readonly_fields = fields


class EventInline(_ReadOnlyInline):
    """The timeline, newest first, read-only: events are append-only."""

    model = Event
    ordering = ("-created_at", "-id")
    fields = (
        "created_at",
        "kind",
        "message",
        "note",
        "actor_label",
        "unit_name",
        "from_state",
        "to_state",
        "is_public",
    )
    readonly_fields = fields
    verbose_name_plural = pgettext_lazy("plural", "办理过程（时间线）")
