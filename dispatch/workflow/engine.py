"""The engine: load an action's context, decide whether it is allowed, and apply it.

`transition_apply` is the one function that changes a request's workflow
state (and writes every staff action to its timeline): admin buttons, bulk
actions, the API and Celery tasks alike. It

- runs in `transaction.atomic`, locks the request row (`select_for_update`)
  and re-reads it, so two people acting at once cannot both succeed;
- checks the table (state), the actor's role and unit (`dispatch.access`)
  and the action's guard;
- applies the row's effect, saves the request with `update_fields` and
  appends one immutable `Event`;
- copies a public reply to the requests merged into this one (`followers`);
- writes the outbox rows (notifications, Open311 webhooks) in the same
  transaction, so a committed change always has them and a refused one none;
  they are published once the transaction commits;
- marks the request's submission day for the /stats/ rollups (dispatch.rollups).

An illegal action raises `TransitionError` (a message fit to show staff) and
changes nothing: no field, no assignment, no deadline, no event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from requests_app.models import Event, HelpRequest, State
from requests_app.open311.services import webhooks_enqueue_for_event

from .. import notifications, rollups
from ..access import Actor, Principal, Role, actor_user, scope_of
from ..models import Assignment, ExtensionRequest
from .context import Context, TransitionError, UnitScope
from .followers import duplicates_follow
from .table import ACTIONS, ACTIONS_BY_NAME, Action


def action_refusal(*, action: Action, ctx: Context) -> str | None:
    """Why `ctx.actor` may not take `action` now (a Chinese message), or None when they may."""
    state = ctx.help_request.state
    if state not in action.from_states:
        return gettext("当前状态为「%(state)s」，不能%(action)s") % {
            "state": State(state).label,
            "action": action.label,
        }
    allowed = action.roles & ctx.roles
    if not allowed:
        return gettext("您没有权限%(action)s") % {"action": action.label}
    if allowed == {Role.HANDLER}:
        units = ctx.lead_unit_ids
        if action.unit_scope == UnitScope.LEAD_OR_ASSIST:
            units = units | ctx.assist_unit_ids
        if not ctx.scope.acts_for_any(units):
            if action.unit_scope == UnitScope.LEAD:
                return gettext("只有主办单位可以%(action)s") % {"action": action.label}
            return gettext("只有主办或协办单位可以%(action)s") % {"action": action.label}
    if action.guard is not None:
        return action.guard(ctx)
    return None


def context_load(*, help_request: HelpRequest, actor: Actor, now: dt.datetime | None = None) -> Context:
    """Read what the checks need (a few small queries). Under the row lock inside transition_apply."""
    assignments = list(Assignment.objects.filter(request=help_request, is_active=True).select_related("unit"))
    return Context(
        help_request=help_request,
        actor=actor,
        now=now or timezone.now(),
        scope=scope_of(actor),
        lead=next((a for a in assignments if a.role == Assignment.Role.LEAD), None),
        assists=[a for a in assignments if a.role == Assignment.Role.ASSIST],
        pending_extension=ExtensionRequest.objects.filter(
            request=help_request, status=ExtensionRequest.Status.PENDING
        ).first(),
    )


def actions_allowed(*, ctx: Context) -> list[Action]:
    """The actions `ctx.actor` may take now, in table order (the admin's buttons)."""
    return [a for a in ACTIONS if action_refusal(action=a, ctx=ctx) is None]


def actor_label(actor: Actor) -> str:
    if isinstance(actor, Principal):
        return actor.label
    user = actor_user(actor)
    if user is None:  # anonymous: holds no role, so no action is applied for it
        return actor.get_username()
    return (user.get_full_name() or actor.get_username())[:80]


def transition_apply(
    *, request_id: int, action: str, actor: Actor, now: dt.datetime | None = None, **params: Any
) -> HelpRequest:
    """Apply one action of the table to a request, or raise TransitionError and change nothing.

    `actor` is a staff user, or the `CITIZEN` / `SYSTEM` principal for the actions
    the table grants them. `params` are the action's fields (see `Action.fields`).
    Returns the updated request.
    """
    spec = ACTIONS_BY_NAME.get(action)
    if spec is None:
        raise TransitionError(gettext("未知的操作：%(action)s") % {"action": action})
    now = now or timezone.now()
    with transaction.atomic():
        help_request = (
            HelpRequest.objects.select_for_update(of=("self",)).select_related("category").filter(pk=request_id).first()
        )
        if help_request is None:
            raise TransitionError(gettext("求助件不存在"))
        ctx = context_load(help_request=help_request, actor=actor, now=now)
        refusal = action_refusal(action=spec, ctx=ctx)
        if refusal:
            raise TransitionError(refusal)
        from_state = help_request.state
        # The timeline and the citizen's SMS are stored text that every reader sees:
        # write them in the site's language, whatever language this staff user reads
        # the admin in (a refusal above stays in the user's language).
        with translation.override(settings.LANGUAGE_CODE):
            outcome = spec.effect(ctx, params)
            if spec.to_state is not None:
                help_request.state = spec.to_state
            help_request.updated_at = now
            help_request.save(update_fields=sorted({"state", "updated_at", *outcome.fields}))
            event = Event.objects.create(
                request=help_request,
                kind=spec.event_kind,
                from_state=from_state,
                to_state=help_request.state,
                actor=actor_user(actor),
                actor_label=actor_label(actor),
                unit_name=outcome.unit_name[:80],
                message=outcome.message[:200],
                note=outcome.note,
                is_public=spec.is_public if outcome.is_public is None else outcome.is_public,
                data={"action": action, **outcome.data},
                created_at=now,
            )
            # Outbox rows are written in this transaction, so a committed change
            # always has its notifications and webhooks, and a refused one none.
            webhooks_enqueue_for_event(event=event)
            notifications.notifications_for_event(event=event)
            # One reply answers everyone merged into this request (并单).
            duplicates_follow(event=event, help_request=help_request)
            # Last, so the day's rollup row is locked only until the commit that follows.
            rollups.days_touch(created=[help_request.created_at], request_ids=[help_request.pk], now=now)
    return help_request
