"""What every read-only back-office admin shares: records are written by services, never by hand."""

from __future__ import annotations

from django.http import HttpRequest


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
