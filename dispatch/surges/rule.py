"""The surge rule and the grouping, as pure functions (no database, no logging: the texts are citizens').

The rule. For a group of `n` similar requests of one district and channel
inside the window, let λ be the mean number of requests of that district and
channel that read like the group (the same similarity and cell test as the
grouping), submitted in the same window (the same `window` length, ending at
the same weekday and time of day) of each of the last `weeks` weeks, floored
at `floor` so that a problem never seen before does not turn every handful of
requests into a surge. The group is a surge when n ≥ `min_size` and
P(X ≥ n) < `threshold` for X ~ Poisson(λ). Counting only the alike requests
matters in a busy channel: 民生 in 金水区 may see thirty requests in two hours,
but rarely fifteen about one water cut.

The grouping. Requests of one district and channel are taken oldest first;
each joins the group whose first request reads most alike (`textsim.Probe`,
the similarity of the duplicate suggestions, at or above its threshold) and,
when both gave a location, lies in the same or a neighbouring ~1 km cell;
otherwise it starts a group of its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from requests_app.location import coordinate_round

from ..textsim import Probe

# Two decimals of a degree: ~1.1 km north-south, ~0.9 km east-west at Zhengzhou.
CELL_PLACES = 2


def poisson_tail(n: int, lam: float) -> float:
    """P(X ≥ n) for X ~ Poisson(lam), accurate for the tiny values the rule compares."""
    if n <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    if n <= lam:  # the tail is large: one minus the few terms below n
        term = math.exp(-lam)
        below = 0.0
        for k in range(n):
            below += term
            term *= lam / (k + 1)
        return min(1.0, max(0.0, 1.0 - below))
    # Sum the tail itself from its first, largest term: no cancellation.
    term = math.exp(n * math.log(lam) - lam - math.lgamma(n + 1))
    total = 0.0
    k = n
    while term > total * 1e-15 and k < n + 10_000:
        total += term
        k += 1
        term *= lam / k
    return min(1.0, total)


@dataclass(frozen=True)
class Rule:
    window_seconds: int
    weeks: int
    threshold: float
    min_size: int
    floor: float

    def rate(self, past_total: int) -> float:
        """λ: the usual count in one window, from the count over the `weeks` past windows."""
        return max(past_total / self.weeks, self.floor)

    def tail(self, n: int, past_total: int) -> float:
        return poisson_tail(n, self.rate(past_total))

    def flags(self, n: int, past_total: int) -> bool:
        return n >= self.min_size and self.tail(n, past_total) < self.threshold


def cell_of(latitude: Decimal | None, longitude: Decimal | None) -> tuple[int, int] | None:
    """The ~1 km cell of a point as integer indices, None without a point."""
    if latitude is None or longitude is None:
        return None
    scale = 10**CELL_PLACES
    lat = coordinate_round(Decimal(latitude), places=CELL_PLACES)
    lon = coordinate_round(Decimal(longitude), places=CELL_PLACES)
    return int(lat * scale), int(lon * scale)


def cell_label(cell: tuple[int, int] | None) -> str:
    if cell is None:
        return ""
    scale = 10**CELL_PLACES
    return f"{cell[0] / scale:.{CELL_PLACES}f},{cell[1] / scale:.{CELL_PLACES}f}"


def cells_near(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    """Same or neighbouring cells, or either unknown (text alone then decides)."""
    if a is None or b is None:
        return True
    return abs(a[0] - b[0]) <= 1 and abs(a[1] - b[1]) <= 1


@dataclass(frozen=True)
class Item:
    """One request as the grouping reads it."""

    pk: int
    title: str
    head: str  # the start of the content (similar.CONTENT_HEAD characters)
    cell: tuple[int, int] | None


@dataclass
class Group:
    leader: Item
    probe: Probe
    cell: tuple[int, int] | None
    members: list[Item] = field(default_factory=list)

    @property
    def pks(self) -> list[int]:
        return [m.pk for m in self.members]


def groups_of(items: Iterable[Item], *, threshold: float) -> list[Group]:
    """Group the items of one district and channel, oldest first (see the module docstring)."""
    groups: list[Group] = []
    for item in items:
        best: Group | None = None
        best_score = threshold
        for group in groups:
            if not cells_near(group.cell, item.cell):
                continue
            score = group.probe.similarity(item.title, item.head)
            if score >= best_score:
                best, best_score = group, score
        if best is None:
            best = Group(leader=item, probe=Probe.of(item.title, item.head), cell=item.cell)
            groups.append(best)
        elif best.cell is None:
            best.cell = item.cell
        best.members.append(item)
    return groups
