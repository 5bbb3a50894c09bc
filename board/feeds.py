"""Atom feeds of the 问政 board, all districts and per district (Django's syndication framework).

Built from `public.BoardEntry` only: the approved title, text and reply, the channel,
district and state; never a name, phone or place.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from requests_app.models import District
from requests_app.public import BoardEntry
from requests_app.selectors import active_choices

from . import selectors


class BoardFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, district_code: str = "") -> District | None:
        if not district_code:
            return None
        district = next((d for d in active_choices().districts if d.code == district_code), None)
        if district is None:
            raise Http404
        return district

    def title(self, obj: District | None) -> str:
        return _("问政板 · %(district)s") % {"district": obj.name} if obj else _("问政板")

    def link(self, obj: District | None) -> str:
        url = reverse("board:list")
        return f"{url}?district={obj.code}" if obj else url

    def subtitle(self, obj: District | None) -> str:
        return _("市民同意公开、经工作人员审核的诉求和单位答复")

    def items(self, obj: District | None) -> list[BoardEntry]:
        return selectors.board_feed_entries(district_id=obj.pk if obj else None)

    def item_title(self, item: BoardEntry) -> str:
        return f"{item.summary.title}（{item.summary.state_label}）"

    def item_description(self, item: BoardEntry) -> str:
        parts = [item.content]
        if item.reply:
            parts.append(_("单位答复：%(reply)s") % {"reply": item.reply})
        return "\n\n".join(parts)

    def item_link(self, item: BoardEntry) -> str:
        return reverse("board:detail", args=[item.summary.ticket_number])

    def item_pubdate(self, item: BoardEntry):
        return item.approved_at

    def item_updateddate(self, item: BoardEntry):
        return max(item.approved_at, item.summary.updated_at)

    def item_categories(self, item: BoardEntry) -> list[str]:
        return [item.summary.district_name, item.summary.service_name]
