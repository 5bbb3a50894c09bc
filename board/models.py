"""The board's own rows: 我也遇到, the search index of approved texts, and the approval queue.

Invariants:
- One phone counts once per request (`me_too_one_phone_per_request` on the keyed hash);
  the phone is stored like every other phone: encrypted, with a keyed hash to find it.
- `SearchTerm` rows are derived from a `Publication`'s approved text only (public words),
  rewritten whenever the text is approved again, deleted with it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from requests_app.crypto import EncryptedTextField
from requests_app.models import HelpRequest, Publication


class MeToo(models.Model):
    """我也遇到: another citizen has the same problem and wants to be told the outcome."""

    request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="me_toos", verbose_name=_("求助件"))
    phone = EncryptedTextField(_("联系电话"))
    phone_hash = models.CharField(_("电话指纹"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("我也遇到")
        verbose_name_plural = pgettext_lazy("plural", "我也遇到")
        constraints = [
            # Also the index behind each request's count.
            models.UniqueConstraint(fields=["request", "phone_hash"], name="me_too_one_phone_per_request"),
        ]
        # 每月一题 counts the joins made in a month (board.selectors.me_too_by_problem).
        indexes = [models.Index(fields=["created_at"], name="me_too_created_idx")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.created_at:%Y-%m-%d %H:%M}"


class SearchTerm(models.Model):
    """One character or character pair of an approved text: Chinese search without a tokenizer.

    Chinese has no spaces, so the board searches for every pair of adjacent characters of
    the query (a lone character for a one-character word). The unique (term, publication)
    index answers "which publications hold all of these pairs" without reading the texts,
    on PostgreSQL and SQLite alike.
    """

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "publication"], name="search_term_unique")]

    def __str__(self) -> str:
        return self.term


class PendingPublication(HelpRequest):
    """The approval queue in admin: consented requests whose text (or new reply) awaits 批准公开."""

    class Meta:
        proxy = True
        verbose_name = _("待审核公开")
        verbose_name_plural = pgettext_lazy("plural", "待审核公开")


class PublishedText(Publication):
    """The texts on the board now, in admin: where staff 撤下 one."""

    class Meta:
        proxy = True
        verbose_name = _("已公开")
        verbose_name_plural = pgettext_lazy("plural", "已公开")
