"""Load demo staff accounts (one per role) on top of the seeded channels, districts and units.

Idempotent: running it again changes nothing and creates nothing twice.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from dispatch import roles
from dispatch.models import Unit, UnitMembership

DEMO_PASSWORD = "yibang-demo-2026"
DEMO_USERS = [
    # (username, display name, role, unit name or None)
    ("dispatcher", "平台交办员（演示）", roles.DISPATCHER, None),
    ("handler", "金水区承办人（演示）", roles.HANDLER, "金水区人民政府"),
    ("supervisor", "督办员（演示）", roles.SUPERVISOR, None),
]


class Command(BaseCommand):
    help = "Create the demo staff accounts (dispatcher, handler, supervisor) if they do not exist."

    def handle(self, *args: object, **options: object) -> None:
        groups = roles.roles_ensure()
        user_model = get_user_model()
        for username, display, role, unit_name in DEMO_USERS:
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"first_name": display, "is_staff": True}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            user.groups.add(groups[role])
            if unit_name:
                unit = Unit.objects.get(name=unit_name)
                UnitMembership.objects.get_or_create(unit=unit, user=user)
        self.stdout.write("演示账号 / demo staff accounts (http://127.0.0.1:PORT/admin/):")
        for username, display, role, _unit in DEMO_USERS:
            self.stdout.write(f"  {role:<6} {username:<11} password: {DEMO_PASSWORD}  ({display})")
