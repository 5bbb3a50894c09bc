"""Staff pages of the knowledge base: answers (draft → approved → published), redirect rules, 直办 records.

Thin: every write goes through `kb.services`. The request admin (dispatch's)
gets one more action from here, "据此起草知识库答复", added to its registered
ModelAdmin at start-up: kb builds on dispatch, so the extension comes from
above and dispatch never imports kb.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from helpdesk.admin_tools import ReadOnlyAdminMixin
from requests_app.models import RESOLVED_STATES, HelpRequest

from . import services
from .models import Answer, DirectAnswer, RedirectRule
from .render import markdown_render
from .roles import PERMISSION_PUBLISH
from .selectors import redirect_rules_forget

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ("question", "channel", "state", "valid_until", "owner_unit", "approved_by", "updated_at")
    list_filter = ("state", "channel", "owner_unit")
    search_fields = ("question", "keywords")
    list_select_related = ("channel", "owner_unit", "approved_by")
    autocomplete_fields = ()
    readonly_fields = ("state", "approved_by", "approved_at", "source_request_link", "preview")
    fields = (
        "question",
        "keywords",
        "channel",
        "owner_unit",
        "valid_until",
        "body",
        "preview",
        "state",
        "approved_by",
        "approved_at",
        "source_request_link",
    )
    actions = ("approve_selected", "unpublish_selected")

    @admin.display(description=_("预览"))
    def preview(self, obj: Answer) -> str:
        return markdown_render(obj.body) if obj.pk else "—"

    @admin.display(description=_("来源求助件"))
    def source_request_link(self, obj: Answer) -> str:
        return obj.source_request.ticket_number if obj.source_request_id and obj.source_request else "—"

    def save_model(self, request: HttpRequest, obj: Answer, form, change: bool) -> None:
        services.answer_save(answer=obj, changed=form.changed_data if change else ())

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION_PUBLISH)

    @admin.action(description=_("审核通过并发布"), permissions=("publish",))
    def approve_selected(self, request: HttpRequest, queryset) -> None:
        # One service call per answer: approval records who and when on each.
        user = cast("User", request.user)  # the admin site lets only staff in
        done = [services.answer_approve(answer_id=pk, user=user) for pk in queryset.values_list("pk", flat=True)]
        self.message_user(request, gettext("已发布 %(n)d 条答复。") % {"n": len(done)}, messages.SUCCESS)

    @admin.action(description=_("撤回为草稿"), permissions=("publish",))
    def unpublish_selected(self, request: HttpRequest, queryset) -> None:
        done = [services.answer_unpublish(answer_id=pk) for pk in queryset.values_list("pk", flat=True)]
        self.message_user(request, gettext("已撤回 %(n)d 条答复。") % {"n": len(done)}, messages.SUCCESS)


@admin.register(RedirectRule)
class RedirectRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "keywords", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "keywords")

    def save_model(self, request: HttpRequest, obj: RedirectRule, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        redirect_rules_forget()

    def delete_model(self, request: HttpRequest, obj: RedirectRule) -> None:
        super().delete_model(request, obj)
        redirect_rules_forget()

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        super().delete_queryset(request, queryset)
        redirect_rules_forget()


@admin.register(DirectAnswer)
class DirectAnswerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "channel", "source", "answer")
    list_filter = ("channel", "source")
    date_hierarchy = "at"
    list_select_related = ("channel", "answer")


@admin.action(description=_("据此起草知识库答复"))
def draft_answer_from_requests(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset):
    if not request.user.has_perm("kb.add_answer"):
        modeladmin.message_user(request, gettext("您没有起草知识库答复的权限。"), messages.ERROR)
        return None
    resolved = list(queryset.filter(state__in=RESOLVED_STATES)[:20])
    if not resolved:
        modeladmin.message_user(request, gettext("请选择已办结的求助件。"), messages.WARNING)
        return None
    drafts = [services.answer_draft_from_request(help_request=r) for r in resolved]
    modeladmin.message_user(
        request,
        gettext("已起草 %(n)d 条答复（已去除电话、证件号、邮箱和市民姓名地址），请核对后审核发布。")
        % {"n": len(drafts)},
        messages.SUCCESS,
    )
    if len(drafts) == 1:
        return HttpResponseRedirect(reverse("admin:kb_answer_change", args=[drafts[0].pk]))
    return HttpResponseRedirect(reverse("admin:kb_answer_changelist") + "?state__exact=draft")


def _extend_request_admin() -> None:
    request_admin = admin.site.get_model_admin(HelpRequest)
    actions = tuple(request_admin.actions or ())
    if draft_answer_from_requests not in actions:
        request_admin.actions = (*actions, draft_answer_from_requests)


_extend_request_admin()
