"""The surge rule and the grouping, as pure functions (no database, no logging: the texts are citizens').

The rule. For a group of `n` similar requests of one district and channel
inside the window, let λ be the mean number of requests of that district and
channel that read like the group (the same similarity and cell test as the
grouping), submitted in the same window (the same length, ending at the
same weekday and time of day) of each of the last `weeks` weeks, floored
at `floor` so that a problem never seen before does not turn every handful of
requests into a surge. The group is a surge when n ≥ `min_size` and
P(X ≥ n) < `threshold` for X ~ Poisson(λ), for the last quarter, half or
whole of the window (a burst of fifteen in ten minutes stands out in half an
hour long before it does in two hours; the replay in bench/RESULTS.md
measures what testing three lengths costs in false surges). Counting only the alike requests
matters in a busy channel: 民生 in 金水区 may see thirty requests in two hours,
but rarely fifteen about one water cut.

The grouping. Requests of one district and channel are taken oldest first;
each joins the group it reads most alike (`textsim.Probe`, the similarity of
the duplicate suggestions, at or above its threshold, against any of the
group's latest `LINK_MEMBERS` members: citizens describe one water cut in
their own words, and two of them may share few characters while each shares
many with a third) and, when both gave a location, lies in the same or a
neighbouring ~1 km cell; otherwise it starts a group of its own. Groups
that a member of one would have joined are then joined. A past request
counts towards a group's baseline when it reads like any of its members.

Joins (我也遇到). A citizen who adds 我也遇到 to a public request instead of
filing one (`joins.py`) counts as one more member of that request's group, at
the time of the join: n is the group's requests in the scale plus the joins
made on them in the scale. The baseline counts the same way (the alike past
requests in each past week's window plus the joins made on them in that
window), so the rule compares like with like. Supervisors read both parts:
"金水区 · 民生 · 38 件 + 12 人也遇到 / 2 小时，平时 1.2 件" is n = 50.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from requests_app.location import coordinate_round

from ..textsim import Probe

# A request is compared with at most this many members of a group (its latest ones).
LINK_MEMBERS = 8
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

    @property
    def scales(self) -> tuple[int, ...]:
        """The window lengths tested: a quarter, a half and the whole window (a burst is short)."""
        return tuple(sorted({max(self.window_seconds // 4, 1), max(self.window_seconds // 2, 1), self.window_seconds}))

    def judge(self, *, ages: list[float], past_offsets: list[float], join_ages: Sequence[float] = ()) -> Verdict:
        """The most improbable of the scales for a group whose members are `ages` seconds old and whose
        joins were made `join_ages` seconds ago, against the alike past requests and their joins
        `past_offsets` seconds before the end of their week's window."""
        best: Verdict | None = None
        for seconds in self.scales:
            joins = sum(1 for a in join_ages if a < seconds)
            n = sum(1 for a in ages if a < seconds) + joins
            past = sum(1 for o in past_offsets if o < seconds)
            verdict = Verdict(
                n=n,
                joins=joins,
                seconds=seconds,
                past=past,
                rate=self.rate(past),
                tail=self.tail(n, past),
                flagged=self.flags(n, past),
            )
            if best is None or (verdict.n >= self.min_size and (best.n < self.min_size or verdict.tail < best.tail)):
                best = verdict
        assert best is not None  # scales is never empty
        return best


@dataclass(frozen=True)
class Verdict:
    n: int  # member-equivalents in the scale's window: requests plus joins
    joins: int  # of which joins (我也遇到)
    seconds: int  # the scale
    past: int  # alike requests in the same window of the past weeks, together
    rate: float  # λ
    tail: float  # P(X ≥ n)
    flagged: bool


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
    age: float = 0.0  # seconds before `now` (for a past request: before the end of its week's window)
    joins: tuple[float, ...] = ()  # its joins' ages, measured like `age`, inside the window only


@dataclass
class Group:
    leader: Item
    cell: tuple[int, int] | None
    probes: list[Probe] = field(default_factory=list)  # the latest members': what a newcomer is compared with
    every: list[Probe] = field(default_factory=list)  # all members': what a past request is compared with
    members: list[Item] = field(default_factory=list)

    @property
    def pks(self) -> list[int]:
        return [m.pk for m in self.members]

    @property
    def size(self) -> int:
        """Member-equivalents: the requests and the joins made on them."""
        return len(self.members) + sum(len(m.joins) for m in self.members)

    def similarity(self, item: Item) -> float:
        return max(p.similarity(item.title, item.head) for p in self.probes)

    def admits(self, item: Item, *, threshold: float) -> bool:
        """Whether a past `item` reads like any member (the baseline's test: as wide as the group's chaining)."""
        return cells_near(self.cell, item.cell) and any(
            p.similarity(item.title, item.head) >= threshold for p in self.every
        )

    def add(self, item: Item) -> None:
        self.members.append(item)
        if self.cell is None:
            self.cell = item.cell
        probe = Probe.of(item.title, item.head)
        self.every.append(probe)
        self.probes.append(probe)
        if len(self.probes) > LINK_MEMBERS:
            del self.probes[0]


def groups_of(items: Iterable[Item], *, threshold: float) -> list[Group]:
    """Group the items of one district and channel, oldest first (see the module docstring)."""
    groups: list[Group] = []
    for item in items:
        best: Group | None = None
        best_score = threshold
        for group in groups:
            if not cells_near(group.cell, item.cell):
                continue
            score = group.similarity(item)
            if score >= best_score:
                best, best_score = group, score
        if best is None:
            best = Group(leader=item, cell=item.cell)
            groups.append(best)
        best.add(item)
    return _groups_joined(groups, threshold=threshold)


def _groups_joined(groups: list[Group], *, threshold: float) -> list[Group]:
    """Join groups that a member of one would have joined (arrival order split a burst's wordings)."""
    joined: list[Group] = []
    for group in groups:  # oldest first
        into = next(
            (
                g
                for g in joined
                if cells_near(g.cell, group.cell) and any(g.similarity(m) >= threshold for m in group.members)
            ),
            None,
        )
        if into is None:
            joined.append(group)
            continue
        for member in group.members:
            into.add(member)
        into.members.sort(key=lambda m: -m.age)  # oldest first again
    return joined
