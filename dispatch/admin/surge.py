"""Surges (未诉先办) in admin: the list, a surge's page with its members and the rule's numbers, and 并单.

Read-only like the rest of admin. The two writes go through the services:
`surge_merge` (the supervisor picks a lead, every other member is linked to it
by the workflow's `mark_duplicate`) and `surge_dismiss`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from helpdesk.admin_tools import ReadOnlyAdminMixin

from .. import access
from ..models import Surge
from ..surges import handling, selectors
from ..workflow import TransitionError


def tail_label(p: float) -> str:
    return f"{p:.1e}"


class SurgeChangeList(ChangeList):
    """The list's page of surges with their 我也遇到 counts (two queries for the page, not one per row)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = selectors.surges_with_joins(surges=list(self.result_list))


@admin.register(Surge)
class SurgeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "summary_column",
        "title_column",
        "members_column",
        "me_too_column",
        "tail_column",
        "state",
        "detected_at",
        "lead",
    )
    list_display_links = ("summary_column",)
    list_filter = ("state", "district", "category")
    list_per_page = 50
    show_full_result_count = False
    change_form_template = "admin/dispatch/surge/change_form.html"
    fields = (
        "district",
        "category",
        "cell",
        "state",
        "first_at",
        "last_at",
        "observed",
        "joins",
        "window_seconds",
        "baseline",
        "baseline_weeks",
        "tail_probability",
        "threshold",
        "detected_at",
        "notified_at",
        "lead",
        "handled_at",
    )

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return super().has_view_permission(request, obj) and access.scope_of(request.user).sees_all

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None):
        if not self.has_view_permission(request):  # not a redirect that hints the surge exists
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Surge]:
        return selectors.surges_visible(user=request.user)

    @admin.display(description=_("聚集"))
    def summary_column(self, obj: Surge) -> str:
        return obj.summary

    @admin.display(description=_("代表标题"))
    def title_column(self, obj: Surge) -> str:
        return getattr(obj, "title", "") or ""

    @admin.display(description=_("成员"), ordering="member_count")
    def members_column(self, obj: Surge) -> int:
        return getattr(obj, "member_count", 0)

    @admin.display(description=_("我也遇到"))
    def me_too_column(self, obj: Surge) -> int:
        return getattr(obj, "me_too", 0)

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[ChangeList]:
        return SurgeChangeList

    @admin.display(description=_("尾概率"), ordering="tail_probability")
    def tail_column(self, obj: Surge) -> str:
        return tail_label(obj.tail_probability)

    def get_urls(self) -> list:
        return [
            path("<int:surge_id>/merge/", self.admin_site.admin_view(self.merge_view), name="dispatch_surge_merge"),
            path(
                "<int:surge_id>/dismiss/", self.admin_site.admin_view(self.dismiss_view), name="dispatch_surge_dismiss"
            ),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None):
        surge = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if surge is not None:
            extra.update(
                surge=surge,
                members=selectors.surge_members(surge=surge),
                tail=tail_label(surge.tail_probability),
                can_act=surge.state != Surge.State.DISMISSED,
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _surge_for(self, request: HttpRequest, surge_id: int) -> Surge:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=surge_id)

    def _back(self, surge: Surge) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:dispatch_surge_change", args=[surge.pk]))

    def merge_view(self, request: HttpRequest, surge_id: int) -> HttpResponse:
        return require_POST(self._merge)(request, surge_id)

    def _merge(self, request: HttpRequest, surge_id: int) -> HttpResponse:
        surge = self._surge_for(request, surge_id)
        try:
            lead_id = int(request.POST.get("lead", ""))
        except ValueError:
            messages.error(request, gettext("请选择主件"))
            return self._back(surge)
        try:
            result = handling.surge_merge(surge_id=surge.pk, lead_id=lead_id, actor=request.user)
        except TransitionError as exc:
            messages.error(request, str(exc))
            return self._back(surge)
        messages.success(
            request,
            ngettext("已将 %(n)d 件并入主件 %(lead)s", "已将 %(n)d 件并入主件 %(lead)s", len(result.merged))
            % {"n": len(result.merged), "lead": result.surge.lead.ticket_number if result.surge.lead else ""},
        )
        if result.skipped:
            messages.warning(
                request,
                ngettext(
                    "%(n)d 件未并单（已在办理或已是重复件）",
                    "%(n)d 件未并单（已在办理或已是重复件）",
                    len(result.skipped),
                )
                % {"n": len(result.skipped)},
            )
        return self._back(surge)

    def dismiss_view(self, request: HttpRequest, surge_id: int) -> HttpResponse:
        return require_POST(self._dismiss)(request, surge_id)

    def _dismiss(self, request: HttpRequest, surge_id: int) -> HttpResponse:
        surge = self._surge_for(request, surge_id)
        handling.surge_dismiss(surge_id=surge.pk)
        messages.success(request, gettext("已排除该聚集"))
        return self._back(surge)
