"""Staff admin for the clock: the notification outbox and the supervisors' queue of late cases.

Read-only like the rest of admin; the one write (re-sending a failed
notification) goes through `notifications.notification_retry`. Both lists
are narrowed to what the user may see by `dispatch.access` (ScopedAdminMixin).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk.admin_tools import CappedCountPaginator, ReadOnlyAdminMixin, duration_text
from requests_app.models import FINISHED_STATES

from ..models import LateRequest, Notification
from ..notifications import notification_retry
from .base import ScopedAdminMixin


@admin.register(LateRequest)
class LateRequestAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """督办队列: open requests with a missed, still unmet deadline, the longest late first.

    The rule is the request's clock column `missed_due_at` (requests_app.clock:
    the earliest running promise the sweep flagged), so the queue is a scan of
    the partial index req_missed_due_idx in its own order.
    """

    scope_ref = "pk"
    list_display = ("ticket_number", "title", "state", "district", "first_missed", "how_late", "escalated_at")
    list_display_links = ("ticket_number",)
    list_filter = ("state", "district", "is_urgent")
    search_fields = ("=ticket_number",)
    list_select_related = ("district",)
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER

    ordering = ("missed_due_at", "id")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(missed_due_at__isnull=False).exclude(state__in=FINISHED_STATES)

    @admin.display(description=_("最早超时的截止时间"), ordering="missed_due_at")
    def first_missed(self, obj: LateRequest) -> object:
        return obj.missed_due_at

    @admin.display(description=_("已超时"))
    def how_late(self, obj: LateRequest) -> str:
        if obj.missed_due_at is None:
            return "-"
        return duration_text(timezone.now() - obj.missed_due_at)


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
    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER
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
