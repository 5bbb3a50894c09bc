"""The 列单 → 交单 → 办单 → 清单 workflow: the one table of actions, and the one function applying them.

Every change of a request's workflow state (and every staff action that writes
to its timeline) goes through `transition_apply`: admin buttons, bulk actions,
the API and Celery tasks alike. It

- runs in `transaction.atomic`, locks the request row (`select_for_update`)
  and re-reads it, so two people acting at once cannot both succeed;
- checks the table (state), the actor's role (Django permissions granted to
  the role groups by `dispatch.roles`), the actor's unit and the action's guard;
- saves the request with `update_fields`, appends one immutable `Event`;
- queues side effects with `transaction.on_commit` (`_after_commit`).

An illegal action raises `TransitionError` (a Chinese message fit to show
staff) and changes nothing: no field, no assignment, no deadline, no event.

States (see the README's "Workflow" section for the diagram):
submitted → listed → handed_over → accepted → resolved → closed, with
returned (back to the dispatchers' queue: 首接负责, never limbo), reopened
(rework by the same lead unit, or handed over again), invalid and duplicate.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app.models import OPEN_STATES, Category, Deadline, Event, Feedback, HelpRequest, RequestType, State
from requests_app.open311.services import webhooks_enqueue_for_event

from . import deadlines, notifications

# Roles and principals live in the access module; re-exported for the workflow's callers.
from .access import CITIZEN, SYSTEM, Actor, Principal, Role, Scope, actor_roles, actor_unit_ids, scope_of  # noqa: F401
from .models import Assignment, ExtensionRequest, Unit

logger = logging.getLogger(__name__)


class TransitionError(Exception):
    """An action that is not allowed now, for this user, on this request. Nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnitScope(enum.StrEnum):
    """Which of the request's units a handler must belong to (dispatchers and supervisors are not scoped)."""

    LEAD = "lead"  # the active lead unit (主办)
    LEAD_OR_ASSIST = "lead_or_assist"  # the lead or an active assisting unit (协办)


@dataclass
class Context:
    """What the checks and effects need, read under the request's row lock."""

    help_request: HelpRequest
    actor: Actor
    now: dt.datetime
    scope: Scope
    lead: Assignment | None
    assists: list[Assignment]
    pending_extension: ExtensionRequest | None

    @property
    def roles(self) -> frozenset[Role]:
        return self.scope.roles

    @property
    def actor_unit_ids(self) -> frozenset[int]:
        return self.scope.unit_ids

    @property
    def lead_unit_ids(self) -> frozenset[int]:
        return frozenset([self.lead.unit_id]) if self.lead else frozenset()

    @property
    def assist_unit_ids(self) -> frozenset[int]:
        return frozenset(a.unit_id for a in self.assists)


@dataclass
class Outcome:
    """What an action's effect did to the request, for the save and the timeline event."""

    message: str
    fields: set[str] = field(default_factory=set)
    note: str = ""
    unit_name: str = ""
    is_public: bool | None = None  # None: the table's default
    data: dict[str, Any] = field(default_factory=dict)


# --- Guards: conditions beyond state, role and unit ---------------------------------


def _guard_return_window(ctx: Context) -> str | None:
    if ctx.lead is None or ctx.lead.accepted_at is not None:
        return gettext("已签收的求助件不能退单")
    window = dt.timedelta(seconds=settings.RETURN_WINDOW_SECONDS)
    if ctx.now - ctx.lead.assigned_at > window:
        return gettext("已超过退单时限（交办后%(hours)s小时内），请与交办员联系") % {
            "hours": round(window.total_seconds() / 3600, 1)
        }
    return None


def _guard_extension_allowed(ctx: Context) -> str | None:
    if ctx.pending_extension is not None:
        return gettext("已有一个延期申请待审批")
    if ctx.help_request.extensions_used >= settings.MAX_EXTENSIONS:
        return gettext("延期次数已用完（每件最多%(max)s次）") % {"max": settings.MAX_EXTENSIONS}
    return None


def _guard_extension_pending(ctx: Context) -> str | None:
    return None if ctx.pending_extension is not None else gettext("没有待审批的延期申请")


def _current_feedback(ctx: Context) -> Feedback | None:
    """The rating of the request's current resolution, if any (one per resolution)."""
    req = ctx.help_request
    return Feedback.objects.filter(request=req, round=req.reopen_count).first()


