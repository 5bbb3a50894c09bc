"""The citizen side's data: channels, districts, the help request, its clock and its timeline.

Invariants:
- A request's citizen-submitted fields (name, phone, address, title, content,
  urgency_claimed, category_claimed) are written once, at submission.
- The timeline (`Event`) is append-only: events are never edited or deleted.
- `state` changes only through `dispatch.workflow` (the one transition table);
  the only state this app ever writes is the initial SUBMITTED.
- Times are stored in UTC and shown in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .crypto import EncryptedTextField


class Category(models.Model):
    """A channel a citizen can ask through (民生, 交通 …, or an emergency category)."""

    class Group(models.TextChoices):
        GENERAL = "general", _("问政帮办")
        EMERGENCY = "emergency", _("应急求助")

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    group = models.CharField(_("通道"), max_length=16, choices=Group.choices, default=Group.GENERAL)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["group", "order", "id"]
        verbose_name = _("求助类别")
        verbose_name_plural = pgettext_lazy("plural", "求助类别")

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """One of Zhengzhou's county-level divisions (区、县级市、县、开发区)."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("市辖区")
        CITY = "city", _("县级市")
        COUNTY = "county", _("县")
        ZONE = "zone", _("开发区")

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("区县(市)")
        verbose_name_plural = pgettext_lazy("plural", "区县(市)")

    def __str__(self) -> str:
        return self.name


