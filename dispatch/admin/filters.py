"""The request changelist's own filters: unit, 急难愁盼, late. Each narrows an already scoped queryset."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from helpdesk.params import id_or_none

from .. import access, queues, selectors
from ..models import Unit


class UnitFilter(admin.SimpleListFilter):
    title = _("承办单位")
    parameter_name = "unit"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return list(Unit.objects.filter(is_active=True).values_list("pk", "name"))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        unit_id = id_or_none(self.value())
        if unit_id is not None:
            return selectors.requests_of_unit(queryset=queryset, unit_id=unit_id)
        return queryset


class TagFilter(admin.SimpleListFilter):
    title = _("急难愁盼")
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("ji", _("急")), ("nan", _("难")), ("chou", _("愁")), ("pan", _("盼"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value in ("ji", "nan", "chou", "pan"):
            return selectors.requests_with_tag(queryset=queryset, tag=value)
        return queryset


class LateFilter(admin.SimpleListFilter):
    title = _("时限")
    parameter_name = "late"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("1", _("已超时"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "1":
            return selectors.requests_late(queryset=queryset)
        return queryset


class QueueFilter(admin.SimpleListFilter):
    """工作队列: the 工作台's queues (dispatch.queues), only those the user works."""

    title = _("工作队列")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(q.key, q.label) for q in queues.queues_for(access.scope_of(request.user))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value in queues.QUEUES:
            return queues.queue_narrow(key=value, scope=access.scope_of(request.user), queryset=queryset)
        return queryset