def _guard_not_rated(ctx: Context) -> str | None:
    return gettext("本次办理结果已经评价过了") if _current_feedback(ctx) is not None else None


def _guard_reopen(ctx: Context) -> str | None:
    # The system reopens after 不满意 only up to MAX_REOPENS; beyond that a supervisor decides.
    if ctx.roles == {Role.SYSTEM} and ctx.help_request.reopen_count >= settings.MAX_REOPENS:
        return gettext("已重办%(n)s次，需督办员决定") % {"n": ctx.help_request.reopen_count}
    return None


def _guard_close(ctx: Context) -> str | None:
    """The system closes only a satisfied resolution, or one left unrated for FEEDBACK_AUTOCLOSE_SECONDS."""
    if ctx.roles != {Role.SYSTEM}:
        return None
    feedback = _current_feedback(ctx)
    if feedback is not None:
        return None if feedback.is_satisfied else gettext("市民不满意，需督办员决定")
    resolved_at = ctx.help_request.resolved_at
    if resolved_at is None or ctx.now - resolved_at < dt.timedelta(seconds=settings.FEEDBACK_AUTOCLOSE_SECONDS):
        return gettext("尚未到自动销号时间")
    return None


# --- The table -------------------------------------------------------------------------

# States in which the dispatchers own the request (首接负责): nobody else has claimed it.
DISPATCHER_QUEUE_STATES = frozenset({State.SUBMITTED, State.LISTED, State.RETURNED})
IN_HAND_STATES = frozenset({State.ACCEPTED, State.REOPENED})


@dataclass(frozen=True)
class Action:
    """One row of the transition table."""

    name: str
    label: Any  # lazy Chinese label for the button
    from_states: frozenset[str]
    to_state: str | None  # None: the action does not change the state
    roles: frozenset[Role]
    unit_scope: UnitScope = UnitScope.LEAD  # for handlers only
    is_public: bool = False  # shown on the citizen's progress page
    fields: tuple[str, ...] = ()  # the parameters (form fields) it takes
    guard: Callable[[Context], str | None] | None = None
    event_kind: str = Event.Kind.TRANSITION


D, H, S, C, SYS = Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR, Role.CITIZEN, Role.SYSTEM

ACTIONS: tuple[Action, ...] = (
    Action(
        "list",
        _("列单"),
        frozenset({State.SUBMITTED, State.LISTED, State.RETURNED}),
        State.LISTED,
        frozenset({D}),
        is_public=True,
        fields=("category", "is_urgent", "tag_nan", "tag_chou", "tag_pan", "request_type", "note"),
        event_kind=Event.Kind.TRIAGE,
    ),
    Action(
        "record_contact",
        _("回应联系"),
        OPEN_STATES,
        None,
        frozenset({D, H}),
        fields=("note",),
        event_kind=Event.Kind.CONTACT,
    ),
    Action(
        "mark_invalid",
        _("无效件"),
        DISPATCHER_QUEUE_STATES,
        State.INVALID,
        frozenset({D}),
        is_public=True,
        fields=("reason",),
    ),
    Action(
        "mark_duplicate",
        _("重复件"),
        DISPATCHER_QUEUE_STATES,
        State.DUPLICATE,
        frozenset({D}),
        is_public=True,
        fields=("duplicate_of", "note"),
    ),
    Action(
        "hand_over",
        _("交单"),
        frozenset({State.LISTED, State.RETURNED, State.REOPENED}),
        State.HANDED_OVER,
        frozenset({D}),
        is_public=True,
        fields=("unit", "assist_units", "instructions"),
    ),
    Action("accept", _("签收"), frozenset({State.HANDED_OVER}), State.ACCEPTED, frozenset({H}), is_public=True),
    Action(
        "return",
        _("退单"),
        frozenset({State.HANDED_OVER}),
        State.RETURNED,
        frozenset({H}),
        fields=("reason",),
        guard=_guard_return_window,
    ),
    Action(
        "add_note",
        _("办理记录"),
        OPEN_STATES | {State.RESOLVED},
        None,
        frozenset({D, H, S}),
        unit_scope=UnitScope.LEAD_OR_ASSIST,
        fields=("note", "is_public"),
        event_kind=Event.Kind.NOTE,
    ),
    Action(
        "resolve", _("办结"), IN_HAND_STATES, State.RESOLVED, frozenset({H}), is_public=True, fields=("result",)
    ),
    Action(
        "request_extension",
        _("申请延期"),
        IN_HAND_STATES,
        None,
        frozenset({H}),
        fields=("hours", "reason"),
        guard=_guard_extension_allowed,
        event_kind=Event.Kind.DEADLINE,
    ),
    Action(
        "approve_extension",
        _("批准延期"),
        IN_HAND_STATES,
        None,
        frozenset({S}),
        is_public=True,
        fields=("note",),
        guard=_guard_extension_pending,
        event_kind=Event.Kind.DEADLINE,
    ),
    Action(
        "refuse_extension",
        _("不批准延期"),
        IN_HAND_STATES,
        None,
        frozenset({S}),
        fields=("note",),
        guard=_guard_extension_pending,
        event_kind=Event.Kind.DEADLINE,
    ),
    Action(
        "urge",
        _("督办"),
        frozenset({State.LISTED, State.HANDED_OVER, State.ACCEPTED, State.RETURNED, State.REOPENED}),
        None,
        frozenset({S}),
        fields=("note",),
        event_kind=Event.Kind.NOTE,
    ),
    Action(
        "rate", _("市民评价"), frozenset({State.RESOLVED}), None, frozenset({C}), is_public=True,
        fields=("rating", "comment"), guard=_guard_not_rated, event_kind=Event.Kind.FEEDBACK,
    ),
    Action(
        "record_callback", _("电话回访"), frozenset({State.RESOLVED}), None, frozenset({D, S}), is_public=True,
        fields=("rating", "comment"), guard=_guard_not_rated, event_kind=Event.Kind.FEEDBACK,
    ),
    Action(
        "reopen", _("重办"), frozenset({State.RESOLVED}), State.REOPENED, frozenset({S, SYS}), is_public=True,
        fields=("reason",), guard=_guard_reopen,
    ),
    Action("close", _("销号"), frozenset({State.RESOLVED}), State.CLOSED, frozenset({S, SYS}), is_public=True,
           fields=("note",), guard=_guard_close),
)  # fmt: skip

