"""Run the deadline sweep (and the notification flush) once, by hand: the same services beat runs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from dispatch.deadlines import deadlines_sweep
from dispatch.notifications import notifications_flush


class Command(BaseCommand):
    help = "Flag overdue deadlines, send due reminders and flush queued notifications once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-flush", action="store_true", help="do not send queued notifications")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        result = deadlines_sweep(now=now, batch_size=options["batch_size"])
        self.stdout.write(
            f"breached={result.breached} escalated={result.escalated} "
            f"reminded={result.reminded} notifications={result.notifications}"
        )
        if not options["no_flush"]:
            self.stdout.write(f"flushed={notifications_flush(now=now)}")
