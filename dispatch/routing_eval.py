"""How good the routing suggestion is: top-1/top-3 accuracy on held-out history and on the record.

- `routing_evaluate`: replays the newest `holdout` share of the lead hand-overs
  that were not returned (the unit that kept the request is taken as the right
  one), suggesting each from the rules and from the history *before* it only;
- `routing_record_accuracy`: what dispatchers actually chose against what was
  suggested (`RoutingRecord.rank`).

Read-only; for `manage.py routing_accuracy` and bench/routing_bench.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q

from .models import Assignment, RoutingRecord
from .routing import routing_suggest, rules_active


@dataclass
class Accuracy:
    total: int = 0
    top1: int = 0
    top3: int = 0
    by_source: Counter = field(default_factory=Counter)
    top1_by_source: Counter = field(default_factory=Counter)

    def add(self, *, source: str, rank: int | None) -> None:
        self.total += 1
        self.by_source[source] += 1
        if rank == 1:
            self.top1 += 1
            self.top1_by_source[source] += 1
        if rank is not None and rank <= 3:
            self.top3 += 1

    def rate(self, hits: int) -> float:
        return hits / self.total if self.total else 0.0

    def summary(self) -> str:
        sources = ", ".join(
            f"{s}: {n} ({self.top1_by_source[s] / n:.1%} top-1)" for s, n in sorted(self.by_source.items())
        )
        return f"n={self.total} top-1={self.rate(self.top1):.1%} top-3={self.rate(self.top3):.1%}" + (
            f" [{sources}]" if sources else ""
        )


def routing_evaluate(*, holdout: float = 0.2, limit: int = 1000, use_rules: bool = True) -> Accuracy:
    """Top-1/top-3 on the newest `holdout` share of kept lead hand-overs (at most `limit` of them)."""
    kept = Assignment.objects.filter(role=Assignment.Role.LEAD, returned_at__isnull=True)
    size = min(limit, int(kept.count() * holdout))
    rows = list(kept.select_related("request").order_by("-request__created_at", "-id")[:size])
    rules = rules_active() if use_rules else []
    accuracy = Accuracy()
    for row in rows:
        suggestion = routing_suggest(help_request=row.request, rules=rules, use_rules=use_rules)
        accuracy.add(source=suggestion.source, rank=suggestion.rank_of(row.unit_id))
    return accuracy


def routing_record_accuracy() -> Accuracy:
    """What the dispatchers chose, against what was suggested, over every recorded hand-over."""
    accuracy = Accuracy()
    for row in RoutingRecord.objects.values("source").annotate(
        n=Count("id"), top1=Count("id", filter=Q(rank=1)), top3=Count("id", filter=Q(rank__lte=3))
    ):
        accuracy.total += row["n"]
        accuracy.top1 += row["top1"]
        accuracy.top3 += row["top3"]
        accuracy.by_source[row["source"]] += row["n"]
        accuracy.top1_by_source[row["source"]] += row["top1"]
    return accuracy
