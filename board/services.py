"""Writes of the 问政 board: approving the published text, 我也遇到, and telling them of 办结.

- `publication_draft`: where the approval editor starts, the request's title, content
  and latest reply through `requests_app.redact.request_text_redact`.
- `publication_approve`: 批准公开 by a dispatcher or supervisor (`dispatch.access`);
  the text is redacted once more on the way in, the search terms rewritten, the
  approval recorded in the timeline. Refused when the consent is gone. After a 撤下 it
  is the only way back onto the board.
- `publication_withdraw`: 撤下 by a dispatcher or supervisor, with a reason: off the
  board, its search, feeds and Open311 at once, recorded in the timeline.
- `me_too_add`: one phone once per open board request, stored like every phone.
- `me_too_messages_for_event`: the SMS for 我也遇到 citizens on 办结, registered as an
  outbox hook (`dispatch.notifications.event_hook_register`) by `BoardConfig.ready()`;
  it runs inside the workflow's transaction, so the rows commit with the resolution.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dispatch.access import Actor, actor_user, scope_of
from dispatch.models import Notification
from dispatch.notifications import Message
from dispatch.workflow.engine import actor_label
from requests_app.crypto import keyed_hash
from requests_app.models import OPEN_STATES, RESOLVED_STATES, Event, HelpRequest, Publication, State
from requests_app.redact import request_text_redact
from requests_app.selectors import board_requests_qs

from .models import MeToo, SearchTerm
from .search import text_terms

TITLE_MAX = 60
TEXT_MAX = 2000


class PublicationRefused(Exception):
    """批准公开 is not possible (no consent, no right, no text): the message says why, in Chinese."""


def latest_reply(*, help_request: HelpRequest) -> str:
    """The unit's result at the latest 办结 (the resolve event's note), as written: staff only."""
    event = (
        Event.objects.filter(request=help_request, kind=Event.Kind.TRANSITION, to_state=State.RESOLVED)
        .order_by("-created_at", "-id")
        .only("note")
        .first()
    )
    return event.note if event is not None else ""


def publication_draft(*, help_request: HelpRequest) -> dict[str, str]:
    """The approval editor's starting text: title, content and reply, redacted for this request."""
    published = Publication.objects.filter(request=help_request).first()

    def redacted(text: str) -> str:
        return request_text_redact(help_request=help_request, text=text)

    reply = redacted(latest_reply(help_request=help_request)) if help_request.state in RESOLVED_STATES else ""
    if published is not None:  # a new reply to approve: keep the text approved before
        return {"title": published.title, "content": published.content, "reply": reply or published.reply}
    return {"title": redacted(help_request.title), "content": redacted(help_request.content), "reply": reply}


def _terms_write(publication: Publication) -> None:
    SearchTerm.objects.filter(publication=publication).delete()
    terms = text_terms(f"{publication.title} {publication.content} {publication.reply}")
    SearchTerm.objects.bulk_create(SearchTerm(publication=publication, term=t) for t in sorted(terms))


def publication_approve(
    *, help_request_id: int, actor: Actor, title: str, content: str, reply: str = "", now: dt.datetime | None = None
) -> Publication:
    """批准公开: publish (or re-publish with a new reply) the text staff approved."""
    now = now or timezone.now()
    if not scope_of(actor).sees_all:
        raise PublicationRefused(gettext("只有平台交办员和督办员可以批准公开"))
    with transaction.atomic():
        req = HelpRequest.objects.select_for_update().filter(pk=help_request_id).first()
        if req is None or not req.publish_consent or req.anonymised_at is not None:
            raise PublicationRefused(gettext("市民未同意公开或已撤回同意，不能公开"))
        if req.state in (State.INVALID, State.DUPLICATE):
            raise PublicationRefused(gettext("无效件和重复件不公开"))

        def clean(text: str, limit: int) -> str:
            # The redactor once more: what staff typed or pasted is masked the same way.
            return request_text_redact(help_request=req, text=(text or "").strip())[:limit]

        title, content, reply = clean(title, TITLE_MAX), clean(content, TEXT_MAX), clean(reply, TEXT_MAX)
        if not title or not content:
            raise PublicationRefused(gettext("请填写公开标题和内容"))
        publication = Publication.objects.filter(request=req).first()
        first = publication is None
        if publication is None:
            publication = Publication(request=req, district_id=req.district_id, approved_at=now)
        publication.title, publication.content, publication.reply = title, content, reply
        publication.approved_by = actor_user(actor)
        withdrawn = publication.withdrawn_at is not None
        publication.withdrawn_at, publication.withdrawn_by, publication.withdrawn_reason = None, None, ""
        if req.state in RESOLVED_STATES:
            publication.reply_approved_at = now
        publication.save()
        _terms_write(publication)
        Event.objects.create(
            request=req,
            kind=Event.Kind.PUBLICATION,
            actor=actor_user(actor),
            actor_label=actor_label(actor),
            message=(
                "工作人员审核通过，已在问政板公开"
                if first
                else "撤下后经重新审核，已在问政板再次公开"
                if withdrawn
                else "问政板公开内容已更新（经审核）"
            ),
            is_public=True,
            created_at=now,
            data={"approved": True, "reply": bool(reply), "republished": withdrawn},
        )
    return publication


