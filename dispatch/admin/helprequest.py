"""The request admin: the worklist, the request's page with one form per allowed action, exports.

Admin is a thin caller: it shows state read-only and changes it only through
`dispatch.workflow.transition_apply` (one button per action the user may take
now, 列单并交单 for a new request through its service, and a bulk hand-over
that loops through it). Citizen-submitted fields are never editable. Who sees
which request, and whose contact details, is decided by `dispatch.access`: a
handler gets a 404 for another unit's request. The changelist never counts the whole table (`CappedCountPaginator`)
and shows no facet counts.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from helpdesk.admin_tools import CappedCountPaginator, SortableByChangeList, duration_text
from helpdesk.clientip import client_ip
from helpdesk.db_router import replica_view
from requests_app.crypto import keyed_hash
from requests_app.models import Deadline, HelpRequest, State
from requests_app.phones import name_mask, phone_mask, phone_normalize

from .. import access, dashboard, exports, routing, selectors, services
from ..access import Role
from ..forms import BulkHandOverForm
from ..workflow import TransitionError
from . import workbench
from .actions import WorkflowActionsMixin
from .base import admin_user
from .columns import CompactColumnsMixin, cut
from .dashboard import DashboardAdminMixin
from .filters import LateFilter, QueueFilter, TagFilter, UnitFilter
from .inlines import AssignmentInline, AttachmentInline, EventInline, ExtensionRequestInline, FeedbackInline
from .location import LocationAdminMixin
from .monthly import MonthlyAdminMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CITIZEN_FIELDS = (
    "ticket_number",
    "source",
    "category_claimed",
    "urgency_claimed",
    "district",
    "name",
    "phone",
    "address",
    "location",
    "title",
    "content",
    "created_at",
)
MASKED = {"name": "masked_name", "phone": "masked_phone", "address": "masked_address", "location": "masked_location"}
WORKFLOW_FIELDS = (
    "state",
    "category",
    "is_urgent",
    ("tag_nan", "tag_chou", "tag_pan"),
    "request_type",
    "duplicate_of",
    "first_contact_at",
    "resolved_at",
    "closed_at",
    "escalated_at",
    "extensions_used",
    "reopen_count",
)


NEXT_STEP: dict[str, StrOrPromise] = {
    State.SUBMITTED: _("待列单（交办员）"),
    State.LISTED: _("待交单（交办员）"),
    State.RETURNED: _("被退回，待重新交单（交办员）"),
    State.HANDED_OVER: _("待签收（承办单位）"),
    State.ACCEPTED: _("办理中（承办单位）"),
    State.REOPENED: _("重办中（承办单位）"),
    State.RESOLVED: _("待反馈销号（督办员）"),
}


@admin.register(HelpRequest)
class HelpRequestAdmin(
    WorkflowActionsMixin,
    LocationAdminMixin,
    CompactColumnsMixin,
    DashboardAdminMixin,
    MonthlyAdminMixin,
    admin.ModelAdmin,
):
    list_display = (
        "ticket_number",
        "title_cell",
        "state",
        "next_step",
        "time_left",
        "lead_unit",
        "district_shown",
        "category_shown",
        "is_urgent",
        "source",
        "submitted",
    )
    # Every sortable column has an index per direction (HelpRequest.Meta.indexes); free-text
    # title is not sortable: sorting millions of rows by it needs an index nobody would use.
    sortable_by = (
        "ticket_number",
        "state",
        "time_left",
        "district_shown",
        "category_shown",
        "is_urgent",
        "submitted",
    )
    list_filter = (
        QueueFilter,
        "state",
        "source",
        UnitFilter,
        ("category", admin.RelatedFieldListFilter),
        "request_type",
        "is_urgent",
        TagFilter,
        "district",
        LateFilter,
    )
    search_fields = ("=ticket_number",)
    search_help_text = _("按编号或电话号码精确查找")
    list_select_related = ("category", "district")
    list_per_page = 50
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs):
        return SortableByChangeList

    paginator = CappedCountPaginator
    # Facet counts are one COUNT per filter choice over the whole visible table
    # on every page view: never at this scale ("显示计数" is not offered).
    show_facets = admin.ShowFacets.NEVER
    ordering = ("-created_at", "-id")
    change_form_template = "admin/dispatch/helprequest/change_form.html"
    change_list_template = "admin/dispatch/helprequest/change_list.html"
    inlines = (AttachmentInline, AssignmentInline, ExtensionRequestInline, FeedbackInline, EventInline)
    actions = ("hand_over_selected",)

    class Media:
        css = {"all": ("dispatch/admin.css",)}
        js = ("dispatch/routing.js",)

    # Scoping ------------------------------------------------------------------

    def get_ordering(self, request: HttpRequest):
        return workbench.queue_ordering(request) or super().get_ordering(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = access.requests_visible(scope=access.scope_of(request.user), queryset=super().get_queryset(request))
        return selectors.requests_with_worklist_columns(queryset=qs)

    def _object_or_404(self, request: HttpRequest, object_id: str) -> HelpRequest:
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404(gettext("求助件不存在或不在您的办理范围内"))
        return obj

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None):
        obj = self._object_or_404(request, object_id)
        context = {
            **(extra_context or {}),
            "workflow_actions": self._action_forms(request, obj),
            **workbench.queue_context(request, obj),
        }
        if request.method == "GET" and access.contact_visible_to(help_request=obj, user=request.user):
            # The page will show the full name and phone: record who saw them.
            services.contact_access_record(user=admin_user(request), help_request=obj, ip_address=client_ip(request))
        return super().change_view(request, object_id, form_url, extra_context=context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None):
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None):
        self._object_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    # Permissions: state changes only through the workflow ---------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Requests come through request_submit: the citizen's form, the API, or an operator's
        # intake page (代录, `add_view` below sends "增加" there), never the model form.
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None):
        if access.may_take_intake(request.user):
            return HttpResponseRedirect(reverse("dispatch:intake"))
        return super().add_view(request, form_url, extra_context)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Changes go through the workflow's actions, not the model form.
        return False

    def has_triage_permission(self, request: HttpRequest) -> bool:
        return access.scope_of(request.user).has(Role.DISPATCHER)

    # The change view ------------------------------------------------------------

    def get_fields(self, request: HttpRequest, obj: HelpRequest | None = None) -> tuple:
        show_contact = obj is not None and access.contact_visible_to(help_request=obj, user=request.user)
        citizen = tuple(f if show_contact else MASKED.get(f, f) for f in CITIZEN_FIELDS)
        return (*citizen, *WORKFLOW_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: HelpRequest | None = None) -> tuple:
        return tuple(
            f for item in self.get_fields(request, obj) for f in (item if isinstance(item, tuple) else (item,))
        )

    @admin.display(description=_("地址"))
    def masked_address(self, obj: HelpRequest) -> str:
        return gettext("（仅联系人可见）") if obj.address else ""

    @admin.display(description=_("姓名"))
    def masked_name(self, obj: HelpRequest) -> str:
        return name_mask(obj.name)

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj: HelpRequest) -> str:
        return phone_mask(obj.phone)

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/action/<str:action>/",
                self.admin_site.admin_view(self.action_view),
                name="requests_app_helprequest_action",
            ),
            path("<path:object_id>/suggest/", self.admin_site.admin_view(self.suggest_view),
                 name="requests_app_helprequest_suggest"),
            path("export/<str:fmt>/", self.admin_site.admin_view(self.export_view),
                 name="requests_app_helprequest_export"),
            *self.dashboard_urls(),
            *self.monthly_urls(),
            *super().get_urls(),
        ]  # fmt: skip

    # Exports ---------------------------------------------------

    @replica_view
    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
        """The changelist's current filters and search, exported (scoped; contact masked unless allowed)."""
        if not self.has_view_permission(request):
            raise PermissionDenied  # as the changelist itself answers
        if fmt not in exports.FORMATS:
            raise Http404
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        rows = services.requests_export(queryset=queryset, user=admin_user(request), ip_address=client_ip(request))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return exports.export_response(
            fmt=fmt, filename=f"requests-{stamp}", header=dashboard.REQUEST_EXPORT_HEADER, rows=rows
        )

    # The changelist --------------------------------------------------------------

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        phone = phone_normalize(search_term)
        if phone:
            return queryset.filter(phone_hash=keyed_hash(phone)), False
        term = search_term.strip()
        if not term:
            return queryset, False
        # Exact match on the unique index: admin's "=ticket_number" would compare
        # UPPER(ticket_number), which no index serves (0.8 s at a million rows).
        # Numbers are stored upper-case; the term as typed covers a custom prefix.
        return queryset.filter(ticket_number__in={term, term.upper()}), False

    @admin.display(description=_("下一步"))
    def next_step(self, obj: HelpRequest) -> str:
        if getattr(obj, "has_pending_extension", False):
            return cut(gettext("延期待审批（督办员）"), 9)
        return cut(NEXT_STEP.get(obj.state, "—"), 9)

    @admin.display(description=_("时限"), ordering="next_due_at")
    def time_left(self, obj: HelpRequest) -> str:
        due = obj.next_due_at
        if due is None or not obj.is_open:
            return "—"
        kind = Deadline.Kind(obj.next_due_kind).label
        delta = due - timezone.now()
        if delta.total_seconds() < 0:
            return format_html(
                '<span class="sla-late" title="{}">{}</span>',
                kind,
                gettext("超时 %(t)s") % {"t": duration_text(delta)},
            )
        css = "sla-soon" if delta <= dt.timedelta(hours=1) else "sla-ok"
        return format_html(
            '<span class="{}" title="{}">{}</span>', css, kind, gettext("剩 %(t)s") % {"t": duration_text(delta)}
        )

    # Sorted by the key, not by the related model's Meta.ordering: that would JOIN and sort
    # every row (7 s at a million); (district|category, -created_at) indexes serve the key.
    @admin.display(description=_("所在区县(市)"), ordering="district_id")
    def district_shown(self, obj: HelpRequest) -> str:
        return str(obj.district)

    @admin.display(description=_("类别"), ordering="category_id")
    def category_shown(self, obj: HelpRequest) -> str:
        return str(obj.category)

    @admin.display(description=_("主办单位"))
    def lead_unit(self, obj: HelpRequest) -> str:
        return getattr(obj, "lead_unit_name", None) or "—"

    @admin.action(description=_("批量交单至一个单位"), permissions=("triage",))
    def hand_over_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """An intermediate form, then one transition_apply per request (never QuerySet.update)."""
        if not self.has_triage_permission(request):
            raise PermissionDenied
        form = BulkHandOverForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, refused = [], []
            rules = routing.rules_active()
            for pk, number in queryset.values_list("pk", "ticket_number"):
                try:
                    routing.request_hand_over_routed(
                        request_id=pk,
                        actor=request.user,
                        unit=form.cleaned_data["unit"],
                        instructions=form.cleaned_data["instructions"],
                        rules=rules,
                    )
                    done.append(number)
                except TransitionError as exc:
                    refused.append(f"{number}（{exc.message}）")
            if done:
                self.message_user(
                    request,
                    gettext("已交单%(n)s件至%(unit)s") % {"n": len(done), "unit": form.cleaned_data["unit"]},
                    messages.SUCCESS,
                )
            if refused:
                self.message_user(request, gettext("未能交单：%(list)s") % {"list": "；".join(refused)}, messages.ERROR)
            return None
        return TemplateResponse(
            request,
            "admin/dispatch/helprequest/bulk_hand_over.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("批量交单"),
                "opts": self.opts,
                "form": form,
                "requests": list(queryset.values_list("pk", "ticket_number", "title")[:500]),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
