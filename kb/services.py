"""Writes of the knowledge base: save and index an answer, draft one from a request, approve, record a 直办.

`answer_save` is the one way an answer is stored (admin included): it keeps
the candidate index (`AnswerTerm`) in step with the question and keywords in
the same transaction. Publishing needs a person: `answer_approve` records who
and when; a change to a published answer's text sends it back to draft.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from requests_app.models import RESOLVED_STATES, HelpRequest, Source
from requests_app.redact import text_redact

from .matching import answer_terms
from .models import Answer, AnswerTerm, DirectAnswer

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class NotResolved(ValueError):
    """Only a resolved request's reply is worth keeping as an answer."""


class NotLive(ValueError):
    """The answer is not published or has expired."""


TEXT_FIELDS = ("question", "body", "keywords")


def answer_index(*, answer: Answer) -> None:
    """Rebuild this answer's rows in the candidate index: its terms while published, none otherwise.

    Call inside the transaction that saved the answer.
    """
    AnswerTerm.objects.filter(answer=answer).delete()
    if answer.state != Answer.State.PUBLISHED:
        return
    AnswerTerm.objects.bulk_create(
        [
            AnswerTerm(answer=answer, term=t)
            for t in sorted(answer_terms(question=answer.question, keywords=answer.keywords))
        ]
    )


@transaction.atomic
def answer_save(*, answer: Answer, changed: list[str] | tuple[str, ...] = ()) -> Answer:
    """Store an answer (new or changed) and its index rows. Changing a published text asks for approval again."""
    if answer.pk and answer.state == Answer.State.PUBLISHED and set(changed) & set(TEXT_FIELDS):
        answer.state, answer.approved_by, answer.approved_at = Answer.State.DRAFT, None, None
    answer.save()
    answer_index(answer=answer)
    return answer


@transaction.atomic
def answer_approve(*, answer_id: int, user: User) -> Answer:
    answer = Answer.objects.select_for_update().get(pk=answer_id)
    if answer.state != Answer.State.PUBLISHED:
        answer.state, answer.approved_by, answer.approved_at = Answer.State.PUBLISHED, user, timezone.now()
        answer.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
        answer_index(answer=answer)
    return answer


@transaction.atomic
def answer_unpublish(*, answer_id: int) -> Answer:
    answer = Answer.objects.select_for_update().get(pk=answer_id)
    answer.state, answer.approved_by, answer.approved_at = Answer.State.DRAFT, None, None
    answer.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
    answer_index(answer=answer)
    return answer


def _reply_of(help_request: HelpRequest) -> str:
    """What the city told the citizen: the resolution's note on the timeline, newest first."""
    from requests_app.models import Event

    event = (
        Event.objects.filter(request=help_request, to_state__in=RESOLVED_STATES)
        .exclude(note="")
        .order_by("-created_at", "-id")
        .first()
    )
    return event.note if event else ""


NAME_MARK = "[姓名已隐去]"
ADDRESS_MARK = "[地址已隐去]"


def _strip_citizen(help_request: HelpRequest, text: str) -> str:
    """The request's own name and address (the inventory's encrypted fields), and "王女士"-style forms, masked."""
    name, address = (help_request.name or "").strip(), (help_request.address or "").strip()
    if address and len(address) >= 4:
        text = text.replace(address, ADDRESS_MARK)
    if name and len(name) >= 2:
        text = text.replace(name, NAME_MARK)
        for title in ("先生", "女士", "阿姨", "大爷", "老人", "同志"):
            text = text.replace(name[0] + title, NAME_MARK)
    return text


@transaction.atomic
def answer_draft_from_request(*, help_request: HelpRequest) -> Answer:
    """A draft answer from a resolved request: its title as the question, the reply as the answer.

    Every phone number, ID number and e-mail address is masked by the
    inventory's redactor (`text_redact`); names and addresses it cannot see,
    which is why a person reads and approves the draft before it is published.
    """
    if help_request.state not in RESOLVED_STATES:
        raise NotResolved(help_request.ticket_number)
    reply = _strip_citizen(help_request, text_redact(_reply_of(help_request)))
    body = reply or "（请填写答复内容）"
    answer = Answer(
        question=_strip_citizen(help_request, text_redact(help_request.title))[:200],
        body=body,
        channel_id=help_request.category_id,
        source_request=help_request,
        state=Answer.State.DRAFT,
    )
    return answer_save(answer=answer)


def direct_answer_record(*, answer_id: int, source: str = Source.WEB) -> DirectAnswer:
    """One 直办: the citizen (or the operator, for a caller) said this answer solved the question.
    No ticket, nothing about them."""
    from .matching import live_answers

    answer = live_answers().filter(pk=answer_id).only("pk", "channel_id").first()
    if answer is None:
        raise NotLive(answer_id)
    return DirectAnswer.objects.create(answer_id=answer.pk, channel_id=answer.channel_id, source=source)
