"""Channels (类别) and districts: what a request is about and where."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
