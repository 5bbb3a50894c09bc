"""The 权责清单 in admin (kept by the dispatchers), the record of routing suggestions, and the
suggestions the request page shows: the unit pre-selected at 交单 and the possible duplicates at 列单.

Thin callers of `dispatch.routing` and `dispatch.similar`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.http import HttpRequest

from helpdesk.admin_tools import CappedCountPaginator, ReadOnlyAdminMixin
from requests_app.models import HelpRequest

from .. import access, routing, similar
from ..models import ResponsibilityRule, RoutingRecord, Unit
from .base import ScopedAdminMixin


@admin.register(ResponsibilityRule)
class ResponsibilityRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "category", "district", "keywords", "lead_unit", "is_active", "updated_at")
    list_filter = ("is_active", "category", "district", "lead_unit")
    list_editable = ("is_active",)
    list_select_related = ("category", "district", "lead_unit")
    search_fields = ("keywords", "note", "lead_unit__name")
    filter_horizontal = ("assist_units",)
    fields = ("category", "district", "keywords", "lead_unit", "assist_units", "note", "is_active")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lead_unit":
            kwargs["queryset"] = Unit.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(RoutingRecord)
class RoutingRecordAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """What routing suggested at each hand-over and what was chosen (名次 1 = the suggestion taken)."""

    list_display = ("created_at", "request", "source", "rule", "chosen_unit", "rank", "chosen_by")
    list_filter = ("source", "rank", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("request", "rule__category", "rule__district", "rule__lead_unit", "chosen_unit",
                           "chosen_by")  # fmt: skip
    search_fields = ("=request__ticket_number",)
    raw_id_fields = ("request",)
    paginator = CappedCountPaginator
    show_full_result_count = False


# --- What the request page shows ---------------------------------------------------------


@dataclass(frozen=True)
class UnitChoice:
    unit: Unit
    share: int  # percent


@dataclass(frozen=True)
class HandOverHint:
    reason: str
    choices: list[UnitChoice]
    from_rule: bool


def hand_over_hint(*, help_request: HelpRequest, category_id: int | None = None) -> tuple[dict, HandOverHint]:
    """The hand-over form's initial values (the suggested unit pre-selected) and why.

    `category_id`: as if the request were filed under that channel (see `routing.routing_suggest`).
    """
    suggestion = routing.routing_suggest(help_request=help_request, category_id=category_id)
    units = routing.suggestion_units(suggestion=suggestion)
    choices = [
        UnitChoice(unit=units[c.unit_id], share=round(c.share * 100))
        for c in suggestion.candidates
        if c.unit_id in units
    ]
    initial = {"unit": suggestion.top_unit_id, "assist_units": suggestion.assist_unit_ids}
    return initial, HandOverHint(reason=suggestion.reason, choices=choices, from_rule=suggestion.rule is not None)


def duplicate_hints(*, request: HttpRequest, help_request: HelpRequest) -> list[similar.Similar]:
    """Possible duplicates of the request being triaged, among the requests this user may see."""
    return similar.requests_similar(help_request=help_request, scope=access.scope_of(request.user))
