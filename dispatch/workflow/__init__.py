"""The 列单 → 交单 → 办单 → 清单 workflow: the one table of actions, and the one function applying them.

- `table.py`: `ACTIONS`, one row per action (from states, roles, to state, effect, guard);
- `guards.py`: conditions beyond state, role and unit;
- `effects.py`: what each action does, inside the transaction;
- `engine.py`: `context_load`, `action_refusal`, `actions_allowed`, `transition_apply`;
- `context.py`: `Context`, `Outcome`, `TransitionError`, `UnitScope`;
- `lead_unit.py`: the request's denormalised active lead unit (`HelpRequest.lead_unit_id`).

Roles and principals (`Role`, `CITIZEN`, `SYSTEM`) belong to `dispatch.access`
and are re-exported here for the workflow's callers.

States (see the README's "Workflow" section for the diagram):
submitted → listed → handed_over → accepted → resolved → closed, with
returned (back to the dispatchers' queue: 首接负责, never limbo), reopened
(rework by the same lead unit, or handed over again), invalid and duplicate.
"""

from ..access import CITIZEN, SYSTEM, Actor, Principal, Role, Scope, actor_roles, actor_unit_ids, scope_of
from .context import Context, Outcome, TransitionError, UnitScope
from .engine import action_refusal, actions_allowed, actor_label, context_load, transition_apply
from .lead_unit import lead_unit_expected, request_lead_unit_refresh
from .table import ACTIONS, ACTIONS_BY_NAME, DISPATCHER_QUEUE_STATES, IN_HAND_STATES, Action

__all__ = [
    "ACTIONS",
    "ACTIONS_BY_NAME",
    "CITIZEN",
    "DISPATCHER_QUEUE_STATES",
    "IN_HAND_STATES",
    "SYSTEM",
    "Action",
    "Actor",
    "Context",
    "Outcome",
    "Principal",
    "Role",
    "Scope",
    "TransitionError",
    "UnitScope",
    "action_refusal",
    "actions_allowed",
    "actor_label",
    "actor_roles",
    "actor_unit_ids",
    "context_load",
    "lead_unit_expected",
    "request_lead_unit_refresh",
    "scope_of",
    "transition_apply",
]
