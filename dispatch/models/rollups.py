"""The rollups' tables (dispatch.rollups): per local day, the figures /stats/ and the dashboard read.

A day's rows are rebuilt from the requests when the day is dirty or its
validity has passed, so a page reads days instead of scanning history.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from requests_app.models import Category, District

from .core import Unit


class StatsDay(models.Model):
    """One local day's rollup state (dispatch.rollups): when it was built, and until when it holds.

    `dirty` is set (in the changing transaction) when a request submitted that
    day changes what /stats/ counts; `valid_until` is the next due time of a
    running promise of the day's requests, when it turns from "running" to
    "missed" without any row changing. A day is fresh when built, not dirty
    and `valid_until` has not passed.
    """

    day = models.DateField(_("日期"), primary_key=True)
    built_at = models.DateTimeField(_("统计时间"), null=True, blank=True)
    valid_until = models.DateTimeField(_("有效期至"), null=True, blank=True)
    dirty = models.BooleanField(_("待重算"), default=True)

    class Meta:
        verbose_name = _("日统计")
        verbose_name_plural = pgettext_lazy("plural", "日统计")

    def __str__(self) -> str:
        return str(self.day)


class StatsCell(models.Model):
    """The /stats/ figures of the requests submitted on one local day, for one channel, district or unit.

    `dim` is "all" (the day's total, `key` NULL), "category", "district" or
    "unit" (`key` NULL: not handed over). Counts are as of the day's
    `StatsDay.built_at`; rates are kept/missed counts per promise.
    """

    class Dim(models.TextChoices):
        ALL = "all", _("合计")
        CATEGORY = "category", _("类别")
        DISTRICT = "district", _("区县(市)")
        UNIT = "unit", _("承办单位")

    day = models.DateField(_("日期"))
    dim = models.CharField(_("维度"), max_length=8, choices=Dim.choices)
    key = models.BigIntegerField(_("对象"), null=True, blank=True)
    received = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    reported = models.PositiveIntegerField(default=0)
    open_now = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    contact_kept = models.PositiveIntegerField(default=0)
    contact_missed = models.PositiveIntegerField(default=0)
    urgent_kept = models.PositiveIntegerField(default=0)
    urgent_missed = models.PositiveIntegerField(default=0)
    resolve_kept = models.PositiveIntegerField(default=0)
    resolve_missed = models.PositiveIntegerField(default=0)
    feedback_kept = models.PositiveIntegerField(default=0)
    feedback_missed = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    ratings_good = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("日统计数据")
        verbose_name_plural = pgettext_lazy("plural", "日统计数据")
        indexes = [models.Index(fields=["day", "dim"], name="stats_cell_day_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(dim__in=["all", "category", "district", "unit"]), name="stats_cell_dim_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dim}:{self.key}"


class UnitDayCell(models.Model):
    """The dashboard's unit table (dispatch.dashboard) for the lead hand-overs of one local day to one unit.

    Built with the day's `StatsCell` rows under the same `StatsDay` (same
    freshness: dirty, `valid_until`); counts are as of `StatsDay.built_at`.
    """

    day = models.DateField(_("日期"))
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("单位"))
    received = models.PositiveIntegerField(default=0)
    accepted_ok = models.PositiveIntegerField(default=0)
    accepted_n = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    solved_kept = models.PositiveIntegerField(default=0)
    solved_missed = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    ratings_good = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("单位日统计")
        verbose_name_plural = pgettext_lazy("plural", "单位日统计")
        constraints = [models.UniqueConstraint(fields=["day", "unit"], name="unit_day_cell_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id}"


class ProblemDayCell(models.Model):
    """每月一题's figures (dispatch.problems) for the requests submitted on one local day, per channel × district × lead unit.

    Built with the day's `StatsCell` rows under the same `StatsDay` (same
    freshness: dirty, `valid_until`); `unit` NULL: not handed over.
    """

    day = models.DateField(_("日期"))
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+", verbose_name=_("类别"))
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+", verbose_name=_("区县(市)"))
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("单位")
    )
    received = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    repeat_callers = models.PositiveIntegerField(default=0)
    repeats = models.PositiveIntegerField(default=0)
    resolve_kept = models.PositiveIntegerField(default=0)
    resolve_missed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("问题日统计")
        verbose_name_plural = pgettext_lazy("plural", "问题日统计")
        indexes = [models.Index(fields=["day"], name="problem_cell_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.category_id}/{self.district_id}/{self.unit_id}"


class SourceDayCell(models.Model):
    """How many requests submitted on one local day came by one source (网页, 电话, 来访, 接口).

    Built with the day's `StatsCell` rows under the same `StatsDay` (same
    freshness); the dashboard's intake-by-source table sums these days.
    """

    day = models.DateField(_("日期"))
    source = models.CharField(_("来源"), max_length=8)
    received = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("来源日统计")
        verbose_name_plural = pgettext_lazy("plural", "来源日统计")
        constraints = [models.UniqueConstraint(fields=["day", "source"], name="source_day_cell_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.source}"