REASON_MAX = 200


def publication_withdraw(
    *, help_request_id: int, actor: Actor, reason: str, now: dt.datetime | None = None
) -> Publication:
    """撤下: take a published text off the board at once, with the reason; a new 批准公开 undoes it.

    The timeline event is internal (the reason may name what was wrong with the text);
    the citizen's consent is left as it is.
    """
    now = now or timezone.now()
    if not scope_of(actor).sees_all:
        raise PublicationRefused(gettext("只有平台交办员和督办员可以撤下公开内容"))
    reason = (reason or "").strip()[:REASON_MAX]
    if not reason:
        raise PublicationRefused(gettext("请填写撤下原因"))
    with transaction.atomic():
        publication = Publication.objects.select_for_update().filter(request_id=help_request_id).first()
        if publication is None or publication.withdrawn_at is not None:
            raise PublicationRefused(gettext("该件不在问政板上"))
        publication.withdrawn_at, publication.withdrawn_by, publication.withdrawn_reason = (
            now,
            actor_user(actor),
            reason,
        )
        publication.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
        Event.objects.create(
            request_id=help_request_id,
            kind=Event.Kind.PUBLICATION,
            actor=actor_user(actor),
            actor_label=actor_label(actor),
            message=f"工作人员已将问政板公开内容撤下，原因：{reason}",
            is_public=False,
            created_at=now,
            data={"withdrawn": True},
        )
    return publication


class MeTooRefused(Exception):
    """The request is not on the board, or no longer open: nothing was stored."""


def me_too_add(*, ticket_number: str, phone: str, now: dt.datetime | None = None) -> tuple[MeToo | None, bool]:
    """我也遇到 with a normalised phone (forms validate it like the request form's).

    Returns (row, created); one phone counts once per request, and the requester's own
    phone not at all ((None, False)). Raises MeTooRefused unless the request is on the
    board and open.
    """
    now = now or timezone.now()
    req = board_requests_qs().filter(ticket_number=ticket_number).first()
    if req is None or req.state not in OPEN_STATES:
        raise MeTooRefused
    digest = keyed_hash(phone)
    if HelpRequest.objects.filter(pk=req.pk, phone_hash=digest).exists():
        return None, False
    existing = MeToo.objects.filter(request_id=req.pk, phone_hash=digest).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return MeToo.objects.create(request_id=req.pk, phone=phone, phone_hash=digest, created_at=now), True
    except IntegrityError:  # the same phone at the same moment: counted once
        return MeToo.objects.get(request_id=req.pk, phone_hash=digest), False


ME_TOO_RESOLVED_SMS = _(
    "【一帮到底】您点了“我也遇到”的问政诉求{ticket}已办结。单位答复经审核后在问政板公开，可搜索编号{ticket}查看。"
)


def me_too_messages_for_event(event: Event) -> list[Message]:
    """On 办结, one SMS to each 我也遇到 phone of the request (an outbox hook; see module doc)."""
    if event.kind != Event.Kind.TRANSITION or event.to_state != State.RESOLVED:
        return []
    phones = list(MeToo.objects.filter(request_id=event.request_id).order_by("id").values_list("phone", flat=True))
    if not phones:
        return []
    return [
        Message(
            channel=Notification.Channel.SMS,
            recipients=phones,
            subject="",
            body=str(ME_TOO_RESOLVED_SMS).format(ticket=event.request.ticket_number),
            kind=Notification.Kind.RESOLVED,
            help_request=event.request,
            event=event,
        )
    ]
