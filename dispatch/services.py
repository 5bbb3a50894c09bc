"""Back-office writes that are not workflow transitions.

Workflow state changes go through `dispatch.workflow.transition_apply`; this
module holds the other recorded actions.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from requests_app.models import HelpRequest

from .models import ContactAccess


def contact_access_record(
    *, user: AbstractBaseUser, help_request: HelpRequest, ip_address: str | None, where: str = "admin"
) -> ContactAccess:
    """Record that `user` was shown the full name and phone of `help_request`."""
    return ContactAccess.objects.create(user=user, request=help_request, ip_address=ip_address or None, where=where)
