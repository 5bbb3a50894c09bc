"""Staff admin: the requests, their timelines, channels, districts and units.

Admin is a thin caller: it shows state read-only and changes it only through
the services. Citizen-submitted fields are never editable here.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from requests_app.models import Category, District, Event, HelpRequest
from requests_app.phones import phone_normalize

from .models import Assignment, Unit, UnitMembership

CITIZEN_FIELDS = (
    "ticket_number",
    "category_claimed",
    "urgency_claimed",
    "district",
    "name",
    "phone",
    "address",
    "title",
    "content",
    "created_at",
)


class EventInline(admin.TabularInline):
    """The timeline, newest first, read-only: events are append-only."""

    model = Event
    extra = 0
    can_delete = False
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
    verbose_name_plural = _("办理过程（时间线）")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(HelpRequest)
class HelpRequestAdmin(admin.ModelAdmin):
    list_display = ("ticket_number", "title", "category", "district", "state", "is_urgent", "created_at")
    list_filter = ("state", "category", "is_urgent", "urgency_claimed", "request_type", "district")
    search_fields = ("=ticket_number",)
    search_help_text = _("按编号或电话号码精确查找")
    list_select_related = ("category", "district")
    list_per_page = 50
    show_full_result_count = False
    date_hierarchy = None
    ordering = ("-created_at", "-id")
    readonly_fields = (*CITIZEN_FIELDS, "state", "updated_at", "first_contact_at", "resolved_at", "closed_at")
    fields = (
        *CITIZEN_FIELDS,
        "state",
        "category",
        "is_urgent",
        ("tag_nan", "tag_chou", "tag_pan"),
        "request_type",
        "first_contact_at",
        "resolved_at",
        "closed_at",
    )
    inlines = (EventInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Requests come from citizens through request_submit, never typed in here.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Changes go through the workflow's services, not the model form.
        return False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        phone = phone_normalize(search_term)
        if phone:
            return queryset.filter(phone=phone), False
        return super().get_search_results(request, queryset, search_term.strip().upper())


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "group", "order", "is_active")
    list_editable = ("order", "is_active")
    list_filter = ("group", "is_active")
    search_fields = ("name", "code")


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "order", "is_active")
    list_editable = ("order", "is_active")
    list_filter = ("kind", "is_active")


class UnitMembershipInline(admin.TabularInline):
    model = UnitMembership
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "district", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name")
    inlines = (UnitMembershipInline,)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("request", "unit", "role", "assigned_at", "accepted_at", "returned_at", "is_active")
    list_filter = ("role", "is_active", "unit")
    list_select_related = ("request", "unit")
    search_fields = ("=request__ticket_number",)
    raw_id_fields = ("request",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


from . import admin_clock  # noqa: E402, F401  (the clock's admin: outbox and 督办 queue)
