"""The Open311 GeoReport v2 API's records: client keys, submissions, the webhook outbox."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .request import HelpRequest
from .timeline import Event

# --- Open311 GeoReport v2 API (requests_app.open311) ----------------------------


class ApiClient(models.Model):
    """A client system allowed to submit through the Open311 API (the news app, the grid system …).

    The key itself is never stored: only its first characters (to recognise it in
    admin and logs) and its SHA-256 hash. Keys are 256-bit random strings, so a
    fast hash is enough; comparing hashes means a database dump reveals no key.
    The webhook secret must be kept in clear: it signs outgoing payloads.
    """

    name = models.CharField(_("客户端名称"), max_length=80, unique=True)
    key_prefix = models.CharField(_("密钥前缀"), max_length=12, editable=False)
    key_hash = models.CharField(_("密钥哈希"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True, editable=False)
    webhook_url = models.URLField(
        _("回调地址"), max_length=300, blank=True, help_text=_("本客户端提交的求助状态变化时，向此地址推送通知。")
    )
    webhook_secret = models.CharField(_("回调签名密钥"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("接口客户端")
        verbose_name_plural = pgettext_lazy("plural", "接口客户端")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiSubmission(models.Model):
    """Which client submitted a request through the API, and the token the client was given."""

    request = models.OneToOneField(
        HelpRequest, on_delete=models.PROTECT, related_name="api_submission", verbose_name=_("求助件")
    )
    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("接口客户端")
    )
    token = models.UUIDField(_("令牌"), unique=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        verbose_name = _("接口提交")
        verbose_name_plural = pgettext_lazy("plural", "接口提交")

    def __str__(self) -> str:
        return f"{self.client_id}:{self.request_id}"


class WebhookDelivery(models.Model):
    """The outbox: one row per (client, event) to push, with a record of every attempt.

    Written in the same transaction as the event; the Celery task sends it. A
    delivered, failed or cancelled row is never sent again.
    """

    class DeliveryState(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")
        CANCELLED = "cancelled", _("已取消")

    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("接口客户端")
    )
    request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="+", verbose_name=_("求助件"))
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+", verbose_name=_("办理记录"))
    url = models.URLField(_("回调地址"), max_length=300)
    payload = models.JSONField(_("内容"))
    state = models.CharField(_("状态"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    attempt_log = models.JSONField(_("尝试记录"), default=list, blank=True)
    last_status = models.PositiveSmallIntegerField(_("最后响应码"), null=True, blank=True)
    last_error = models.CharField(_("最后错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("回调推送")
        verbose_name_plural = pgettext_lazy("plural", "回调推送")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "event"], name="webhook_one_per_client_event"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "delivered", "failed", "cancelled"]), name="webhook_state_valid"
            ),
        ]
        indexes = [
            # The retry sweep's query: pending rows whose next attempt is due.
            models.Index(fields=["next_attempt_at"], name="webhook_pending_idx", condition=Q(state="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.event_id}"
