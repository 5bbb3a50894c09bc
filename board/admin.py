"""批准公开 in admin: the queue of consented texts awaiting approval, and the editor; 撤下 of a published text.

Thin: the queue is `selectors.publications_pending_qs` narrowed by `dispatch.access`; the
editor starts from `services.publication_draft` and saves through `services.publication_approve`;
the bulk action approves each request's redacted draft through the same service.
The published texts' list (`selectors.publications_published_qs`) opens each on a page
with its 撤下 form (`services.publication_withdraw`); a withdrawn text is back in the queue.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dispatch import access
from dispatch.admin.base import ScopedAdminMixin, admin_user

from . import selectors, services
from .forms import PublicationForm, WithdrawForm
from .models import PendingPublication, PublishedText


@admin.register(PendingPublication)
class PendingPublicationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_ref = "pk"
    list_display = ("ticket_number", "title", "district", "category", "state", "publish_consent_at", "resolved_at")
    list_filter = ("district", "category")
    search_fields = ("=ticket_number",)
    list_select_related = ("district", "category")
    list_per_page = 50
    show_full_result_count = False
    ordering = ("publish_consent_at", "id")
    actions = ["approve_drafts"]

    # Dispatchers and supervisors approve (dispatch.access decides who they are).
    def _may_approve(self, request: HttpRequest) -> bool:
        return request.user.is_active and access.scope_of(request.user).sees_all

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_approve(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_approve(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_approve(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(request, selectors.publications_pending_qs())

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None):
        """The editor: the redacted draft, then 批准公开."""
        if not self._may_approve(request):
            raise PermissionDenied
        obj = self.get_queryset(request).select_related("district", "category").filter(pk=object_id).first()
        if obj is None:
            raise Http404
        if request.method == "POST":
            form = PublicationForm(request.POST)
            if form.is_valid():
                try:
                    services.publication_approve(help_request_id=obj.pk, actor=admin_user(request), **form.cleaned_data)
                except services.PublicationRefused as exc:
                    form.add_error(None, str(exc))
                else:
                    self.message_user(request, _("已批准公开：%(number)s") % {"number": obj.ticket_number})
                    return HttpResponseRedirect(reverse("admin:board_pendingpublication_changelist"))
        else:
            form = PublicationForm(initial=services.publication_draft(help_request=obj))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": _("批准公开 %(number)s") % {"number": obj.ticket_number},
            "form": form,
        }
        return render(request, "admin/board/approve.html", context)

    @admin.action(description=_("批准公开（按脱敏后的文字）"))
    def approve_drafts(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        done = 0
        for obj in queryset:
            draft = services.publication_draft(help_request=obj)
            try:
                services.publication_approve(
                    help_request_id=obj.pk,
                    actor=admin_user(request),
                    title=draft["title"],
                    content=draft["content"],
                    reply=draft["reply"],
                )
            except services.PublicationRefused as exc:
                self.message_user(request, f"{obj.ticket_number}: {exc}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, ngettext("已批准公开 %(n)d 件", "已批准公开 %(n)d 件", done) % {"n": done})
        return None


@admin.register(PublishedText)
class PublishedTextAdmin(admin.ModelAdmin):
    list_display = ("request", "title", "district", "approved_at", "approved_by")
    list_filter = ("district",)
    search_fields = ("=request__ticket_number",)
    list_select_related = ("request", "district", "approved_by")
    list_per_page = 50
    show_full_result_count = False
    ordering = ("-approved_at", "-request")

    def _may_withdraw(self, request: HttpRequest) -> bool:
        return request.user.is_active and access.scope_of(request.user).sees_all

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_withdraw(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_withdraw(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_withdraw(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.publications_published_qs()

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None):
        """The published text as the board shows it, and 撤下 with a reason."""
        if not self._may_withdraw(request):
            raise PermissionDenied
        obj = self.get_queryset(request).select_related("request", "district").filter(pk=object_id).first()
        if obj is None:
            raise Http404
        form = WithdrawForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.publication_withdraw(
                    help_request_id=obj.pk, actor=admin_user(request), reason=form.cleaned_data["reason"]
                )
            except services.PublicationRefused as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("已撤下：%(number)s") % {"number": obj.request.ticket_number})
                return HttpResponseRedirect(reverse("admin:board_publishedtext_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": _("撤下 %(number)s") % {"number": obj.request.ticket_number},
            "form": form,
        }
        return render(request, "admin/board/withdraw.html", context)
