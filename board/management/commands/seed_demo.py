"""`seed_demo` with the 问政 board: dispatch's demo data, plus one consented, answered request on the board.

board is listed before dispatch in INSTALLED_APPS, so this command is the one `manage.py
seed_demo` runs. Idempotent: the board's demo request is made once (while no request has
the citizen's consent), through the real services like the rest of the demo.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from board.services import publication_approve, publication_draft
from dispatch.management.commands.seed_demo import Command as DispatchSeedDemo
from dispatch.models import Unit
from dispatch.workflow import transition_apply
from requests_app.models import Category, District, HelpRequest
from requests_app.services import request_submit


class Command(DispatchSeedDemo):
    help = DispatchSeedDemo.help + " Also puts one consented, answered request on the 问政 board."

    def handle(self, *args: object, **options: object) -> None:
        super().handle(*args, **options)
        if HelpRequest.objects.filter(publish_consent=True).exists():
            return
        users = get_user_model().objects
        dispatcher, handler, supervisor = (users.get(username=n) for n in ("dispatcher", "handler", "supervisor"))
        req = request_submit(
            category=Category.objects.get(code="minsheng"),
            urgency="normal",
            district=District.objects.get(code="jinshui"),
            name="演示市民",
            phone="13800000099",
            address="",
            title="小区路灯不亮一周",
            content="金水区某小区东门到3号楼的路灯一周没亮，晚上老人孩子出行不便，请尽快维修。",
            publish_consent=True,
        )
        steps: list[tuple[str, Any, dict[str, Any]]] = [
            ("list", dispatcher, {}),
            ("hand_over", dispatcher, {"unit": Unit.objects.get(name="金水区人民政府")}),
            ("accept", handler, {}),
            ("resolve", handler, {"result": "已协调街道和物业更换损坏的灯具和线路，路灯已恢复照明。"}),
        ]
        for action, actor, params in steps:
            transition_apply(request_id=req.pk, action=action, actor=actor, **params)
        req.refresh_from_db()
        draft = publication_draft(help_request=req)
        publication_approve(
            help_request_id=req.pk,
            actor=supervisor,
            title=draft["title"],
            content=draft["content"],
            reply=draft["reply"],
        )
        self.stdout.write(f"问政板演示 / on the public board: {req.ticket_number} (/board/)")
