"""The 权责清单 (ResponsibilityRule) and the record of each routing suggestion (RoutingRecord): dispatch.routing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from requests_app.models import Category, District, HelpRequest

if TYPE_CHECKING:
    pass

from .core import Unit


class ResponsibilityRule(models.Model):
    """One line of the 权责清单: what (a channel and/or keywords), where (optionally a district), who.

    Kept by the dispatchers in admin. `dispatch.routing` picks the most specific
    active rule that matches a request (keywords, then district, then channel).
    """

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("类别")
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("区县(市)")
    )
    keywords = models.CharField(
        _("关键词"), max_length=200, blank=True, help_text=_("以空格或顿号分隔；标题或内容含其中任一即匹配")
    )
    lead_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("主办单位"))
    assist_units = models.ManyToManyField(Unit, blank=True, related_name="+", verbose_name=_("协办单位"))
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("依据/说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("权责清单条目")
        verbose_name_plural = pgettext_lazy("plural", "权责清单")
        ordering = ["category", "district", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=False) | ~Q(keywords=""), name="rule_has_category_or_keywords"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} → {self.lead_unit}"

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in re.split(r"[\s,，、;；]+", self.keywords) if k]

    @property
    def label(self) -> str:
        parts = [str(p) for p in (self.category, self.district) if p is not None]
        if self.keywords:
            parts.append("「" + "、".join(self.keyword_list) + "」")
        return " × ".join(parts)


class RoutingRecord(models.Model):
    """What routing suggested at one hand-over (交单), and which unit the dispatcher chose.

    Append-only, written with the hand-over; read by `routing_accuracy`.
    """

    class Source(models.TextChoices):
        RULE = "rule", _("权责清单")
        HISTORY = "history", _("历史交办")
        NONE = "none", _("无建议")

    request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="+", verbose_name=_("求助件"))
    source = models.CharField(_("建议来源"), max_length=8, choices=Source.choices)
    rule = models.ForeignKey(
        ResponsibilityRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("规则")
    )
    # [{"unit": id, "share": 0.62}, ...] best first, at most three.
    suggested = models.JSONField(_("建议单位"), default=list, blank=True)
    chosen_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("选定单位"))
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("交办人")
    )
    rank = models.PositiveSmallIntegerField(_("选定单位的建议名次"), null=True, blank=True)
    created_at = models.DateTimeField(_("交办时间"), default=timezone.now)

    class Meta:
        verbose_name = _("交单建议记录")
        verbose_name_plural = pgettext_lazy("plural", "交单建议记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=["rule", "history", "none"]), name="routing_source_valid"),
        ]
        indexes = [models.Index(fields=["-created_at"], name="routing_record_created_idx")]

    def __str__(self) -> str:
        return f"{self.request} → {self.chosen_unit} ({self.rank or '—'})"
