"""The knowledge editors' role (a Django group, like dispatch.roles): they keep answers and redirect rules.

Publishing is its own permission (`kb.publish_answer`): the editor who drafts
need not be the person who approves. Idempotent.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

KB_EDITOR = "知识库编辑"
PERMISSION_PUBLISH = "kb.publish_answer"

PERMISSIONS = [
    ("kb", "view_answer"),
    ("kb", "add_answer"),
    ("kb", "change_answer"),
    ("kb", "publish_answer"),
    ("kb", "view_directanswer"),
    ("kb", "view_redirectrule"),
    ("kb", "add_redirectrule"),
    ("kb", "change_redirectrule"),
    ("kb", "delete_redirectrule"),
]


def kb_roles_ensure() -> Group:
    group, _ = Group.objects.get_or_create(name=KB_EDITOR)
    group.permissions.add(
        *[Permission.objects.get(content_type__app_label=app, codename=code) for app, code in PERMISSIONS]
    )
    return group
