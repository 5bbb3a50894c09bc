"""The knowledge base: answers to common questions, 直办 records, redirect rules.

- `Answer`: a question and its answer in Markdown, kept by staff. Only a
  published answer whose `valid_until` has not passed is suggested; publishing
  needs a person's approval (`approved_by`, `approved_at`, a CheckConstraint).
- `AnswerTerm`: the candidate index (the question's character pairs and the
  keywords) of published answers only, one row per term, rebuilt by
  `services.answer_index` whenever an answer is saved, approved or withdrawn
  through the services. Suggestion reads it, never scans answers.
- `DirectAnswer`: one 直办, a question answered at intake without a ticket:
  the answer, its channel, the source (网页, or 电话 / 来访 when an operator
  answered a caller) and the moment. No personal data, no request.
- `RedirectRule`: a matter another hotline handles (12315, 12348): keywords,
  the message, the number and a link. The citizen may still submit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Unit
from requests_app.models import Category, HelpRequest, Source


def keywords_split(value: str) -> tuple[str, ...]:
    """Keywords as staff type them: separated by spaces, commas or 、."""
    for sep in ",，、;；\n":
        value = value.replace(sep, " ")
    return tuple(dict.fromkeys(k.strip() for k in value.split() if k.strip()))


class Answer(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    question = models.CharField(_("问题"), max_length=200)
    body = models.TextField(
        _("答复（Markdown）"), help_text=_("支持 Markdown：标题、列表、链接、加粗；不支持网页代码。")
    )
    channel = models.ForeignKey(Category, verbose_name=_("求助类别"), on_delete=models.PROTECT, related_name="+")
    keywords = models.CharField(
        _("关键词"), max_length=300, blank=True, help_text=_("市民常用的说法，以空格或逗号分隔，例如：黄码 转绿 赋码")
    )
    valid_until = models.DateField(
        _("有效期至"), null=True, blank=True, help_text=_("过期后不再推荐；留空为长期有效。")
    )
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("负责单位"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    source_request = models.ForeignKey(
        HelpRequest,
        verbose_name=_("来源求助件"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("知识库答复")
        verbose_name_plural = _("知识库答复")
        ordering = ("-updated_at", "-id")
        permissions = [("publish_answer", "Can approve and publish an answer")]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=["draft", "published"]), name="kb_answer_state_valid"),
            models.CheckConstraint(
                condition=~models.Q(state="published") | models.Q(approved_at__isnull=False, approved_by__isnull=False),
                name="kb_answer_published_is_approved",
            ),
        ]
        indexes = [models.Index(fields=["state", "valid_until"], name="kb_answer_live")]

    def __str__(self) -> str:
        return self.question

    @property
    def keyword_list(self) -> tuple[str, ...]:
        return keywords_split(self.keywords)

    @property
    def body_html(self) -> str:
        from .render import markdown_render

        return markdown_render(self.body)


class AnswerTerm(models.Model):
    """One term of a published answer (drafts have none); `valid_until` copied so the lookup needs no join."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=40)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "answer"], name="kb_answerterm_unique")]
        # Everything the candidate statement reads (term, valid_until, answer): an index-only scan,
        # instead of ~2,000 heap pages for a 30-character text at 10,000 answers.
        indexes = [models.Index(fields=["term", "valid_until", "answer"], name="kb_answerterm_lookup")]

    def __str__(self) -> str:
        return self.term


class DirectAnswer(models.Model):
    answer = models.ForeignKey(Answer, verbose_name=_("答复"), on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey(Category, verbose_name=_("求助类别"), on_delete=models.PROTECT, related_name="+")
    # 网页 when the citizen clicked "这解决了我的问题"; 电话 / 来访 when an operator answered a caller with it.
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.WEB)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("直办记录")
        verbose_name_plural = _("直办记录")
        ordering = ("-at",)
        indexes = [models.Index(fields=["at", "channel"], name="kb_direct_at_channel")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.answer_id}"


class RedirectRule(models.Model):
    name = models.CharField(_("名称"), max_length=60, help_text=_("例如：消费纠纷"))
    keywords = models.CharField(_("关键词"), max_length=300, help_text=_("以空格或逗号分隔，命中任意一个即提示"))
    message = models.CharField(_("提示内容"), max_length=300)
    phone = models.CharField(_("电话"), max_length=20, help_text=_("例如：12315"))
    link = models.URLField(_("网址"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("转办提示规则")
        verbose_name_plural = _("转办提示规则")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> tuple[str, ...]:
        return keywords_split(self.keywords)