ACTIONS_BY_NAME: dict[str, Action] = {a.name: a for a in ACTIONS}


# --- Who may do what ------------------------------------------------------------------


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
    """Read what the checks need (4 small queries). Under the row lock inside transition_apply."""
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


# --- Effects: what each action does, inside the transaction ---------------------------


def _text(params: dict[str, Any], name: str, *, required: bool, what: str) -> str:
    value = str(params.get(name) or "").strip()
    if required and not value:
        raise TransitionError(gettext("请填写%(what)s") % {"what": what})
    return value


def _lead_unit_name(ctx: Context) -> str:
    return ctx.lead.unit.name if ctx.lead else ""


def _do_list(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    out = Outcome(message=gettext("平台已受理，列入办理清单"), note="")
    category = params.get("category")
    if category is not None:
        if not isinstance(category, Category):
            category = Category.objects.filter(pk=category).first()
            if category is None:
                raise TransitionError(gettext("类别不存在"))
        if category.pk != req.category_id:
            out.data["category"] = [req.category.code, category.code]
            req.category = category
            out.fields.add("category")
    request_type = params.get("request_type")
    if request_type is not None and request_type != req.request_type:
        if request_type and request_type not in RequestType.values:
            raise TransitionError(gettext("诉求类型不正确"))
        out.data["request_type"] = request_type
        req.request_type = request_type
        out.fields.add("request_type")
    for tag in ("tag_nan", "tag_chou", "tag_pan"):
        if tag in params and bool(params[tag]) != getattr(req, tag):
            setattr(req, tag, bool(params[tag]))
            out.data[tag] = bool(params[tag])
            out.fields.add(tag)
    if "is_urgent" in params and bool(params["is_urgent"]) != req.is_urgent:
        req.is_urgent = bool(params["is_urgent"])
        out.data["is_urgent"] = req.is_urgent
        out.fields.add("is_urgent")
        deadlines.deadlines_set_urgent(help_request=req, is_urgent=req.is_urgent, at=ctx.now)
    # The triage details are for staff; the citizen reads only that the request was taken on.
    out.data["note"] = _text(params, "note", required=False, what="")
    return out


def _do_record_contact(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    out = Outcome(message=gettext("已回应联系市民"), note=_text(params, "note", required=False, what=""))
    if req.first_contact_at is None:
        req.first_contact_at = ctx.now
        out.fields.add("first_contact_at")
    deadlines.deadlines_meet(help_request=req, kinds=[Deadline.Kind.CONTACT], at=ctx.now)
    if Role.HANDLER in ctx.roles and ctx.lead and ctx.lead.unit_id in ctx.actor_unit_ids:
        out.unit_name = ctx.lead.unit.name
    return out


def _do_mark_invalid(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    reason = _text(params, "reason", required=True, what=gettext("无效理由"))
    req.closed_at = ctx.now
    deadlines.deadlines_waive(help_request=req, at=ctx.now)
    return Outcome(message=gettext("经核实为无效求助，不予办理"), note=reason, fields={"closed_at"})


def _do_mark_duplicate(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    main = params.get("duplicate_of")
    if isinstance(main, str):
        main = HelpRequest.objects.filter(ticket_number=main.strip().upper()).first()
    elif isinstance(main, int):
        main = HelpRequest.objects.filter(pk=main).first()
    if main is None:
        raise TransitionError(gettext("请填写有效的主件编号"))
    if main.pk == req.pk:
        raise TransitionError(gettext("不能把求助件标记为自己的重复件"))
    if main.state in (State.DUPLICATE, State.INVALID):
        raise TransitionError(gettext("主件%(number)s本身是重复件或无效件") % {"number": main.ticket_number})
    req.duplicate_of = main
    req.closed_at = ctx.now
    deadlines.deadlines_waive(help_request=req, at=ctx.now)
    return Outcome(
        message=gettext("与求助件%(number)s内容相同，合并办理") % {"number": main.ticket_number},
        note=_text(params, "note", required=False, what=""),
        fields={"duplicate_of", "closed_at"},
        data={"duplicate_of": main.ticket_number},
    )


def _unit(value: Any) -> Unit:
    unit = value if isinstance(value, Unit) else Unit.objects.filter(pk=value).first()
    if unit is None or not unit.is_active:
        raise TransitionError(gettext("请选择有效的承办单位"))
    return unit


def _do_hand_over(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    if not params.get("unit"):
        raise TransitionError(gettext("请选择主办单位"))
    lead = _unit(params["unit"])
    assists = {u.pk: u for u in (_unit(v) for v in params.get("assist_units") or ())}
    assists.pop(lead.pk, None)
    instructions = _text(params, "instructions", required=False, what="")
    # A new hand-over replaces the previous one (after a reopen): one active lead at a time.
    Assignment.objects.filter(request=req, is_active=True).update(is_active=False)
    rows = [Assignment(role=Assignment.Role.LEAD, unit=lead)]
    rows += [Assignment(role=Assignment.Role.ASSIST, unit=u) for u in assists.values()]
    for row in rows:
        row.request = req
        row.instructions = instructions
        row.assigned_by = ctx.actor
        row.assigned_at = ctx.now
    Assignment.objects.bulk_create(rows)
    message = gettext("已交办至 %(unit)s") % {"unit": lead.name}
    if assists:
        message += gettext("（协办：%(units)s）") % {"units": "、".join(u.name for u in assists.values())}
    return Outcome(
        message=message,
        unit_name=lead.name,
        data={"lead": lead.pk, "assist": sorted(assists), "instructions": instructions},
    )


def _do_accept(ctx: Context, params: dict[str, Any]) -> Outcome:
    ctx.lead.accepted_at = ctx.now
    ctx.lead.save(update_fields=["accepted_at"])
    return Outcome(
        message=gettext("%(unit)s 已签收，正在办理") % {"unit": ctx.lead.unit.name}, unit_name=ctx.lead.unit.name
    )


def _do_return(ctx: Context, params: dict[str, Any]) -> Outcome:
    reason = _text(params, "reason", required=True, what=gettext("退单理由"))
    lead = ctx.lead
    # returned_at on the lead assignment is what counts the return against the unit.
    lead.returned_at = ctx.now
    lead.return_reason = reason
    lead.is_active = False
    lead.save(update_fields=["returned_at", "return_reason", "is_active"])
    Assignment.objects.filter(request=ctx.help_request, is_active=True).update(is_active=False)
    return Outcome(message=gettext("%(unit)s 退单，退回平台重新交办") % {"unit": lead.unit.name}, note=reason,
                   unit_name=lead.unit.name)  # fmt: skip


def _actor_unit_name(ctx: Context) -> str:
    for a in [ctx.lead, *ctx.assists]:
        if a is not None and a.unit_id in ctx.actor_unit_ids:
            return a.unit.name
    return ""


def _do_add_note(ctx: Context, params: dict[str, Any]) -> Outcome:
    note = _text(params, "note", required=True, what=gettext("办理情况"))
    return Outcome(
        message=gettext("办理进展") if params.get("is_public") else gettext("内部记录"),
        note=note,
        unit_name=_actor_unit_name(ctx),
        is_public=bool(params.get("is_public")),
    )


def _do_resolve(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    result = _text(params, "result", required=True, what=gettext("办理结果"))
    req.resolved_at = ctx.now
    deadlines.deadlines_meet(help_request=req, kinds=[Deadline.Kind.URGENT, Deadline.Kind.RESOLVE], at=ctx.now)
    return Outcome(message=gettext("已办结"), note=result, fields={"resolved_at"}, unit_name=_lead_unit_name(ctx))


def _do_request_extension(ctx: Context, params: dict[str, Any]) -> Outcome:
    reason = _text(params, "reason", required=True, what=gettext("延期理由"))
    try:
        hours = int(params.get("hours") or 0)
    except (TypeError, ValueError):
        hours = 0
    if not 1 <= hours <= 168:
        raise TransitionError(gettext("延长时间应为1到168小时"))
    ext = ExtensionRequest.objects.create(
        request=ctx.help_request,
        unit=ctx.lead.unit,
        hours=hours,
        reason=reason,
        requested_by=ctx.actor,
        requested_at=ctx.now,
    )
    return Outcome(
        message=gettext("申请延期%(hours)s小时，待督办员审批") % {"hours": hours},
        note=reason,
        unit_name=ctx.lead.unit.name,
        data={"extension": ext.pk, "hours": hours},
    )


def _decide_extension(ctx: Context, params: dict[str, Any], *, approve: bool) -> ExtensionRequest:
    ext = ctx.pending_extension
    ext.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REFUSED
    ext.decided_by = ctx.actor
    ext.decided_at = ctx.now
    ext.decision_note = _text(params, "note", required=not approve, what=gettext("不批准的理由"))
    ext.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return ext


def _do_approve_extension(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    ext = _decide_extension(ctx, params, approve=True)
    req.extensions_used += 1
    moved = deadlines.deadlines_extend(
        help_request=req,
        kinds=[Deadline.Kind.URGENT, Deadline.Kind.RESOLVE, Deadline.Kind.FEEDBACK],
        by=dt.timedelta(hours=ext.hours),
    )
    resolve_due = next((d.due_at for d in moved if d.kind == Deadline.Kind.RESOLVE), None)
    message = gettext("经批准延期%(hours)s小时") % {"hours": ext.hours}
    if resolve_due is not None:
        message += gettext("，办结时限延至 %(due)s") % {
            "due": timezone.localtime(resolve_due).strftime("%Y-%m-%d %H:%M")
        }
    return Outcome(
        message=message,
        fields={"extensions_used"},
        unit_name=_lead_unit_name(ctx),
        data={"extension": ext.pk, "hours": ext.hours, "moved": [d.kind for d in moved]},
    )


def _do_refuse_extension(ctx: Context, params: dict[str, Any]) -> Outcome:
    ext = _decide_extension(ctx, params, approve=False)
    return Outcome(message=gettext("延期申请未获批准"), note=ext.decision_note, unit_name=_lead_unit_name(ctx),
                   data={"extension": ext.pk})  # fmt: skip


def _do_urge(ctx: Context, params: dict[str, Any]) -> Outcome:
    ctx.help_request.escalated_at = ctx.now
    return Outcome(
        message=gettext("督办员督办：请加快办理"),
        note=_text(params, "note", required=False, what=""),
        fields={"escalated_at"},
        unit_name=_lead_unit_name(ctx),
    )


def _do_reopen(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    reason = _text(params, "reason", required=True, what=gettext("重办理由"))
    req.reopen_count += 1
    req.resolved_at = None
    return Outcome(message=gettext("办理结果未达要求，督办重新办理"), note=reason,
                   fields={"reopen_count", "resolved_at"}, unit_name=_lead_unit_name(ctx))  # fmt: skip


def _do_close(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    req.closed_at = ctx.now
    note = _text(params, "note", required=False, what="")
    if Role.SYSTEM in ctx.roles:
        # The guard allowed it: a satisfied rating (which met the feedback promise
        # itself), or nobody rated in time (nobody fed back: the promise stays as it is).
        if _current_feedback(ctx) is not None:
            return Outcome(message=gettext("市民评价满意，销号"), note=note, fields={"closed_at"},
                           data={"auto": "rated"})  # fmt: skip
        hours = round(settings.FEEDBACK_AUTOCLOSE_SECONDS / 3600)
        return Outcome(message=gettext("办结后%(hours)s小时内未收到评价，系统自动销号") % {"hours": hours},
                       note=note, fields={"closed_at"}, data={"auto": "unrated"})  # fmt: skip
    deadlines.deadlines_meet(help_request=req, kinds=[Deadline.Kind.FEEDBACK], at=ctx.now)
    return Outcome(message=gettext("已反馈办理结果，销号"), note=note, fields={"closed_at"})


def _do_feedback(ctx: Context, params: dict[str, Any], *, channel: str) -> Outcome:
    """Record the rating of the current resolution and meet the 1-day feedback promise.

    What follows (close, rework, or the supervisor's decision) is a separate
    transition by the system: see dispatch.feedback.feedback_record.
    """
    req = ctx.help_request
    rating = params.get("rating")
    if rating not in Feedback.Rating.values:
        raise TransitionError(gettext("请选择满意、基本满意或不满意"))
    comment = _text(params, "comment", required=False, what="")[:500]
    Feedback.objects.create(
        request=req,
        round=req.reopen_count,
        rating=rating,
        comment=comment,
        channel=channel,
        recorded_by=None if isinstance(ctx.actor, Principal) else ctx.actor,
        created_at=ctx.now,
    )
    deadlines.deadlines_meet(help_request=req, kinds=[Deadline.Kind.FEEDBACK], at=ctx.now)
    label = Feedback.Rating(rating).label
    if channel == Feedback.Channel.PHONE:
        message = gettext("电话回访，市民评价：%(rating)s") % {"rating": label}
    else:
        message = gettext("市民评价：%(rating)s") % {"rating": label}
    data = {"rating": rating, "round": req.reopen_count, "channel": channel}
    if rating == Feedback.Rating.UNSATISFIED and req.reopen_count >= settings.MAX_REOPENS:
        message += gettext("（已重办%(n)s次，转督办员决定）") % {"n": req.reopen_count}
        data["needs_decision"] = True
    return Outcome(message=message, note=comment, data=data)


_EFFECTS: dict[str, Callable[[Context, dict[str, Any]], Outcome]] = {
    "list": _do_list,
    "record_contact": _do_record_contact,
    "mark_invalid": _do_mark_invalid,
    "mark_duplicate": _do_mark_duplicate,
    "hand_over": _do_hand_over,
    "accept": _do_accept,
    "return": _do_return,
    "add_note": _do_add_note,
    "resolve": _do_resolve,
    "request_extension": _do_request_extension,
    "approve_extension": _do_approve_extension,
    "refuse_extension": _do_refuse_extension,
    "urge": _do_urge,
    "reopen": _do_reopen,
    "close": _do_close,
    "rate": partial(_do_feedback, channel=Feedback.Channel.ONLINE),
    "record_callback": partial(_do_feedback, channel=Feedback.Channel.PHONE),
}
assert set(_EFFECTS) == set(ACTIONS_BY_NAME), "every action in the table needs an effect"


def actor_label(actor: Actor) -> str:
    if isinstance(actor, Principal):
        return actor.label
    return (actor.get_full_name() or actor.get_username())[:80]


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
            outcome = _EFFECTS[action](ctx, params)
            if spec.to_state is not None:
                help_request.state = spec.to_state
            help_request.updated_at = now
            help_request.save(update_fields=sorted({"state", "updated_at", *outcome.fields}))
            event = Event.objects.create(
                request=help_request,
                kind=spec.event_kind,
                from_state=from_state,
                to_state=help_request.state,
                actor=None if isinstance(actor, Principal) else actor,
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
        transaction.on_commit(partial(_after_commit, event_id=event.pk))
    return help_request


def _after_commit(*, event_id: int) -> None:
    """The one place side effects of a committed workflow event start from.

    Runs after the transaction commits (never for a refused or rolled-back
    action). Notifications to the units and webhooks are to be queued from
    here, by event id, so a task re-reads the committed row.
    """
    event = Event.objects.filter(pk=event_id).select_related("request").only(
        "kind", "to_state", "data", "request__ticket_number"
    ).first()  # fmt: skip
    if event is None:
        return
    logger.info(
        "workflow event %s committed: %s %s → %s",
        event_id,
        event.request.ticket_number,
        event.data.get("action"),
        event.to_state,
    )