class TicketCounter(models.Model):
    """Per-day counter behind ticket numbers; bumped with one atomic upsert."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数")
        verbose_name_plural = pgettext_lazy("plural", "编号计数")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class State(models.TextChoices):
    """Workflow states. The allowed moves between them live in dispatch.workflow."""

    SUBMITTED = "submitted", _("已提交")
    LISTED = "listed", _("已列单")
    HANDED_OVER = "handed_over", _("已交办")
    ACCEPTED = "accepted", _("办理中")
    RETURNED = "returned", _("已退回")
    RESOLVED = "resolved", _("已办结")
    REOPENED = "reopened", _("重办")
    CLOSED = "closed", _("已销号")
    INVALID = "invalid", _("无效")
    DUPLICATE = "duplicate", _("重复")


# State groups every figure, filter and rule uses (one definition, here):
# OPEN: someone must still act before the request is resolved.
OPEN_STATES = frozenset(
    {State.SUBMITTED, State.LISTED, State.HANDED_OVER, State.ACCEPTED, State.RETURNED, State.REOPENED}
)
# FINISHED: nobody needs to act any more (a missed promise stays on record).
FINISHED_STATES = frozenset({State.CLOSED, State.INVALID, State.DUPLICATE})
# "解决事项": resolved, whether closed out yet or not.
RESOLVED_STATES = frozenset({State.RESOLVED, State.CLOSED})


class Urgency(models.TextChoices):
    URGENT = "urgent", _("紧急")
    NORMAL = "normal", _("一般")


class RequestType(models.TextChoices):
    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")


class HelpRequest(models.Model):
    """A citizen's help request (求助件), identified publicly by its ticket number."""

    ticket_number = models.CharField(_("编号"), max_length=24, unique=True)
    # Idempotency key from the form: a double click or a resubmitted POST maps
    # to the same request instead of creating a second one.
    submit_token = models.UUIDField(_("提交令牌"), unique=True, null=True, blank=True, editable=False)

    # --- What the citizen submitted (never edited afterwards) ---
    category_claimed = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("市民所选类别")
    )
    urgency_claimed = models.CharField(_("市民所选紧急程度"), max_length=8, choices=Urgency.choices)
    district = models.ForeignKey(District, on_delete=models.PROTECT, verbose_name=_("所在区县(市)"))
    # Personal data is encrypted at rest (requests_app.crypto); the phone's
    # keyed hash keeps "find by phone" an indexed equality lookup.
    name = EncryptedTextField(_("姓名"))
    phone = EncryptedTextField(_("联系电话"))
    phone_hash = models.CharField(_("电话指纹"), max_length=64, db_index=True, editable=False, default="")
    address = EncryptedTextField(_("地址"), blank=True)
    title = models.CharField(_("标题"), max_length=60)
    content = models.TextField(_("求助内容"), max_length=2000)

    # --- Triage (staff) ---
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("类别"))
    is_urgent = models.BooleanField(_("急"), default=False, help_text=_("紧急：3小时内落实解决"))
    tag_nan = models.BooleanField(_("难"), default=False)
    tag_chou = models.BooleanField(_("愁"), default=False)
    tag_pan = models.BooleanField(_("盼"), default=False)
    request_type = models.CharField(_("诉求类型"), max_length=16, choices=RequestType.choices, blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates", verbose_name=_("重复于")
    )

    # --- Workflow ---
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.SUBMITTED)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    first_contact_at = models.DateTimeField(_("首次联系时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)
    extensions_used = models.PositiveSmallIntegerField(_("已延期次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)

    class Meta:
        verbose_name = _("求助件")
        verbose_name_plural = pgettext_lazy("plural", "求助件")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="req_created_idx"),
            models.Index(fields=["state", "-created_at"], name="req_state_created_idx"),
            models.Index(fields=["district", "-created_at"], name="req_district_created_idx"),
            models.Index(fields=["category", "-created_at"], name="req_category_created_idx"),
            models.Index(fields=["escalated_at"], name="req_escalated_idx", condition=Q(escalated_at__isnull=False)),
            # Holds every column the public totals read (selectors.public_totals), so
            # counting a million requests is an index-only scan of a narrow index
            # instead of a scan of the wide table (≈2x faster at 1M rows).
            models.Index(fields=["state", "is_urgent", "tag_nan", "tag_chou", "tag_pan", "id"], name="req_totals_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=State.values), name="req_state_valid"),
            models.CheckConstraint(condition=Q(urgency_claimed__in=Urgency.values), name="req_urgency_valid"),
            models.CheckConstraint(
                condition=Q(request_type="") | Q(request_type__in=RequestType.values), name="req_type_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=State.DUPLICATE) | Q(duplicate_of__isnull=False),
                name="req_duplicate_has_main",
            ),
        ]

    def __str__(self) -> str:
        return self.ticket_number

    @property
    def is_open(self) -> bool:
        return self.state not in FINISHED_STATES


class DeadlineQuerySet(models.QuerySet):
    """The promise rules, written once: which deadlines are still running, kept, missed or overdue.

    The Q objects serve aggregates (`Count(..., filter=DeadlineQuerySet.KEPT)`);
    the methods serve querysets and subqueries.
    """

    # Still running: neither met nor waived (deadline_open_idx).
    OPEN = Q(met_at__isnull=True, waived_at__isnull=True)
    KEPT = Q(met_at__lte=F("due_at"))

    @staticmethod
    def missed_q(now: dt.datetime) -> Q:
        """Met late, or still running past its due time."""
        return Q(met_at__gt=F("due_at")) | (DeadlineQuerySet.OPEN & Q(due_at__lt=now))

    def open(self) -> DeadlineQuerySet:
        return self.filter(self.OPEN)

    def kept(self) -> DeadlineQuerySet:
        return self.filter(self.KEPT)

    def missed(self, now: dt.datetime) -> DeadlineQuerySet:
        return self.filter(self.missed_q(now))

    def overdue(self, now: dt.datetime) -> DeadlineQuerySet:
        """Still running and past due: late now."""
        return self.open().filter(due_at__lt=now)

    def flagged(self) -> DeadlineQuerySet:
        """Still running and already flagged by the sweep (the 督办 queue's rule)."""
        return self.open().filter(breached_at__isnull=False)


class Deadline(models.Model):
    """One of the platform's promises for one request, with when it is due and when it was met.

    Met or missed, the times are kept so on-time rates can be computed.
    Breach detection (dispatch.deadlines) claims rows where met_at, breached_at
    and waived_at are all NULL and due_at has passed.
    """

    class Kind(models.TextChoices):
        CONTACT = "contact", _("1小时内回应联系")
        URGENT = "urgent", _("3小时内落实解决紧急问题")
        RESOLVE = "resolve", _("7小时内落实解决")
        FEEDBACK = "feedback", _("1天内反馈结果")

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("承诺"), max_length=16, choices=Kind.choices)
    due_at = models.DateTimeField(_("截止时间"))
    met_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超时标记时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    waived_at = models.DateTimeField(
        _("不再适用时间"), null=True, blank=True, help_text=_("例如：不再紧急、无效或重复件")
    )

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("时限")
        verbose_name_plural = pgettext_lazy("plural", "时限")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="deadline_one_per_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=["contact", "urgent", "resolve", "feedback"]), name="deadline_kind_valid"
            ),
        ]
        indexes = [
            # The sweep's query: due, not met, not yet flagged, not waived.
            models.Index(
                fields=["due_at"],
                name="deadline_pending_idx",
                condition=Q(met_at__isnull=True, breached_at__isnull=True, waived_at__isnull=True),
            ),
            # Staff's "late" filter: open promises past due, flagged by the sweep or not yet.
            models.Index(
                fields=["due_at"],
                name="deadline_open_idx",
                condition=Q(met_at__isnull=True, waived_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.kind}"

    @property
    def status(self) -> str:
        """met / missed / running / waived, as the progress page shows it."""
        if self.waived_at:
            return "waived"
        if self.met_at:
            return "met" if self.met_at <= self.due_at else "missed"
        if self.breached_at or self.due_at < timezone.now():
            return "missed"
        return "running"


class Event(models.Model):
    """One immutable line of a request's timeline.

    `unit_name` and `actor_label` are snapshots taken when the event is written,
    so the timeline reads the same after a unit is renamed or a user leaves.
    Public events show on the citizen's progress page; internal ones never do.
    """

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("提交求助")
        TRANSITION = "transition", _("状态变更")
        NOTE = "note", _("办理记录")
        CONTACT = "contact", _("回应联系")
        TRIAGE = "triage", _("列单分类")
        DEADLINE = "deadline", _("时限")
        NOTIFICATION = "notification", _("通知")
        FEEDBACK = "feedback", _("回访评价")

    request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    from_state = models.CharField(_("原状态"), max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=State.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_label = models.CharField(_("操作人"), max_length=80, blank=True)
    unit_name = models.CharField(_("单位"), max_length=80, blank=True)
    message = models.CharField(_("摘要"), max_length=200)
    note = models.TextField(_("说明"), blank=True)
    is_public = models.BooleanField(_("公开"), default=False)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = pgettext_lazy("plural", "办理记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["request", "-created_at", "-id"], name="event_request_time_idx")]

    def __str__(self) -> str:
        return self.message

    def save(self, *args, **kwargs):  # noqa: ANN002, ANN003
        # Invariant guard, not business logic: the timeline is append-only.
        if self.pk is not None and not self._state.adding:
            raise ValueError("Timeline events are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003
        raise ValueError("Timeline events are never deleted.")


class Feedback(models.Model):
    """The citizen's verdict on one resolution (回访): online on the progress page or by a staff callback.

    One row per (request, round): `round` is the request's `reopen_count` when the
    result was rated, so each resolution (the first, and each after a rework)
    is rated at most once. Written only by `dispatch.workflow` (actions `rate`
    and `record_callback`), in the same transaction as its timeline event.
    """

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASIC = "basic", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    class Channel(models.TextChoices):
        ONLINE = "online", _("网上评价")
        PHONE = "phone", _("电话回访")

    request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="feedbacks")
    round = models.PositiveSmallIntegerField(_("第几次办结"), default=0)
    rating = models.CharField(_("评价"), max_length=16, choices=Rating.choices)
    comment = models.TextField(_("意见"), blank=True, max_length=500)
    channel = models.CharField(_("方式"), max_length=8, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("回访人"),
    )
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回访评价")
        verbose_name_plural = pgettext_lazy("plural", "回访评价")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "round"], name="feedback_one_per_resolution"),
            models.CheckConstraint(
                condition=Q(rating__in=["satisfied", "basic", "unsatisfied"]), name="feedback_rating_valid"
            ),
            models.CheckConstraint(condition=Q(channel__in=["online", "phone"]), name="feedback_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.round}: {self.rating}"

    @property
    def is_satisfied(self) -> bool:
        return self.rating in (self.Rating.SATISFIED, self.Rating.BASIC)


class PrivateMediaStorage(FileSystemStorage):
    """Where citizens' photos live: PRIVATE_MEDIA_ROOT, outside STATIC_ROOT, with no URL of its own.

    The location is read from settings on every use, so it follows overrides.
    """

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("Citizens' photos have no public URL; staff see them through dispatch:attachment.")


def private_storage() -> PrivateMediaStorage:
    return PrivateMediaStorage()


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"requests/{instance.request.created_at:%Y/%m}/{instance.request_id}/{filename}"


class Attachment(models.Model):
    """A photo a citizen attached, already re-encoded as a metadata-free JPEG (requests_app.photos)."""

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), storage=private_storage, upload_to=_attachment_path, max_length=200)
    width = models.PositiveIntegerField(_("宽"))
    height = models.PositiveIntegerField(_("高"))
    size = models.PositiveIntegerField(_("字节数"))
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = pgettext_lazy("plural", "照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.pk}"


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
