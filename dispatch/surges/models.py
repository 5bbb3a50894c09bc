"""A surge (突发聚集) and its members. Part of the `dispatch` app (imported by `dispatch.models`).

Invariants:
- a request is a member of at most one surge (`SurgeMember.request` is unique),
  so two detection runs at once cannot flag the same requests twice;
- the numbers of the rule are stored as they were when the surge last grew:
  `observed` members and `joins` (我也遇到 on them) in `window_seconds`, against
  `baseline` (the usual count of both in such a window), giving `tail_probability`
  = P(X ≥ observed + joins) for X ~ Poisson(λ) with λ estimated as `baseline`
  over `baseline_weeks` windows (`rule.predictive_tail`);
- no citizen's words are copied here: the representative title shown is read
  from the first member (`selectors.surges_visible`), so anonymising a request
  leaves nothing behind in its surge;
- supervisors are notified once per surge: `notified_at` is set in the
  transaction that queues the outbox rows, and never again.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from requests_app.models import Category, District, HelpRequest


class Surge(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("待处置")
        MERGED = "merged", _("已并单")
        DISMISSED = "dismissed", _("已排除")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("区县(市)"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("类别"))
    # The ~1 km cell ("34.76,113.65") when the members gave a location, else "".
    cell = models.CharField(_("位置格"), max_length=24, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.OPEN)
    first_at = models.DateTimeField(_("首件时间"))
    last_at = models.DateTimeField(_("末件时间"))
    window_seconds = models.PositiveIntegerField(_("统计窗口(秒)"))
    observed = models.PositiveIntegerField(_("窗口内件数"))
    # 我也遇到 added to the members inside the same window: each counts like one more request (rule.py).
    joins = models.PositiveIntegerField(_("窗口内我也遇到"), default=0)
    baseline = models.FloatField(_("平时件数"))
    baseline_weeks = models.PositiveSmallIntegerField(_("基线周数"))
    tail_probability = models.FloatField(_("尾概率"))
    threshold = models.FloatField(_("判定阈值"))
    detected_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    lead = models.ForeignKey(
        HelpRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("主件")
    )
    handled_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    members: models.ManyToManyField[HelpRequest, SurgeMember] = models.ManyToManyField(
        HelpRequest, through="SurgeMember", related_name="surges", verbose_name=_("成员")
    )

    class Meta:
        app_label = "dispatch"
        verbose_name = _("突发聚集")
        verbose_name_plural = pgettext_lazy("plural", "突发聚集")
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=["open", "merged", "dismissed"]), name="surge_state_valid"),
            models.CheckConstraint(condition=~Q(state="merged") | Q(lead__isnull=False), name="surge_merged_has_lead"),
            models.CheckConstraint(
                condition=Q(tail_probability__gte=0, tail_probability__lte=1), name="surge_probability_valid"
            ),
        ]
        indexes = [
            # The detector's query: surges still active (a member within the window).
            models.Index(fields=["-last_at"], name="surge_last_idx"),
            models.Index(fields=["-detected_at"], name="surge_detected_idx"),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def window_hours_label(self) -> str:
        hours = self.window_seconds / 3600
        if hours >= 1 and hours == int(hours):
            return gettext("%(n)d 小时") % {"n": int(hours)}
        return gettext("%(n)d 分钟") % {"n": round(self.window_seconds / 60)}

    @property
    def summary(self) -> str:
        """ "金水区 · 民生 · 38 件 + 12 人也遇到 / 2 小时，平时 1.2 件": the rule's numbers as supervisors read them."""
        numbers = {
            "district": self.district.name,
            "category": self.category.name,
            "observed": self.observed,
            "joins": self.joins,
            "window": self.window_hours_label,
            "baseline": self.baseline,
        }
        if self.joins:
            return (
                gettext(
                    "%(district)s · %(category)s · %(observed)d 件 + %(joins)d 人也遇到 / %(window)s，平时 %(baseline).1f 件"
                )
                % numbers
            )
        return gettext("%(district)s · %(category)s · %(observed)d 件 / %(window)s，平时 %(baseline).1f 件") % numbers


class SurgeMember(models.Model):
    surge = models.ForeignKey(Surge, on_delete=models.CASCADE, related_name="memberships")
    request = models.OneToOneField(
        HelpRequest, on_delete=models.PROTECT, related_name="surge_membership", verbose_name=_("求助件")
    )
    added_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        app_label = "dispatch"
        verbose_name = _("聚集成员")
        verbose_name_plural = pgettext_lazy("plural", "聚集成员")
        ordering = ["request__created_at", "request_id"]

    def __str__(self) -> str:
        return f"{self.surge_id}: {self.request_id}"
