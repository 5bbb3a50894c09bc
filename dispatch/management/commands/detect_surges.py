"""Run the surge detection (未诉先办) once, by hand: the same service beat runs every SURGE_INTERVAL_SECONDS."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dispatch.surges.services import surges_detect


class Command(BaseCommand):
    help = "Group the last window's requests and flag or grow surges of similar requests once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--now", help="ISO time to detect at (default: now), e.g. 2026-12-01T10:00+08:00")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from exc
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        result = surges_detect(now=now)
        self.stdout.write(
            f"requests={result.requests} groups_checked={result.keys} "
            f"flagged={len(result.flagged)} grown={len(set(result.grown))}"
        )
