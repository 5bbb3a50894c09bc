"""Reads: redirect rules for a text, 直办 counts per channel, a live answer."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from dispatch.figures import ChannelFigure

from .matching import live_answers
from .models import Answer, DirectAnswer, RedirectRule

RULES_CACHE_KEY = "kb:redirect-rules"
RULES_CACHE_SECONDS = 60


def redirect_rules_active() -> list[RedirectRule]:
    """The active rules, cached briefly (asked on every pause in the citizen's typing)."""
    rules = cache.get(RULES_CACHE_KEY)
    if rules is None:
        rules = list(RedirectRule.objects.filter(is_active=True).order_by("name", "pk"))
        cache.set(RULES_CACHE_KEY, rules, RULES_CACHE_SECONDS)
    return rules


def redirect_rules_forget() -> None:
    cache.delete(RULES_CACHE_KEY)


def redirects_matching(*, text: str) -> list[RedirectRule]:
    lowered = text.lower()
    return [r for r in redirect_rules_active() if any(k.lower() in lowered for k in r.keyword_list)]


def answer_live_get(*, pk: int) -> Answer | None:
    return live_answers().select_related("channel").filter(pk=pk).first()


def direct_answers_by_channel(*, since: dt.datetime, until: dt.datetime) -> ChannelFigure:
    """The 直办 figure for /stats/ and the dashboard (settings.CHANNEL_FIGURES): questions answered
    at intake without a ticket, per channel, in [since, until). One grouped query on (at, channel)."""
    rows = DirectAnswer.objects.filter(at__gte=since, at__lt=until)
    counts = dict(rows.values("channel_id").annotate(n=Count("id")).order_by().values_list("channel_id", "n"))
    return ChannelFigure(key="direct", label=_("直办"), counts=counts)
