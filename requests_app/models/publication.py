"""The text of a request staff approved for the 问政 board.

A request appears on the board (and its feeds, and Open311's GET requests)
only while both hold: the citizen's consent stands (`HelpRequest.publish_consent`)
and a `Publication` exists that staff have not withdrawn (撤下, `withdrawn_at`).
Withdrawing the consent, or staff's 撤下, removes it from all of them at once; the
row stays, so the approval remains on record, and only a new 批准公开 publishes it again. Written only by
`board.services` (approval), read through `requests_app.selectors.board_requests_qs`
and shown through `requests_app.public.board_entry_of`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .catalog import District
from .request import HelpRequest


class Publication(models.Model):
    request = models.OneToOneField(
        HelpRequest, on_delete=models.PROTECT, primary_key=True, related_name="publication", verbose_name=_("求助件")
    )
    # A copy of the request's district (written once at submission, never edited): the board's
    # district filter and feed read this table's index alone.
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("区县(市)"))
    title = models.CharField(_("公开标题"), max_length=60)
    content = models.TextField(_("公开内容"), max_length=2000)
    reply = models.TextField(_("公开答复"), max_length=2000, blank=True)
    approved_at = models.DateTimeField(_("批准公开时间"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("批准人"),
    )
    # When the reply to the request's latest resolution was approved; a later 办结 (after
    # a rework) puts the publication back in the approval queue for its new reply.
    reply_approved_at = models.DateTimeField(_("答复批准时间"), null=True, blank=True)
    # 撤下: staff took the text off the board (board.services.publication_withdraw).
    withdrawn_at = models.DateTimeField(_("撤下时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撤下人"),
    )
    withdrawn_reason = models.CharField(_("撤下原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("问政公开")
        verbose_name_plural = pgettext_lazy("plural", "问政公开")
        indexes = [
            # The board's pages, newest first, and per district (the district feed).
            models.Index(fields=["-approved_at", "-request"], name="pub_approved_idx"),
            models.Index(fields=["district", "-approved_at", "-request"], name="pub_district_idx"),
        ]

    def __str__(self) -> str:
        return self.title
