"""`{% clock_banner %}`: the staff pages' warning that the deadline sweep has stopped.

Shown to signed-in staff when the last completed sweep is older than three
sweep intervals (dispatch/health.py): until it runs again no breach is
flagged and nobody is notified. Costs no query while the clock runs (a cache
key), one per interval when it has stopped.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from ..health import sweep_status

register = template.Library()


@register.inclusion_tag("admin/dispatch/includes/clock_banner.html", takes_context=True)
def clock_banner(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {"status": None}
    status = sweep_status()
    if not status.stale or status.last_completed_at is None or status.age_seconds is None:
        return {"status": None}
    return {
        "status": status,
        "last": timezone.localtime(status.last_completed_at).strftime("%Y-%m-%d %H:%M:%S"),
        "minutes": int(status.age_seconds // 60),
    }
