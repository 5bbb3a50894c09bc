"""Answers and redirect rules for the knowledge base's tests, stored through kb.services (so indexed)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from kb import services
from kb.models import Answer, RedirectRule
from requests_app.models import Category


def approver():
    user, _ = get_user_model().objects.get_or_create(username="kb-approver", defaults={"is_staff": True})
    return user


def answer(
    question: str = "小区停水了什么时候来水",
    *,
    keywords: str = "停水 没水 来水",
    body: str = "拨打供水热线 **0371-67449999** 查询。",
    channel: str = "minsheng",
    published: bool = True,
    **fields,
) -> Answer:
    a = services.answer_save(
        answer=Answer(
            question=question,
            keywords=keywords,
            body=body,
            channel=Category.objects.get(code=channel),
            **fields,
        )
    )
    if published:
        a = services.answer_approve(answer_id=a.pk, user=approver())
    return a


def consumer_rule() -> RedirectRule:
    return RedirectRule.objects.create(
        name="消费纠纷",
        keywords="退货 退款 假货 消费纠纷",
        message="消费纠纷由市场监管部门受理。",
        phone="12315",
        link="https://www.12315.cn/",
    )
