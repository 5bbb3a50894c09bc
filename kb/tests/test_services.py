import pytest
from django.core.management import call_command

from dispatch.tests.factories import handler, request_in_state, unit
from dispatch.workflow import transition_apply
from kb import services
from kb.models import Answer, DirectAnswer, RedirectRule
from kb.tests import factories
from requests_app.models import HelpRequest

pytestmark = pytest.mark.django_db


def test_a_draft_from_a_resolved_request_carries_no_personal_data():
    lead = unit()
    person = handler(lead, username="kb_handler")
    req = request_in_state(
        "accepted", lead=lead, handler_user=person, name="王小明", phone="13812345678", address="金水区花园路8号院3号楼"
    )
    result = (
        "已联系王小明（电话 138 1234 5678，身份证 410105199001011234），到金水区花园路8号院3号楼现场查看。"
        "王先生反映的问题已由自来水公司抢修，恢复供水。如再停水请拨打 0371-67449999。"
    )
    transition_apply(request_id=req.pk, action="resolve", actor=person, result=result)
    req.refresh_from_db()
    draft = services.answer_draft_from_request(help_request=req)
    assert draft.state == Answer.State.DRAFT and draft.approved_at is None
    assert draft.source_request == req and draft.channel_id == req.category_id
    for secret in ("王小明", "13812345678", "138 1234 5678", "410105199001011234", "花园路8号院", "王先生"):
        assert secret not in draft.body, secret
    assert "自来水公司抢修" in draft.body and "[电话已隐去]" in draft.body


def test_only_a_resolved_request_is_drafted():
    req = request_in_state("accepted")
    with pytest.raises(services.NotResolved):
        services.answer_draft_from_request(help_request=req)


def test_approval_records_who_and_when():
    a = factories.answer(published=False)
    approved = services.answer_approve(answer_id=a.pk, user=factories.approver())
    assert approved.state == Answer.State.PUBLISHED
    assert approved.approved_by.username == "kb-approver" and approved.approved_at is not None


def test_a_direct_answer_records_answer_channel_source_and_time_only():
    a = factories.answer(channel="jiankangma")
    record = services.direct_answer_record(answer_id=a.pk)
    assert (record.answer_id, record.channel.code) == (a.pk, "jiankangma")
    assert HelpRequest.objects.count() == 0
    assert {f.name for f in DirectAnswer._meta.concrete_fields} == {"id", "answer", "channel", "source", "at"}


def test_a_draft_is_never_counted_as_a_direct_answer():
    a = factories.answer(published=False)
    with pytest.raises(services.NotLive):
        services.direct_answer_record(answer_id=a.pk)


def test_seed_kb_is_idempotent():
    call_command("seed_kb", stdout=open("/dev/null", "w"))  # noqa: SIM115
    answers, rules = Answer.objects.count(), RedirectRule.objects.count()
    call_command("seed_kb", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Answer.objects.count() == answers >= 5
    assert RedirectRule.objects.count() == rules >= 2
    assert Answer.objects.filter(state=Answer.State.PUBLISHED).count() == answers
