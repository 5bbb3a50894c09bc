"""The back office's data: the units requests are handed to, who works in them, and hand-overs.

Invariants:
- A request has at most one active lead assignment (主办) at a time; assisting
  units (协办) may be several.
- Units are never deleted once used (PROTECT), so history keeps its meaning;
  switch `is_active` off instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from requests_app.crypto import EncryptedTextField
from requests_app.models import District, HelpRequest
from requests_app.phones import phone_mask

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Unit(models.Model):
    """A city department or a district/county government that handles requests."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("市直部门")
        DISTRICT = "district", _("区县(市)政府")
        OTHER = "other", _("其他单位")

    name = models.CharField(_("名称"), max_length=60, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("对应区县(市)")
    )
    email = models.EmailField(_("通知邮箱"), blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    members: models.ManyToManyField[User, UnitMembership] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="UnitMembership", related_name="units", verbose_name=_("承办人员")
    )

    class Meta:
        ordering = ["kind", "order", "id"]
        verbose_name = _("承办单位")
        verbose_name_plural = pgettext_lazy("plural", "承办单位")

    def __str__(self) -> str:
        return self.name


class UnitMembership(models.Model):
    """A staff user works for a unit (a handler sees that unit's requests)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, verbose_name=_("单位"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("用户"))

    class Meta:
        verbose_name = _("单位成员")
        verbose_name_plural = pgettext_lazy("plural", "单位成员")
        constraints = [models.UniqueConstraint(fields=["unit", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit}"


class ContactAccess(models.Model):
    """A staff user was shown a citizen's full name and phone (who, when, which request).

    Written every time the full values are displayed, so a leak can be traced.
    Append-only, like the timeline.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("查看人"))
    request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="+", verbose_name=_("求助件"))
    viewed_at = models.DateTimeField(_("查看时间"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("地址"), null=True, blank=True)
    where = models.CharField(_("位置"), max_length=40, default="admin")

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = pgettext_lazy("plural", "个人信息查看记录")
        ordering = ["-viewed_at", "-id"]
        indexes = [
            models.Index(fields=["request", "-viewed_at"], name="contact_access_req_idx"),
            models.Index(fields=["user", "-viewed_at"], name="contact_access_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.request} @ {self.viewed_at:%Y-%m-%d %H:%M}"


class ReportExport(models.Model):
    """A staff user downloaded a report of figures (每月一题): who, which report and month, when, from where.

    The figures hold no personal data, so this is not a `ContactAccess`; it is
    kept beside it so the supervisors' audit also shows who took the figures out.
    Append-only.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("导出人"))
    report = models.CharField(_("报表"), max_length=40)
    params = models.CharField(_("范围"), max_length=80, blank=True)
    exported_at = models.DateTimeField(_("导出时间"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("报表导出记录")
        verbose_name_plural = pgettext_lazy("plural", "报表导出记录")
        ordering = ["-exported_at", "-id"]
        indexes = [models.Index(fields=["user", "-exported_at"], name="report_export_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.report} {self.params} @ {self.exported_at:%Y-%m-%d %H:%M}"


class AssignmentQuerySet(models.QuerySet):
    @staticmethod
    def active_lead_q(prefix: str = "") -> Q:
        """`active_lead` through a relation (`prefix` such as "assignments__"), for joins and aggregates."""
        return Q(**{f"{prefix}is_active": True, f"{prefix}role": "lead"})

    def active(self) -> AssignmentQuerySet:
        return self.filter(is_active=True)

    def active_lead(self) -> AssignmentQuerySet:
        """The request's current lead unit (主办): at most one per request (assignment_one_active_lead)."""
        return self.filter(is_active=True, role=Assignment.Role.LEAD)


class Assignment(models.Model):
    """A hand-over (交单) of a request to a unit, as lead (主办) or assisting (协办)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("主办")
        ASSIST = "assist", _("协办")

    request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("单位"))
    role = models.CharField(_("角色"), max_length=8, choices=Role.choices)
    instructions = models.TextField(_("交办意见"), blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("交办人")
    )
    assigned_at = models.DateTimeField(_("交办时间"), default=timezone.now)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退单时间"), null=True, blank=True)
    return_reason = models.TextField(_("退单理由"), blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("交办记录")
        verbose_name_plural = pgettext_lazy("plural", "交办记录")
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(role="lead", is_active=True), name="assignment_one_active_lead"
            ),
            models.CheckConstraint(condition=Q(role__in=["lead", "assist"]), name="assignment_role_valid"),
        ]
        indexes = [
            # Scoping: a handler's changelist is "requests with an active assignment to my units".
            models.Index(fields=["unit", "request"], name="assignment_unit_req_idx", condition=Q(is_active=True)),
            # A handler's assisting (协办) requests, read from the index alone: the lead side of the
            # scope is the request's own lead_unit_id (dispatch.workflow.lead_unit).
            models.Index(
                fields=["unit", "request"], name="assignment_assist_idx", condition=Q(is_active=True, role="assist")
            ),
            # Routing's history: each recent request's kept lead unit, read from the index alone.
            models.Index(
                fields=["request"],
                include=["unit"],
                name="assignment_kept_lead_idx",
                condition=Q(role="lead", returned_at__isnull=True),
            ),
            # The dashboard's period: lead hand-overs made in the last N days.
            models.Index(fields=["assigned_at"], name="assignment_lead_time_idx", condition=Q(role="lead")),
        ]
        # The workflow's rights, granted to the role groups by dispatch.roles.
        permissions = [
            ("triage_request", _("可列单、交办求助件（平台交办员）")),
            ("handle_request", _("可承办本单位的求助件（承办人）")),
            ("supervise_request", _("可督办、审批延期、重办和销号（督办员）")),
            ("intake_request", _("可为来电和来访市民代录求助（话务员）")),
        ]

    def __str__(self) -> str:
        return f"{self.request} → {self.unit} ({self.get_role_display()})"


class ExtensionRequest(models.Model):
    """A lead unit's request for more time (延期), decided by a supervisor.

    At most one is pending per request; approved ones are counted in
    HelpRequest.extensions_used against settings.MAX_EXTENSIONS.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("未批准")

    request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="extension_requests")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请单位"))
    hours = models.PositiveSmallIntegerField(_("延长小时数"))
    reason = models.TextField(_("延期理由"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = pgettext_lazy("plural", "延期申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(status="pending"), name="extension_one_pending_per_request"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "refused"]), name="extension_status_valid"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="extension_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.request} +{self.hours}h ({self.get_status_display()})"


class Notification(models.Model):
    """One message to one recipient, recorded before it is sent (a transactional outbox).

    Rows are written in the same transaction as what caused them (a breach, a
    hand-over) and sent afterwards by `dispatch.tasks.notification_send_task` (or
    `notifications_send_many_task` for a chunk queued together);
    rows the broker never received are sent by the periodic flush. A row is
    sent at most once: sending locks it and re-checks that it is still queued.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        SMS = "sms", _("短信")

    class State(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    class Kind(models.TextChoices):
        BREACH = "breach", _("超时督办")
        REMINDER = "reminder", _("到期提醒")
        HANDED_OVER = "handed_over", _("已交办")
        RESOLVED = "resolved", _("已办结")
        REOPENED = "reopened", _("重办")
        DECISION = "decision", _("待督办决定")
        RECEIVED = "received", _("已受理（代录）")
        SURGE = "surge", _("突发聚集")
        MAIN_RESOLVED = "main_resolved", _("主件已办结")

    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    # A citizen's phone or a staff email: personal data, encrypted at rest like the request's.
    recipient = EncryptedTextField(_("接收人"))
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    request = models.ForeignKey(
        HelpRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("求助件"),
    )
    event = models.ForeignKey(
        "requests_app.Event",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("来源记录"),
    )
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    # When the flush may try a queued row (helpdesk.outbox): a grace for its own task
    # at first, then the retry backoff; empty once sent or failed.
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = pgettext_lazy("plural", "通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=["email", "sms"]), name="notification_channel_valid"),
            models.CheckConstraint(
                condition=Q(state__in=["queued", "sent", "failed"]), name="notification_state_valid"
            ),
        ]
        indexes = [
            # The flush's query: queued rows whose next attempt is due.
            models.Index(fields=["next_attempt_at"], name="notification_due_idx", condition=Q(state="queued")),
            models.Index(fields=["state", "-created_at"], name="notification_state_idx"),
            # The outbox as it opens (newest first), at millions of rows.
            models.Index(fields=["-created_at", "-id"], name="notification_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient_masked}: {self.subject or self.body[:30]}"

    @property
    def recipient_masked(self) -> str:
        return phone_mask(self.recipient) if self.channel == self.Channel.SMS else self.recipient


class LateRequest(HelpRequest):
    """The supervisors' queue (督办): open requests with a missed, still unmet deadline."""

    class Meta:
        proxy = True
        verbose_name = _("超时督办件")
        verbose_name_plural = pgettext_lazy("plural", "超时督办件")


class ClockRun(models.Model):
    """When a periodic job of the clock last completed, one row per job (the deadline sweep).

    Written at the end of every sweep; `/readyz` and the staff pages' banner
    read it (through a cache key), so a clock that stopped is visible.
    """

    job = models.CharField(_("任务"), max_length=50, primary_key=True)
    completed_at = models.DateTimeField(_("最近完成时间"))

    class Meta:
        verbose_name = _("时钟运行记录")
        verbose_name_plural = pgettext_lazy("plural", "时钟运行记录")

    def __str__(self) -> str:
        return f"{self.job} @ {self.completed_at:%Y-%m-%d %H:%M:%S}"
