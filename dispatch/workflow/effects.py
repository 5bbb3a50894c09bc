"""Effects: what each action of the table does to the request, inside `transition_apply`'s transaction.

Each effect takes the `Context` (read under the request's row lock) and the
action's parameters, changes the request in memory (the engine saves it with
`update_fields`), writes the action's own rows (assignments, extensions,
ratings, deadlines) and returns an `Outcome` for the timeline event. An
effect that finds bad input raises `TransitionError`; the transaction then
rolls back everything, so a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from helpdesk.timefmt import local_minute
from requests_app.models import Category, Deadline, Feedback, HelpRequest, RequestType, State

from .. import deadlines
from ..access import Role, actor_user
from ..models import Assignment, ExtensionRequest, Unit
from .context import Context, Outcome, TransitionError
from .guards import current_feedback


def text(params: dict[str, Any], name: str, *, required: bool, what: str) -> str:
    value = str(params.get(name) or "").strip()
    if required and not value:
        raise TransitionError(gettext("请填写%(what)s") % {"what": what})
    return value


def lead_unit_name(ctx: Context) -> str:
    return ctx.lead_required.unit.name if ctx.lead else ""


def do_list(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    out = Outcome(message=gettext("平台已受理，列入办理清单"), note="")
    category = params.get("category")
    if category is not None:
        if not isinstance(category, Category):  # callers parse input (dispatch.forms.ListForm)
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
    out.data["note"] = text(params, "note", required=False, what="")
    return out


def do_record_contact(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    out = Outcome(message=gettext("已回应联系市民"), note=text(params, "note", required=False, what=""))
    if req.first_contact_at is None:
        req.first_contact_at = ctx.now
        out.fields.add("first_contact_at")
    deadlines.deadlines_meet(help_request=req, kinds=[Deadline.Kind.CONTACT], at=ctx.now)
    if Role.HANDLER in ctx.roles and ctx.lead and ctx.lead_required.unit_id in ctx.actor_unit_ids:
        out.unit_name = ctx.lead_required.unit.name
    return out


def do_mark_invalid(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    reason = text(params, "reason", required=True, what=gettext("无效理由"))
    req.closed_at = ctx.now
    deadlines.deadlines_waive(help_request=req, at=ctx.now)
    return Outcome(message=gettext("经核实为无效求助，不予办理"), note=reason, fields={"closed_at"})


def do_mark_duplicate(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    main = params.get("duplicate_of")
    if not isinstance(main, HelpRequest):  # callers look the number up (dispatch.forms.DuplicateForm)
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
        note=text(params, "note", required=False, what=""),
        fields={"duplicate_of", "closed_at"},
        data={"duplicate_of": main.ticket_number},
    )


def unit(value: Any) -> Unit:
    """An active unit; callers pass Unit rows (dispatch.forms.HandOverForm), never ids."""
    if not isinstance(value, Unit) or not value.is_active:
        raise TransitionError(gettext("请选择有效的承办单位"))
    return value


def do_hand_over(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    if not params.get("unit"):
        raise TransitionError(gettext("请选择主办单位"))
    lead = unit(params["unit"])
    assists = {u.pk: u for u in (unit(v) for v in params.get("assist_units") or ())}
    assists.pop(lead.pk, None)
    instructions = text(params, "instructions", required=False, what="")
    # A new hand-over replaces the previous one (after a reopen): one active lead at a time.
    Assignment.objects.filter(request=req, is_active=True).update(is_active=False)
    rows = [Assignment(role=Assignment.Role.LEAD, unit=lead)]
    rows += [Assignment(role=Assignment.Role.ASSIST, unit=u) for u in assists.values()]
    for row in rows:
        row.request = req
        row.instructions = instructions
        row.assigned_by = ctx.staff_user
        row.assigned_at = ctx.now
    Assignment.objects.bulk_create(rows)
    # The request's denormalised lead unit (HelpRequest.lead_unit_id), saved with the action.
    req.lead_unit_id = lead.pk
    message = gettext("已交办至 %(unit)s") % {"unit": lead.name}
    if assists:
        message += gettext("（协办：%(units)s）") % {"units": "、".join(u.name for u in assists.values())}
    return Outcome(
        message=message,
        fields={"lead_unit_id"},
        unit_name=lead.name,
        data={"lead": lead.pk, "assist": sorted(assists), "instructions": instructions},
    )


def do_accept(ctx: Context, params: dict[str, Any]) -> Outcome:
    ctx.lead_required.accepted_at = ctx.now
    ctx.lead_required.save(update_fields=["accepted_at"])
    return Outcome(
        message=gettext("%(unit)s 已签收，正在办理") % {"unit": ctx.lead_required.unit.name},
        unit_name=ctx.lead_required.unit.name,
    )


def do_return(ctx: Context, params: dict[str, Any]) -> Outcome:
    reason = text(params, "reason", required=True, what=gettext("退单理由"))
    lead = ctx.lead_required
    # returned_at on the lead assignment is what counts the return against the unit.
    lead.returned_at = ctx.now
    lead.return_reason = reason
    lead.is_active = False
    lead.save(update_fields=["returned_at", "return_reason", "is_active"])
    Assignment.objects.filter(request=ctx.help_request, is_active=True).update(is_active=False)
    ctx.help_request.lead_unit_id = None
    return Outcome(message=gettext("%(unit)s 退单，退回平台重新交办") % {"unit": lead.unit.name}, note=reason,
                   fields={"lead_unit_id"}, unit_name=lead.unit.name)  # fmt: skip


def actor_unit_name(ctx: Context) -> str:
    for a in [ctx.lead, *ctx.assists]:
        if a is not None and a.unit_id in ctx.actor_unit_ids:
            return a.unit.name
    return ""


def do_add_note(ctx: Context, params: dict[str, Any]) -> Outcome:
    note = text(params, "note", required=True, what=gettext("办理情况"))
    return Outcome(
        message=gettext("办理进展") if params.get("is_public") else gettext("内部记录"),
        note=note,
        unit_name=actor_unit_name(ctx),
        is_public=bool(params.get("is_public")),
    )


def do_resolve(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    result = text(params, "result", required=True, what=gettext("办理结果"))
    req.resolved_at = ctx.now
    deadlines.deadlines_meet(help_request=req, kinds=[Deadline.Kind.URGENT, Deadline.Kind.RESOLVE], at=ctx.now)
    return Outcome(message=gettext("已办结"), note=result, fields={"resolved_at"}, unit_name=lead_unit_name(ctx))


def do_request_extension(ctx: Context, params: dict[str, Any]) -> Outcome:
    reason = text(params, "reason", required=True, what=gettext("延期理由"))
    hours = params.get("hours")  # an int: dispatch.forms.ExtensionForm parses the input
    if not isinstance(hours, int) or not 1 <= hours <= 168:
        raise TransitionError(gettext("延长时间应为1到168小时"))
    ext = ExtensionRequest.objects.create(
        request=ctx.help_request,
        unit=ctx.lead_required.unit,
        hours=hours,
        reason=reason,
        requested_by=ctx.staff_user,
        requested_at=ctx.now,
    )
    return Outcome(
        message=gettext("申请延期%(hours)s小时，待督办员审批") % {"hours": hours},
        note=reason,
        unit_name=ctx.lead_required.unit.name,
        data={"extension": ext.pk, "hours": hours},
    )


def decide_extension(ctx: Context, params: dict[str, Any], *, approve: bool) -> ExtensionRequest:
    ext = ctx.extension_required
    ext.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REFUSED
    ext.decided_by = ctx.staff_user
    ext.decided_at = ctx.now
    ext.decision_note = text(params, "note", required=not approve, what=gettext("不批准的理由"))
    ext.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return ext


def do_approve_extension(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    ext = decide_extension(ctx, params, approve=True)
    req.extensions_used += 1
    moved = deadlines.deadlines_extend(
        help_request=req,
        kinds=[Deadline.Kind.URGENT, Deadline.Kind.RESOLVE, Deadline.Kind.FEEDBACK],
        by=dt.timedelta(hours=ext.hours),
    )
    resolve_due = next((d.due_at for d in moved if d.kind == Deadline.Kind.RESOLVE), None)
    message = gettext("经批准延期%(hours)s小时") % {"hours": ext.hours}
    if resolve_due is not None:
        message += gettext("，办结时限延至 %(due)s") % {"due": local_minute(resolve_due)}
    return Outcome(
        message=message,
        fields={"extensions_used"},
        unit_name=lead_unit_name(ctx),
        data={"extension": ext.pk, "hours": ext.hours, "moved": [d.kind for d in moved]},
    )


def do_refuse_extension(ctx: Context, params: dict[str, Any]) -> Outcome:
    ext = decide_extension(ctx, params, approve=False)
    return Outcome(message=gettext("延期申请未获批准"), note=ext.decision_note, unit_name=lead_unit_name(ctx),
                   data={"extension": ext.pk})  # fmt: skip


def do_urge(ctx: Context, params: dict[str, Any]) -> Outcome:
    ctx.help_request.escalated_at = ctx.now
    return Outcome(
        message=gettext("督办员督办：请加快办理"),
        note=text(params, "note", required=False, what=""),
        fields={"escalated_at"},
        unit_name=lead_unit_name(ctx),
    )


def do_reopen(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    reason = text(params, "reason", required=True, what=gettext("重办理由"))
    req.reopen_count += 1
    req.resolved_at = None
    return Outcome(message=gettext("办理结果未达要求，督办重新办理"), note=reason,
                   fields={"reopen_count", "resolved_at"}, unit_name=lead_unit_name(ctx))  # fmt: skip


def do_close(ctx: Context, params: dict[str, Any]) -> Outcome:
    req = ctx.help_request
    req.closed_at = ctx.now
    note = text(params, "note", required=False, what="")
    if Role.SYSTEM in ctx.roles:
        # The guard allowed it: a satisfied rating (which met the feedback promise
        # itself), or nobody rated in time (nobody fed back: the promise stays as it is).
        if current_feedback(ctx) is not None:
            return Outcome(message=gettext("市民评价满意，销号"), note=note, fields={"closed_at"},
                           data={"auto": "rated"})  # fmt: skip
        hours = round(settings.FEEDBACK_AUTOCLOSE_SECONDS / 3600)
        return Outcome(message=gettext("办结后%(hours)s小时内未收到评价，系统自动销号") % {"hours": hours},
                       note=note, fields={"closed_at"}, data={"auto": "unrated"})  # fmt: skip
    deadlines.deadlines_meet(help_request=req, kinds=[Deadline.Kind.FEEDBACK], at=ctx.now)
    return Outcome(message=gettext("已反馈办理结果，销号"), note=note, fields={"closed_at"})


def do_feedback(ctx: Context, params: dict[str, Any], *, channel: str) -> Outcome:
    """Record the rating of the current resolution and meet the 1-day feedback promise.

    What follows (close, rework, or the supervisor's decision) is a separate
    transition by the system: see dispatch.feedback.feedback_record.
    """
    req = ctx.help_request
    rating = params.get("rating")
    if rating not in Feedback.Rating.values:
        raise TransitionError(gettext("请选择满意、基本满意或不满意"))
    comment = text(params, "comment", required=False, what="")[:500]
    Feedback.objects.create(
        request=req,
        round=req.reopen_count,
        rating=rating,
        comment=comment,
        channel=channel,
        recorded_by=actor_user(ctx.actor),
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
