"""Staff roles as Django groups, and the permissions each one holds.

Roles are data: a user's role is the group they are in, managed in admin.
`roles_ensure` creates or updates the groups; it is idempotent.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

DISPATCHER = "平台交办员"
HANDLER = "承办人"
SUPERVISOR = "督办员"
OPERATOR = "话务员"

# The workflow checks the three custom permissions (declared on dispatch.Assignment):
# triage_request (dispatcher), handle_request (handler, scoped to their units),
# supervise_request (supervisor). The view_* permissions open the admin pages.
PERMISSION_TRIAGE = "dispatch.triage_request"
PERMISSION_HANDLE = "dispatch.handle_request"
PERMISSION_SUPERVISE = "dispatch.supervise_request"
# 代录: operators type in a caller's or walk-in's request (dispatch/intake.py). They see no request
# list; a caller's earlier requests appear on the intake page only, each display logged.
PERMISSION_INTAKE = "dispatch.intake_request"

ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    DISPATCHER: [
        ("requests_app", "view_helprequest"),
        ("requests_app", "view_event"),
        ("dispatch", "view_unit"),
        ("dispatch", "view_assignment"),
        ("dispatch", "triage_request"),
        ("dispatch", "view_laterequest"),
        ("dispatch", "view_notification"),
        # The 权责清单 is the dispatchers' to keep.
        ("dispatch", "view_responsibilityrule"),
        ("dispatch", "add_responsibilityrule"),
        ("dispatch", "change_responsibilityrule"),
        ("dispatch", "delete_responsibilityrule"),
        ("dispatch", "view_routingrecord"),
        ("dispatch", "view_surge"),
    ],
    OPERATOR: [("dispatch", "intake_request")],
    HANDLER: [("requests_app", "view_helprequest"), ("requests_app", "view_event"), ("dispatch", "handle_request")],
    SUPERVISOR: [
        ("requests_app", "view_helprequest"),
        ("requests_app", "view_event"),
        ("dispatch", "view_unit"),
        ("dispatch", "view_assignment"),
        ("dispatch", "view_extensionrequest"),
        ("dispatch", "view_contactaccess"),
        ("dispatch", "view_reportexport"),
        ("dispatch", "supervise_request"),
        ("dispatch", "view_laterequest"),
        ("dispatch", "view_notification"),
        ("dispatch", "view_responsibilityrule"),
        ("dispatch", "view_routingrecord"),
        ("dispatch", "view_surge"),
    ],
}


def roles_ensure() -> dict[str, Group]:
    groups = {}
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in perms]
        group.permissions.add(*wanted)
        groups[name] = group
    return groups
