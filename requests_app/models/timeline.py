"""The timeline (append-only events) and the citizen's ratings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .request import HelpRequest, State


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
        PUBLICATION = "publication", _("问政公开")

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

    def save(self, *args, **kwargs):
        # Invariant guard, not business logic: the timeline is append-only.
        if self.pk is not None and not self._state.adding:
            raise ValueError("Timeline events are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
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
