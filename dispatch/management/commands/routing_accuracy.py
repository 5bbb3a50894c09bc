"""Report how often the 交单 suggestion is right: on held-out hand-over history, and as dispatchers chose."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dispatch.routing_eval import routing_evaluate, routing_record_accuracy


class Command(BaseCommand):
    help = "Top-1/top-3 accuracy of the routing suggestion on the newest part of the hand-over history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--holdout", type=float, default=0.2, help="share of the newest hand-overs replayed")
        parser.add_argument("--limit", type=int, default=1000, help="at most this many replayed")

    def handle(self, *args: object, **options: Any) -> None:
        holdout, limit = float(options["holdout"]), int(options["limit"])
        both = routing_evaluate(holdout=holdout, limit=limit)
        history = routing_evaluate(holdout=holdout, limit=limit, use_rules=False)
        self.stdout.write(f"held-out, rules then history: {both.summary()}")
        self.stdout.write(f"held-out, history only:       {history.summary()}")
        self.stdout.write(f"recorded hand-overs (chosen vs suggested): {routing_record_accuracy().summary()}")
