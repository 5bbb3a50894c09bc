"""`{% workbench as roles %}` on the admin index: the signed-in staff member's queues."""

from __future__ import annotations

from django import template

from ..workbench import RoleQueues, workbench_for

register = template.Library()


@register.simple_tag(takes_context=True)
def workbench(context: template.Context) -> list[RoleQueues]:
    return workbench_for(user=context["request"].user)
