"""`{% workbench %}`: the 工作台 on the admin index, built by dispatch.queues for the signed-in user."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from .. import queues
from ..admin.workbench import change_url

register = template.Library()


@register.inclusion_tag("admin/dispatch/workbench.html", takes_context=True)
def workbench(context: template.Context) -> dict:
    request = context["request"]
    changelist = reverse("admin:requests_app_helprequest_changelist")
    sections = []
    for section in queues.workbench_for(user=request.user):
        tiles = []
        for summary in section.queues:
            key = summary.queue.key
            tiles.append(
                {
                    "summary": summary,
                    "url": f"{changelist}?{urlencode({'queue': key})}",
                    "top": [{"request": r, "url": change_url(r.pk, key)} for r in summary.top],
                }
            )
        sections.append({"title": section.title, "tiles": tiles})
    return {"sections": sections, "now": context.get("now")}
