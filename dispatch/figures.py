"""Per-channel figures that apps above dispatch add to /stats/ and the dashboard.

`settings.CHANNEL_FIGURES` names providers `(*, since, until) -> ChannelFigure`
by dotted path, loaded with `import_string`: the knowledge base contributes
its 直办 count (`kb.selectors.direct_answers_by_channel`) without dispatch
importing kb. A figure is a count per channel id; no personal data, no text.
A provider that fails is left out: the public figures still show.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.core.cache import cache as django_cache
from django.utils.module_loading import import_string

from requests_app.models import Category, Source

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelFigure:
    key: str
    label: Any  # str or a lazy translation
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def of(self, channel_id: int | None) -> int:
        return self.counts.get(channel_id, 0) if channel_id is not None else 0


@cache
def _providers(paths: tuple[str, ...]) -> list[Callable[..., ChannelFigure]]:
    return [import_string(path) for path in paths]


def channel_figures(*, since: dt.datetime, until: dt.datetime) -> list[ChannelFigure]:
    found = []
    for provider in _providers(tuple(getattr(settings, "CHANNEL_FIGURES", ()))):
        try:
            found.append(provider(since=since, until=until))
        except Exception:  # an extra figure is optional; the page is not
            logger.exception("channel figure %s failed", getattr(provider, "__name__", provider))
    return found


@dataclass(frozen=True)
class FigureTable:
    """One figure as a table for a page: (channel name, count) rows, biggest first, and the total."""

    key: str
    label: Any  # a lazy translation: rendered in the visitor's language, also from the cache
    rows: list[tuple[str, int]]
    total: int


def channel_figure_tables(*, since: dt.datetime, until: dt.datetime) -> list[FigureTable]:
    figures = channel_figures(since=since, until=until)
    if not figures:
        return []
    names = dict(Category.objects.values_list("pk", "name"))
    return [
        FigureTable(
            key=f.key,
            label=f.label,
            rows=sorted(((names.get(pk, ""), n) for pk, n in f.counts.items()), key=lambda r: (-r[1], r[0])),
            total=f.total,
        )
        for f in figures
    ]


CACHE_KEY = "dispatch:channel-figures:{name}"


def channel_figure_tables_cached(*, name: str, since: dt.datetime, until: dt.datetime) -> list[FigureTable]:
    """`channel_figure_tables`, cached as long as /stats/ caches its own figures for the same period."""
    key = CACHE_KEY.format(name=name)
    tables = django_cache.get(key)
    if tables is None:
        tables = channel_figure_tables(since=since, until=until)
        django_cache.set(key, tables, settings.STATS_CACHE_SECONDS)
    return tables


def requests_by_source(*, since: dt.datetime, until: dt.datetime) -> list[tuple[Any, int]]:
    """Requests received in [since, until) by how they arrived (网页, 电话, 来访, 接口), every source listed.

    Whole past days come from the daily rollups (`rollups.sources_read`), the rest live from the rows.
    """
    from . import rollups

    counts = rollups.sources_read(since=since, now=until)
    # The label stays a lazy translation: shown in the visitor's language, also from the cache.
    return [(Source(value).label, counts.get(value, 0)) for value in Source.values]


def requests_by_source_cached(*, name: str, since: dt.datetime, until: dt.datetime) -> list[tuple[Any, int]]:
    key = f"dispatch:source-figures:{name}"
    rows = django_cache.get(key)
    if rows is None:
        rows = requests_by_source(since=since, until=until)
        django_cache.set(key, rows, settings.STATS_CACHE_SECONDS)
    return rows
