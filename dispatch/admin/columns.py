"""Changelist columns that stay one line at 1366×768: long text is cut, with the whole on hover."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from requests_app.models import HelpRequest


def cut(text: object, limit: int) -> str:
    """`text` in one line of at most `limit` characters, the whole of it in the tooltip."""
    text = " ".join(str(text).split())
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return format_html('<span class="cut" title="{}">{}</span>', text, shown)


class CompactColumnsMixin:
    """The request changelist's title and submission time, short enough for an office screen."""

    @admin.display(description=_("标题"), ordering="title")
    def title_cell(self, obj: HelpRequest) -> str:
        return cut(obj.title, 16)

    @admin.display(description=_("提交时间"), ordering="created_at")
    def submitted(self, obj: HelpRequest) -> str:
        moment = timezone.localtime(obj.created_at)
        return format_html('<time datetime="{}">{}</time>', moment.isoformat(), f"{moment:%m-%d %H:%M}")
