"""What the back-office admins share beyond helpdesk.admin_tools: lists narrowed to the user's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from .. import access


def admin_user(request: HttpRequest) -> User:
    """`request.user` on an admin page, typed: `admin_view` lets only active staff users in."""
    user = request.user
    assert isinstance(user, User), "admin_view admits logged-in staff users only"
    return user


if TYPE_CHECKING:  # what the mixin is mixed into; a plain class at run time
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class ScopedAdminMixin(_ModelAdmin):
    """Rows that belong to a request are listed only where the user may see that request.

    `scope_ref` names the column holding the request id ("pk" for a proxy of
    the request itself). Rows without a request (staff-only notices) are for
    those who see everything. Out-of-scope rows are 404 on every URL, the
    history page included (Django would redirect with "does not exist").
    """

    scope_ref = "request_id"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(request, super().get_queryset(request))

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return access.requests_visible(scope=access.scope_of(request.user), queryset=queryset, ref=self.scope_ref)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None):
        # As the change page answers: 403 without the permission, then 404 outside the scope.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404
        return super().history_view(request, object_id, extra_context)
