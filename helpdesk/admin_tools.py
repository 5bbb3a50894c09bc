"""Admin tools both apps share: read-only records, a paginator that never counts a whole table, durations.

`helpdesk` is the bottom layer: `requests_app` and `dispatch` build on it, so
their admins can share these without importing each other.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext


class ReadOnlyAdminMixin:
    """No add, change or delete in admin: the workflow, the sweep and the outbox write these rows.

    Viewing still follows the model's view permission (and each admin's scoping).
    """

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP rows (`SELECT COUNT(*) FROM (… LIMIT cap)`): never a full-table count.

    With a million requests an unfiltered count costs a sequential scan on every
    page view; past the cap, staff narrow the list with filters or search.
    """

    object_list: QuerySet  # the admin's changelist pages a queryset, never a list

    @cached_property
    def count(self) -> int:
        # Unordered: with the list's ORDER BY kept, PostgreSQL sorts every
        # matching row before the LIMIT (0.7 s for one unit's 35k requests at a
        # million); without it the scan stops after COUNT_CAP rows.
        return self.object_list.values("pk").order_by()[:COUNT_CAP].count()


def duration_text(delta: dt.timedelta) -> str:
    """A duration as staff read it: "2天3小时", "3小时5分", "12分钟" (the sign is the caller's)."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext("%(d)s天%(h)s小时") % {"d": days, "h": hours}
    if hours:
        return gettext("%(h)s小时%(m)s分") % {"h": hours, "m": minutes}
    return gettext("%(m)s分钟") % {"m": minutes}


class SortableByChangeList(ChangeList):
    """A changelist that sorts only by the columns `sortable_by` names, whatever `?o=` says.

    Django's admin uses `sortable_by` only to draw the headers: a hand-made
    `?o=1` still sorts by that column, and on millions of rows an unindexed
    one (a free-text title) is a full-table sort of many seconds.
    """

    def get_ordering_field(self, field_name):
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)
