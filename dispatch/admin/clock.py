"""Staff admin for the clock: the notification outbox and the supervisors' queue of late cases.

Read-only like the rest of admin; the one write (re-sending a failed
notification) goes through `notifications.notification_retry`. Both lists
are narrowed to what the user may see by `dispatch.access` (ScopedAdminMixin).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin, messages
from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk.admin_tools import ReadOnlyAdminMixin, duration_text
from requests_app.models import FINISHED_STATES, Deadline

from ..models import LateRequest, Notification
from ..notifications import notification_retry
from .base import ScopedAdminMixin

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _FirstMissed(TypedDict):
    first_missed_due: dt.datetime | None  # get_queryset's annotation


@admin.register(LateRequest)
class LateRequestAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """督办队列: open requests with a missed, still unmet deadline, the latest first."""

    scope_ref = "pk"
    list_display = ("ticket_number", "title", "state", "district", "first_missed", "how_late", "escalated_at")
    list_display_links = ("ticket_number",)
    list_filter = ("state", "district", "is_urgent")
    search_fields = ("=ticket_number",)
    list_select_related = ("district",)
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The same rule through the relation, for the aggregate (Min over the flagged deadlines).
        missed = Q(
            deadlines__breached_at__isnull=False,
            deadlines__met_at__isnull=True,
            deadlines__waived_at__isnull=True,
        )
        # Not super(): it would order by the annotation before it exists.
        qs = (
            self.model._default_manager.exclude(state__in=FINISHED_STATES)
            .filter(Exists(Deadline.objects.filter(request=OuterRef("pk")).flagged()))
            .annotate(first_missed_due=Min("deadlines__due_at", filter=missed))
        )
        return self.scope_queryset(request, qs)

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        # The longest-overdue first; a method, since admin's checks cannot see get_queryset's annotation.
        return ("first_missed_due", "id")

    @admin.display(description=_("最早超时的截止时间"), ordering="first_missed_due")
    def first_missed(self, obj: WithAnnotations[LateRequest, _FirstMissed]) -> object:
        return obj.first_missed_due

    @admin.display(description=_("已超时"))
    def how_late(self, obj: WithAnnotations[LateRequest, _FirstMissed]) -> str:
        if obj.first_missed_due is None:
            return "-"
        return duration_text(timezone.now() - obj.first_missed_due)


@admin.register(Notification)
class NotificationAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox: every notification with its state, so none fails silently.

    Citizens' phones are masked here: the outbox is for seeing what failed,
    not a second way to read contact details (the request page records those).
    """

    @admin.display(description=_("接收人"))
    def recipient_shown(self, obj: Notification) -> str:
        return obj.recipient_masked

    list_display = (
        "created_at",
        "kind",
        "channel",
        "recipient_shown",
        "subject",
        "request",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("state", "channel", "kind")
    search_fields = ("=request__ticket_number",)
    list_select_related = ("request",)
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = (
        "channel",
        "recipient_shown",
        "subject",
        "body",
        "kind",
        "request",
        "event",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "sent_at",
    )
    fields = readonly_fields
    actions = ("retry_failed",)

    @admin.action(description=_("重新发送选中的失败通知"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        # Loop through the service: it re-queues only failed rows and publishes on commit.
        count = 0
        for notification in queryset.filter(state=Notification.State.FAILED):
            notification_retry(notification=notification)
            count += 1
        self.message_user(
            request, ngettext("%d 条通知已重新排队。", "%d 条通知已重新排队。", count) % count, messages.SUCCESS
        )
