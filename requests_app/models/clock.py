"""The clock: one row per promise of a request, with when it is due and when it was met."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .request import HelpRequest


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
