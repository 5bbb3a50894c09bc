"""Load demo staff accounts (one per role), the demo 权责清单, and a few demo requests in different states.

Idempotent: running it again changes nothing and creates nothing twice (the
demo requests are made only while the database has no request at all).
Everything goes through the real services, so the demo timeline is genuine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from dispatch import roles
from dispatch.models import Unit, UnitMembership
from dispatch.reference_data import responsibility_rules_seed
from dispatch.workflow import transition_apply
from requests_app.models import Category, District, HelpRequest
from requests_app.services import request_submit

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEMO_PASSWORD = "yibang-demo-2026"
DEMO_USERS = [
    # (username, display name, role, unit name or None)
    ("dispatcher", "平台交办员（演示）", roles.DISPATCHER, None),
    ("handler", "金水区承办人（演示）", roles.HANDLER, "金水区人民政府"),
    ("supervisor", "督办员（演示）", roles.SUPERVISOR, None),
    ("operator", "话务员（演示）", roles.OPERATOR, None),
]
# Demo staff have addresses (the reserved .example domain, deliverable nowhere), so the
# demo's breaches and reminders fill the outbox (admin: 通知) and `make run`'s console.
DEMO_EMAIL_DOMAIN = "yibang.example"


class Command(BaseCommand):
    help = "Create the demo staff accounts (dispatcher, handler, supervisor, operator) if they do not exist."

    def handle(self, *args: object, **options: object) -> None:
        groups = roles.roles_ensure()
        user_model = get_user_model()
        for username, display, role, unit_name in DEMO_USERS:
            email = f"{username}@{DEMO_EMAIL_DOMAIN}"
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"first_name": display, "is_staff": True, "email": email}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            elif not user.email:  # accounts seeded before the demo had addresses
                user.email = email
                user.save(update_fields=["email"])
            user.groups.add(groups[role])
            if unit_name:
                unit = Unit.objects.get(name=unit_name)
                UnitMembership.objects.get_or_create(unit=unit, user=user)
        rules = responsibility_rules_seed(apps)
        if rules:
            self.stdout.write(f"权责清单 / responsibility rules: {rules}")
        if not HelpRequest.objects.exists():
            made = self._demo_requests(user_model)
            self.stdout.write(f"演示求助件 / demo requests: {', '.join(made)}")
        self.stdout.write("演示账号 / demo staff accounts (http://127.0.0.1:PORT/admin/):")
        for username, display, role, _unit in DEMO_USERS:
            self.stdout.write(
                f"  {role:<6} {username:<11} password: {DEMO_PASSWORD}  {username}@{DEMO_EMAIL_DOMAIN}  ({display})"
            )

    def _demo_requests(self, user_model) -> list[str]:
        dispatcher = user_model.objects.get(username="dispatcher")
        handler = user_model.objects.get(username="handler")
        supervisor = user_model.objects.get(username="supervisor")
        jinshui = Unit.objects.get(name="金水区人民政府")
        district = District.objects.get(code="jinshui")
        demos = [
            (
                "minsheng",
                "urgent",
                "小区停水两天",
                "金水区某小区从前天起停水，家中有老人和婴儿，生活困难，请尽快协调恢复供水。",
                [],
            ),
            (
                "jiaotong",
                "normal",
                "路口红绿灯故障",
                "经三路与纬五路交叉口的红绿灯一直闪黄灯，早晚高峰拥堵严重，存在安全隐患。",
                ["list"],
            ),
            (
                "yiliao",
                "urgent",
                "透析病人就医困难",
                "家中老人需每周三次透析，附近医院暂停接诊，请帮忙协调就近透析。",
                ["list", "hand_over"],
            ),
            (
                "xiaofei",
                "normal",
                "预付卡商家跑路",
                "小区门口健身房突然关门，会员卡余额无法退还，涉及数十人。",
                ["list", "hand_over", "accept"],
            ),
            (
                "jiaoyu",
                "normal",
                "孩子入学咨询",
                "外地户籍孩子今年上小学，想了解需要准备哪些材料、在哪里报名。",
                ["list", "hand_over", "accept", "resolve", "close"],
            ),
        ]
        params: dict[str, tuple[User, dict[str, Any]]] = {
            "list": (dispatcher, {}),
            "hand_over": (dispatcher, {"unit": jinshui}),
            "accept": (handler, {}),
            "resolve": (handler, {"result": "已联系市民并说明报名材料和时间，市民表示清楚。"}),
            "close": (supervisor, {}),
        }
        made = []
        for number, (code, urgency, title, content, path) in enumerate(demos, start=1):
            req = request_submit(
                category=Category.objects.get(code=code),
                urgency=urgency,
                district=district,
                name="演示市民",
                phone=f"1380000{number:04d}",
                address="",
                title=title,
                content=content,
            )
            for action in path:
                actor, extra = params[action]
                transition_apply(request_id=req.pk, action=action, actor=actor, **extra)
            made.append(req.ticket_number)
        return made
