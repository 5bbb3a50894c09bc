"""The surge rule and the grouping, as pure functions (no database, no logging: the texts are citizens').

The rule. For a group of `n` similar requests of one district and channel
inside the window, let λ be the mean number of requests of that district and
channel that read like the group (the same similarity and cell test as the
grouping), submitted in the same window (the same length, ending at the
same weekday and time of day) of each of the last `weeks` weeks, floored
at `floor` so that a problem never seen before does not turn every handful of
requests into a surge. The group is a surge when n ≥ `min_size` and
P(X ≥ n) < `threshold`, X the count of a Poisson process whose rate is known
only as λ from `weeks` windows (`predictive_tail`: negative binomial; a plain
Poisson(λ) tail trusted four windows too much and raised chance gatherings of
ten where four weeks had shown five), for the last quarter, half or
whole of the window (a burst of fifteen in ten minutes stands out in half an
hour long before it does in two hours; the replay in bench/RESULTS.md
measures what testing three lengths costs in false surges). Counting only the alike requests
matters in a busy channel: 民生 in 金水区 may see thirty requests in two hours,
but rarely fifteen about one water cut.

The grouping. Requests of one district and channel are taken oldest first;
each joins the group it reads most alike (`textsim.Probe`, the similarity of
the duplicate suggestions, at or above its threshold, against a third of the
group's latest `LINK_MEMBERS` members: citizens describe one water cut in
their own words, and two of them may share few characters while each shares
many with a third; but one look-alike is not enough: with the threshold
made for suggesting duplicates to a person, a 下水道堵塞 reads like one of
fifteen water-cut wordings, not like a third of them) and, when both gave a location, lies in the same or a
neighbouring ~1 km cell; otherwise it starts a group of its own. Groups
that a member of one would have joined are then joined.

The baseline of a scale. A past request counts towards the baseline of a
scale when it falls in that stretch of its week's window and would have
joined the members the scale counts (those younger than the scale; the same
third). Chaining lets
a group drift: a water-cut group may pick up a 下水道堵塞 an hour before the
burst, and that member must not make every past 下水道堵塞 part of the
half-hour baseline in which it is not counted.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from requests_app.location import coordinate_round

from ..textsim import Probe

# A request is compared with at most this many members of a group (its latest ones).
LINK_MEMBERS = 8
# ... and must read like a third of them (`reads_like`): one look-alike is not enough to drift a group.
QUORUM_DENOMINATOR = 3
# Two decimals of a degree: ~1.1 km north-south, ~0.9 km east-west at Zhengzhou.
CELL_PLACES = 2


# The prior of the usual rate (Jeffreys' for a Poisson rate): half a request's worth of belief.
PRIOR_SHAPE = 0.5


def predictive_tail(n: int, past_total: float, weeks: int) -> float:
    """P(X ≥ n) for the next window's count X when `past_total` were seen in `weeks` such windows.

    X ~ Poisson(λ) with λ not known but estimated from `weeks` windows: with a Gamma posterior
    (shape PRIOR_SHAPE + past_total, rate `weeks`), X is negative binomial with r = shape and
    success probability weeks / (weeks + 1). Its tail is heavier than Poisson(past_total / weeks)
    where the past is short and the count small, which is where chance gatherings fooled the
    plain Poisson tail (bench/RESULTS.md). Summed from the largest terms: no cancellation.
    """
    if n <= 0:
        return 1.0
    r = PRIOR_SHAPE + past_total
    q = 1 / (weeks + 1)  # 1 - p
    log_p = math.log(weeks / (weeks + 1))

    def pmf(x: int) -> float:
        return math.exp(math.lgamma(r + x) - math.lgamma(r) - math.lgamma(x + 1) + r * log_p + x * math.log(q))

    mean = r * q / (1 - q)
    if n <= mean:  # the tail is large: one minus the few terms below n
        return min(1.0, max(0.0, 1.0 - sum(pmf(x) for x in range(n))))
    term, total, x = pmf(n), 0.0, n
    while term > total * 1e-15 and x < n + 10_000:
        total += term
        term *= (r + x) / (x + 1) * q
        x += 1
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
        """The predictive tail for the usual count `rate(past_total)` seen over `weeks` windows."""
        return predictive_tail(n, self.rate(past_total) * self.weeks, self.weeks)

    def flags(self, n: int, past_total: int) -> bool:
        return n >= self.min_size and self.tail(n, past_total) < self.threshold

    @property
    def scales(self) -> tuple[int, ...]:
        """The window lengths tested: a quarter, a half and the whole window (a burst is short)."""
        return tuple(sorted({max(self.window_seconds // 4, 1), max(self.window_seconds // 2, 1), self.window_seconds}))

    def judge(
        self, *, ages: Sequence[float], past: Mapping[int, Sequence[float]], join_ages: Sequence[float] = ()
    ) -> Verdict:
        """The most improbable of the scales for a group whose members are `ages` seconds old and whose
        joins were made `join_ages` seconds ago, against `past[scale]`: the alike past requests and
        joins of that scale (`past_alike`), as seconds before the end of their week's window."""
        best: Verdict | None = None
        for seconds in self.scales:
            joins = sum(1 for a in join_ages if a < seconds)
            n = sum(1 for a in ages if a < seconds) + joins
            past_n = sum(1 for offset in past.get(seconds, ()) if offset < seconds)
            verdict = Verdict(
                n=n,
                joins=joins,
                seconds=seconds,
                past=past_n,
                rate=self.rate(past_n),
                tail=self.tail(n, past_n),
                flagged=self.flags(n, past_n),
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


def past_alike(
    *,
    cell: tuple[int, int] | None,
    members: Iterable[Item],
    past: Iterable[Item],
    threshold: float,
    scales: Iterable[int],
) -> dict[int, list[float]]:
    """For each scale, the past requests (and their joins) of that stretch of their week's window
    that would have joined the scale's members (`reads_like`: a quorum of them, near `cell`), as
    offsets before the window's end: the baseline `Rule.judge` compares the scale's count with."""
    readers = [(m.age, Probe.of(m.title, m.head)) for m in members]
    alike: dict[int, list[float]] = {seconds: [] for seconds in scales}
    longest = max(alike, default=0)
    for item in past:
        if item.age >= longest or not cells_near(cell, item.cell):
            continue
        hits = [(age, p.similarity(item.title, item.head) >= threshold) for age, p in readers]
        for seconds, offsets in alike.items():
            if item.age >= seconds:
                continue
            inside = [hit for age, hit in hits if age < seconds]
            if inside and reads_like(sum(inside), len(inside)):
                offsets.extend(o for o in (item.age, *item.joins) if o < seconds)
    return alike


def reads_like(hits: int, compared: int) -> bool:
    """A text belongs with a group when it reads like (similarity ≥ threshold) a quorum of the members
    it is compared with: a third of them, at least one."""
    return hits >= 1 and hits * QUORUM_DENOMINATOR >= compared


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
    members: list[Item] = field(default_factory=list)

    @property
    def pks(self) -> list[int]:
        return [m.pk for m in self.members]

    @property
    def size(self) -> int:
        """Member-equivalents: the requests and the joins made on them."""
        return len(self.members) + sum(len(m.joins) for m in self.members)

    def score(self, item: Item, *, threshold: float) -> float | None:
        """The best similarity of `item` to the latest members, if it reads like a quorum of them; else None."""
        scores = [p.similarity(item.title, item.head) for p in self.probes]
        if not reads_like(sum(1 for s in scores if s >= threshold), len(scores)):
            return None
        return max(scores)

    def add(self, item: Item) -> None:
        self.members.append(item)
        if self.cell is None:
            self.cell = item.cell
        probe = Probe.of(item.title, item.head)
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
            score = group.score(item, threshold=threshold)
            if score is not None and score >= best_score:
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
                if cells_near(g.cell, group.cell)
                and any(g.score(m, threshold=threshold) is not None for m in group.members)
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
