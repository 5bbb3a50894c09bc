"""Admin for the Open311 API's models: client keys (create, revoke) and the webhook outbox (read-only).

The request models themselves are registered by dispatch.admin (the back
office). A key is shown once, in the message after creation; only its hash
is stored. Actions loop through the services, never QuerySet.update().
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import ApiClient, WebhookDelivery
from .open311 import hosts, services


class ApiClientForm(forms.ModelForm):
    """The admin builds the fields (its formfield_overrides apply); this adds the address check."""

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data.get("webhook_url", "")
        hosts.validate_webhook_url(url)  # resolved now; deliveries check again
        return url


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ("name", "key_prefix", "created_at", "revoked_at", "webhook_url")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "key_prefix")
    readonly_fields = ("key_prefix", "created_at", "revoked_at")
    fields = ("name", "webhook_url", "key_prefix", "created_at", "revoked_at")
    actions = ("revoke",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request: HttpRequest, obj: ApiClient, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name", "webhook_url"])
            return
        created, key = services.api_client_create(name=obj.name, webhook_url=obj.webhook_url)
        obj.pk = created.pk
        obj.key_prefix, obj.key_hash, obj.webhook_secret = created.key_prefix, created.key_hash, created.webhook_secret
        obj.created_at = created.created_at
        messages.warning(
            request,
            _("接口密钥（只显示这一次，请立即交给对接系统保存）：%(key)s　回调签名密钥：%(secret)s")
            % {"key": key, "secret": created.webhook_secret},
        )

    def has_delete_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return False  # revoke instead: the client's submissions and deliveries keep pointing at it

    @admin.action(description=_("停用所选客户端的接口密钥"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        count = 0
        for client in queryset.filter(revoked_at__isnull=True):
            services.api_client_revoke(client=client)
            count += 1
        self.message_user(request, _("已停用 %(count)d 个客户端。") % {"count": count})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "client", "request", "event", "state", "attempts", "last_status", "created_at")
    list_filter = ("state", "client")
    list_select_related = ("client", "request", "event")
    search_fields = ("request__ticket_number",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False
