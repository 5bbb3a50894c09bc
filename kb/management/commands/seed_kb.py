"""Load the knowledge base's demo: a handful of published answers, the redirect rules and a knowledge editor.

Idempotent: answers and rules are matched by their question / name; the
editor account is made once. Answers go through kb.services (index, approval).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from kb import services
from kb.models import Answer, RedirectRule
from kb.reference_data import DEMO_ANSWERS, REDIRECT_RULES
from kb.roles import KB_EDITOR, kb_roles_ensure
from kb.selectors import redirect_rules_forget
from requests_app.models import Category

DEMO_PASSWORD = "yibang-demo-2026"
EDITOR = "kbeditor"


class Command(BaseCommand):
    help = "Create the demo knowledge base (answers, redirect rules) and the knowledge editor account."

    def handle(self, *args: object, **options: object) -> None:
        group = kb_roles_ensure()
        user, created = get_user_model().objects.get_or_create(
            username=EDITOR, defaults={"first_name": "知识库编辑（演示）", "is_staff": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(group)
        # Drafting from a resolved request needs to see requests: the demo editor is also a supervisor.
        supervisors = Group.objects.filter(name="督办员").first()
        if supervisors:
            user.groups.add(supervisors)
        channels = dict(Category.objects.values_list("code", "pk"))
        made = 0
        for code, question, keywords, body in DEMO_ANSWERS:
            if Answer.objects.filter(question=question).exists():
                continue
            answer = services.answer_save(
                answer=Answer(question=question, keywords=keywords, body=body, channel_id=channels[code])
            )
            services.answer_approve(answer_id=answer.pk, user=user)
            made += 1
        for name, keywords, message, phone, link in REDIRECT_RULES:
            RedirectRule.objects.get_or_create(
                name=name, defaults={"keywords": keywords, "message": message, "phone": phone, "link": link}
            )
        redirect_rules_forget()
        self.stdout.write(f"知识库 / knowledge base: {made} new answers, {RedirectRule.objects.count()} redirect rules")
        self.stdout.write(f"  {KB_EDITOR} {EDITOR:<11} password: {DEMO_PASSWORD}  (知识库编辑（演示）)")
