"""Rebuild the daily /stats/ rollups (dispatch.rollups): the stale days of the last N days, or all of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Min
from django.utils import timezone

from dispatch.models import StatsDay
from dispatch.rollups import days_refresh
from requests_app.models import HelpRequest


class Command(BaseCommand):
    help = "Rebuild the daily statistics rollups: stale days only, or every day with --all."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=None, help="only the last N days (default: all history)")
        parser.add_argument("--all", action="store_true", help="rebuild fresh days too (after an import)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        today = timezone.localdate(now)
        if options["days"] is not None:
            first = today - dt.timedelta(days=options["days"])
        else:
            oldest = HelpRequest.objects.aggregate(first=Min("created_at"))["first"]
            first = timezone.localdate(oldest) if oldest else today
        if options["all"]:
            StatsDay.objects.filter(day__gte=first).update(dirty=True)
        count = days_refresh(first=first, last=today, now=now)
        self.stdout.write(f"rebuilt {count} days from {first}")
