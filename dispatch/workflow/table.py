"""The one table of the workflow's actions: from which states, by which roles, to which state, doing what.

Every row names its effect, so an action cannot exist without one. Change the
workflow here and nowhere else; `transition_apply` (engine.py) applies a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.utils.translation import gettext_lazy as _

from requests_app.models import OPEN_STATES, Event, Feedback, State

from ..access import Role
from . import effects, guards
from .context import Context, Outcome, UnitScope

# States in which the dispatchers own the request (首接负责): nobody else has claimed it.
DISPATCHER_QUEUE_STATES = frozenset({State.SUBMITTED, State.LISTED, State.RETURNED})
IN_HAND_STATES = frozenset({State.ACCEPTED, State.REOPENED})


@dataclass(frozen=True, kw_only=True)
class Action:
    """One row of the transition table."""

    name: str
    label: Any  # lazy Chinese label for the button
    from_states: frozenset[str]
    to_state: str | None  # None: the action does not change the state
    roles: frozenset[Role]
    effect: Callable[[Context, dict[str, Any]], Outcome]
    unit_scope: UnitScope = UnitScope.LEAD  # for handlers only
    is_public: bool = False  # shown on the citizen's progress page
    fields: tuple[str, ...] = ()  # the parameters (form fields) it takes
    guard: Callable[[Context], str | None] | None = None
    event_kind: str = Event.Kind.TRANSITION


D, H, S, C, SYS = Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR, Role.CITIZEN, Role.SYSTEM

ACTIONS: tuple[Action, ...] = (
    Action(
        name="list",
        label=_("列单"),
        from_states=frozenset({State.SUBMITTED, State.LISTED, State.RETURNED}),
        to_state=State.LISTED,
        roles=frozenset({D}),
        effect=effects.do_list,
        is_public=True,
        fields=("category", "is_urgent", "tag_nan", "tag_chou", "tag_pan", "request_type", "note"),
        event_kind=Event.Kind.TRIAGE,
    ),
    Action(
        name="record_contact",
        label=_("回应联系"),
        from_states=OPEN_STATES,
        to_state=None,
        roles=frozenset({D, H}),
        effect=effects.do_record_contact,
        fields=("note",),
        event_kind=Event.Kind.CONTACT,
    ),
    Action(
        name="mark_invalid",
        label=_("无效件"),
        from_states=DISPATCHER_QUEUE_STATES,
        to_state=State.INVALID,
        roles=frozenset({D}),
        effect=effects.do_mark_invalid,
        is_public=True,
        fields=("reason",),
    ),
    Action(
        name="mark_duplicate",
        label=_("重复件"),
        from_states=DISPATCHER_QUEUE_STATES,
        to_state=State.DUPLICATE,
        # Supervisors merge a surge's members into one lead (未诉先办, dispatch.surges).
        roles=frozenset({D, S}),
        effect=effects.do_mark_duplicate,
        is_public=True,
        fields=("duplicate_of", "note"),
    ),
    Action(
        name="hand_over",
        label=_("交单"),
        from_states=frozenset({State.LISTED, State.RETURNED, State.REOPENED}),
        to_state=State.HANDED_OVER,
        roles=frozenset({D}),
        effect=effects.do_hand_over,
        is_public=True,
        fields=("unit", "assist_units", "instructions"),
    ),
    Action(
        name="accept",
        label=_("签收"),
        from_states=frozenset({State.HANDED_OVER}),
        to_state=State.ACCEPTED,
        roles=frozenset({H}),
        effect=effects.do_accept,
        is_public=True,
    ),
    Action(
        name="return",
        label=_("退单"),
        from_states=frozenset({State.HANDED_OVER}),
        to_state=State.RETURNED,
        roles=frozenset({H}),
        effect=effects.do_return,
        fields=("reason",),
        guard=guards.guard_return_window,
    ),
    Action(
        name="add_note",
        label=_("办理记录"),
        from_states=OPEN_STATES | {State.RESOLVED},
        to_state=None,
        roles=frozenset({D, H, S}),
        effect=effects.do_add_note,
        unit_scope=UnitScope.LEAD_OR_ASSIST,
        fields=("note", "is_public"),
        event_kind=Event.Kind.NOTE,
    ),
    Action(
        name="resolve",
        label=_("办结"),
        from_states=IN_HAND_STATES,
        to_state=State.RESOLVED,
        roles=frozenset({H}),
        effect=effects.do_resolve,
        is_public=True,
        fields=("result",),
    ),
    Action(
        name="request_extension",
        label=_("申请延期"),
        from_states=IN_HAND_STATES,
        to_state=None,
        roles=frozenset({H}),
        effect=effects.do_request_extension,
        fields=("hours", "reason"),
        guard=guards.guard_extension_allowed,
        event_kind=Event.Kind.DEADLINE,
    ),
    Action(
        name="approve_extension",
        label=_("批准延期"),
        from_states=IN_HAND_STATES,
        to_state=None,
        roles=frozenset({S}),
        effect=effects.do_approve_extension,
        is_public=True,
        fields=("note",),
        guard=guards.guard_extension_pending,
        event_kind=Event.Kind.DEADLINE,
    ),
    Action(
        name="refuse_extension",
        label=_("不批准延期"),
        from_states=IN_HAND_STATES,
        to_state=None,
        roles=frozenset({S}),
        effect=effects.do_refuse_extension,
        fields=("note",),
        guard=guards.guard_extension_pending,
        event_kind=Event.Kind.DEADLINE,
    ),
    Action(
        name="urge",
        label=_("督办"),
        from_states=frozenset({State.LISTED, State.HANDED_OVER, State.ACCEPTED, State.RETURNED, State.REOPENED}),
        to_state=None,
        roles=frozenset({S}),
        effect=effects.do_urge,
        fields=("note",),
        event_kind=Event.Kind.NOTE,
    ),
    Action(
        name="rate",
        label=_("市民评价"),
        from_states=frozenset({State.RESOLVED}),
        to_state=None,
        roles=frozenset({C}),
        effect=partial(effects.do_feedback, channel=Feedback.Channel.ONLINE),
        is_public=True,
        fields=("rating", "comment"),
        guard=guards.guard_not_rated,
        event_kind=Event.Kind.FEEDBACK,
    ),
    Action(
        name="record_callback",
        label=_("电话回访"),
        from_states=frozenset({State.RESOLVED}),
        to_state=None,
        roles=frozenset({D, S}),
        effect=partial(effects.do_feedback, channel=Feedback.Channel.PHONE),
        is_public=True,
        fields=("rating", "comment"),
        guard=guards.guard_not_rated,
        event_kind=Event.Kind.FEEDBACK,
    ),
    Action(
        name="reopen",
        label=_("重办"),
        from_states=frozenset({State.RESOLVED}),
        to_state=State.REOPENED,
        roles=frozenset({S, SYS}),
        effect=effects.do_reopen,
        is_public=True,
        fields=("reason",),
        guard=guards.guard_reopen,
    ),
    Action(
        name="close",
        label=_("销号"),
        from_states=frozenset({State.RESOLVED}),
        to_state=State.CLOSED,
        roles=frozenset({S, SYS}),
        effect=effects.do_close,
        is_public=True,
        fields=("note",),
        guard=guards.guard_close,
    ),
)

ACTIONS_BY_NAME: dict[str, Action] = {a.name: a for a in ACTIONS}
