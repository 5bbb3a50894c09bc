"""Guards: the conditions of an action beyond state, role and unit.

Each takes the `Context` (read under the request's row lock) and returns why
the action is refused now (a message fit to show staff), or None.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext

from requests_app.models import Feedback

from ..access import Role
from .context import Context


def guard_return_window(ctx: Context) -> str | None:
    if ctx.lead is None or ctx.lead.accepted_at is not None:
        return gettext("已签收的求助件不能退单")
    window = dt.timedelta(seconds=settings.RETURN_WINDOW_SECONDS)
    if ctx.now - ctx.lead.assigned_at > window:
        return gettext("已超过退单时限（交办后%(hours)s小时内），请与交办员联系") % {
            "hours": round(window.total_seconds() / 3600, 1)
        }
    return None


def guard_extension_allowed(ctx: Context) -> str | None:
    if ctx.pending_extension is not None:
        return gettext("已有一个延期申请待审批")
    if ctx.help_request.extensions_used >= settings.MAX_EXTENSIONS:
        return gettext("延期次数已用完（每件最多%(max)s次）") % {"max": settings.MAX_EXTENSIONS}
    return None


def guard_extension_pending(ctx: Context) -> str | None:
    return None if ctx.pending_extension is not None else gettext("没有待审批的延期申请")


def current_feedback(ctx: Context) -> Feedback | None:
    """The rating of the request's current resolution, if any (one per resolution)."""
    req = ctx.help_request
    return Feedback.objects.filter(request=req, round=req.reopen_count).first()


def guard_not_rated(ctx: Context) -> str | None:
    return gettext("本次办理结果已经评价过了") if current_feedback(ctx) is not None else None


def guard_reopen(ctx: Context) -> str | None:
    # The system reopens after 不满意 only up to MAX_REOPENS; beyond that a supervisor decides.
    if ctx.roles == {Role.SYSTEM} and ctx.help_request.reopen_count >= settings.MAX_REOPENS:
        return gettext("已重办%(n)s次，需督办员决定") % {"n": ctx.help_request.reopen_count}
    return None


def guard_close(ctx: Context) -> str | None:
    """The system closes only a satisfied resolution, or one left unrated for FEEDBACK_AUTOCLOSE_SECONDS."""
    if ctx.roles != {Role.SYSTEM}:
        return None
    feedback = current_feedback(ctx)
    if feedback is not None:
        return None if feedback.is_satisfied else gettext("市民不满意，需督办员决定")
    resolved_at = ctx.help_request.resolved_at
    if resolved_at is None or ctx.now - resolved_at < dt.timedelta(seconds=settings.FEEDBACK_AUTOCLOSE_SECONDS):
        return gettext("尚未到自动销号时间")
    return None
