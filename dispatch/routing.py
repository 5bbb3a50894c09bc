"""Routing suggestions at 交单: the 权责清单 first, then what past hand-overs of similar requests teach.

`routing_suggest` answers, for one request, which unit should lead it and why:

1. The most specific active rule of the 权责清单 (`ResponsibilityRule`) that
   matches the request's channel, district and text: a rule with keywords
   beats one without, then one with a district, then one with a channel;
   ties go to the older rule. Its lead unit is pre-selected, its assisting
   units too, and the reason reads "规则：交通 × 金水区".
2. Otherwise the top three units of the most recent `HISTORY_WINDOW` lead
   hand-overs of requests in the same channel that were not returned, each
   past hand-over voting for its unit with a weight that grows with the
   similarity of its title and with being in the same district. Each unit
   comes with its share of the votes.

`request_hand_over_routed` is the hand-over as the admin does it: the
workflow's `hand_over`, plus a `RoutingRecord` of what was suggested and what
the dispatcher chose, in one transaction, so the suggestion's accuracy can be
reported (`manage.py routing_accuracy`).

Reads only the request's own channel, district, title and content; the
suggestion holds unit ids and figures, never another request's text.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from requests_app.models import HelpRequest

from . import workflow
from .access import Actor, actor_user
from .models import Assignment, ResponsibilityRule, RoutingRecord, Unit
from .textsim import char_set, jaccard, title_set

HISTORY_WINDOW = 1000  # past hand-overs of the same channel that vote (2000: +1 point top-1, 2x the time)
TOP = 3
# A past hand-over's vote: (title similarity + a floor) ** SHARPNESS, times DISTRICT_BONUS in the same district.
SIMILARITY_FLOOR = 0.02
SHARPNESS = 3.0
DISTRICT_BONUS = 4.0


@dataclass(frozen=True)
class Candidate:
    unit_id: int
    share: float  # of the votes (1.0 for a rule)


@dataclass
class Suggestion:
    source: str  # RoutingRecord.Source
    candidates: list[Candidate] = field(default_factory=list)
    rule: ResponsibilityRule | None = None
    assist_unit_ids: list[int] = field(default_factory=list)
    basis: int = 0  # how many past hand-overs voted

    @property
    def top_unit_id(self) -> int | None:
        return self.candidates[0].unit_id if self.candidates else None

    @property
    def reason(self) -> str:
        if self.rule is not None:
            return gettext("规则：%(rule)s") % {"rule": self.rule.label}
        if self.candidates:
            return gettext("据%(n)s件同类求助件的交办记录") % {"n": self.basis}
        return gettext("无匹配规则，也无同类交办记录")

    def rank_of(self, unit_id: int) -> int | None:
        """1 for the suggested unit, 2 and 3 for the alternatives, None when not suggested."""
        for rank, cand in enumerate(self.candidates, start=1):
            if cand.unit_id == unit_id:
                return rank
        return None

    def as_data(self) -> list[dict[str, Any]]:
        return [{"unit": c.unit_id, "share": round(c.share, 3)} for c in self.candidates]


# --- The 权责清单 ----------------------------------------------------------------------


def rules_active() -> list[ResponsibilityRule]:
    """The active rules whose lead unit is active (two queries; the list is small)."""
    return list(
        ResponsibilityRule.objects.filter(is_active=True, lead_unit__is_active=True)
        .select_related("category", "district", "lead_unit")
        .prefetch_related("assist_units")
    )


def rule_match(
    *, rules: Iterable[ResponsibilityRule], category_id: int | None, district_id: int | None, text: str
) -> ResponsibilityRule | None:
    """The most specific rule matching (keywords > district > channel; then the oldest)."""
    best, best_key = None, None
    for rule in rules:
        if rule.category_id is not None and rule.category_id != category_id:
            continue
        if rule.district_id is not None and rule.district_id != district_id:
            continue
        keywords = rule.keyword_list
        if keywords and not any(k in text for k in keywords):
            continue
        key = (bool(keywords), rule.district_id is not None, rule.category_id is not None, -rule.pk)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    return best


# --- What past hand-overs teach ------------------------------------------------------------


def history_rows(
    *, category_id: int, before: dt.datetime, exclude_id: int | None = None, window: int = HISTORY_WINDOW
) -> list[tuple[int, int, str]]:
    """(unit id, district id, title) of the latest lead hand-overs in a channel that were not returned.

    Walks the channel's requests newest first (req_category_created_idx) and
    joins their kept lead assignments (assignment_kept_lead_idx): one indexed
    query of at most `window` rows.
    """
    qs = Assignment.objects.filter(
        role=Assignment.Role.LEAD,
        returned_at__isnull=True,
        request__category_id=category_id,
        request__created_at__lt=before,
        unit__is_active=True,
    )
    if exclude_id is not None:
        qs = qs.exclude(request_id=exclude_id)
    return list(
        qs.order_by("-request__created_at").values_list("unit_id", "request__district_id", "request__title")[:window]
    )


def history_vote(
    *, rows: Iterable[tuple[int, int, str]], district_id: int | None, title: str, top: int = TOP
) -> tuple[list[Candidate], int]:
    """The `top` units by weighted vote of `rows`, with their shares, and how many rows voted."""
    query = char_set(title)
    votes: dict[int, float] = defaultdict(float)
    count = 0
    for unit_id, row_district, row_title in rows:
        weight = (jaccard(query, title_set(row_title)) + SIMILARITY_FLOOR) ** SHARPNESS
        if row_district == district_id:
            weight *= DISTRICT_BONUS
        votes[unit_id] += weight
        count += 1
    total = sum(votes.values())
    if total <= 0:
        return [], count
    ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [Candidate(unit_id=u, share=v / total) for u, v in ranked], count


# --- The suggestion ------------------------------------------------------------------------


def routing_suggest(
    *,
    help_request: HelpRequest,
    rules: Sequence[ResponsibilityRule] | None = None,
    before: dt.datetime | None = None,
    use_rules: bool = True,
    avoid_returned: bool = True,
    category_id: int | None = None,
) -> Suggestion:
    """Which unit should lead `help_request`, and why (see the module docstring).

    `before` limits the history to hand-overs of requests submitted earlier
    (the request's own submission time by default); `rules` lets a caller
    scoring many requests load the catalogue once. A unit that already
    returned this request (退单) is never suggested for it again, unless
    `avoid_returned` is off (replaying history as of the first hand-over).
    `category_id` asks as if the request were filed under that channel (列单并交单,
    while the dispatcher is still choosing its category).
    """
    category_id = help_request.category_id if category_id is None else category_id
    returned: set[int] = set()
    if avoid_returned:
        returned = set(
            Assignment.objects.filter(request=help_request, returned_at__isnull=False).values_list("unit_id", flat=True)
        )
    if use_rules:
        active = rules_active() if rules is None else rules
        rule = rule_match(
            rules=[r for r in active if r.lead_unit_id not in returned],
            category_id=category_id,
            district_id=help_request.district_id,
            text=f"{help_request.title}\n{help_request.content}",
        )
        if rule is not None:
            return Suggestion(
                source=RoutingRecord.Source.RULE,
                candidates=[Candidate(unit_id=rule.lead_unit_id, share=1.0)],
                rule=rule,
                assist_unit_ids=sorted(u.pk for u in rule.assist_units.all() if u.is_active),
            )
    rows = history_rows(
        category_id=category_id,
        before=before or help_request.created_at,
        exclude_id=help_request.pk,
    )
    rows = [row for row in rows if row[0] not in returned]
    candidates, basis = history_vote(rows=rows, district_id=help_request.district_id, title=help_request.title)
    source = RoutingRecord.Source.HISTORY if candidates else RoutingRecord.Source.NONE
    return Suggestion(source=source, candidates=candidates, basis=basis)


def suggestion_units(*, suggestion: Suggestion) -> dict[int, Unit]:
    """The suggested units by id, in one query (for display)."""
    ids = [c.unit_id for c in suggestion.candidates]
    return Unit.objects.in_bulk(ids) if ids else {}


def request_hand_over_routed(
    *,
    request_id: int,
    actor: Actor,
    unit: Unit,
    assist_units: Iterable[Unit] = (),
    instructions: str = "",
    rules: Sequence[ResponsibilityRule] | None = None,
) -> HelpRequest:
    """交单 through the workflow, recording what routing suggested and what was chosen (one transaction).

    The suggestion is computed again here, on the server: what the form showed
    is not trusted, and the record says what the rules and history said at
    the moment of the hand-over. A bulk hand-over passes `rules`, loaded once.
    """
    with transaction.atomic():
        help_request = workflow.transition_apply(
            request_id=request_id,
            action="hand_over",
            actor=actor,
            unit=unit,
            assist_units=list(assist_units),
            instructions=instructions,
        )
        suggestion = routing_suggest(help_request=help_request, rules=rules)
        RoutingRecord.objects.create(
            request=help_request,
            source=suggestion.source,
            rule=suggestion.rule,
            suggested=suggestion.as_data(),
            chosen_unit=unit,
            chosen_by=actor_user(actor),
            rank=suggestion.rank_of(unit.pk),
        )
    return help_request
