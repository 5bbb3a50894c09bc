"""批准公开: staff approve a redacted text in admin before anything of a request is public."""

import pytest

from board import selectors, services
from board.models import PendingPublication
from helpdesk.tests.pages import html_of
from requests_app.models import Event, Publication
from requests_app.redact import ADDRESS_MARK, EMAIL_MARK, ID_MARK, NAME_MARK, PHONE_MARK
from requests_app.tests.factories import HelpRequestFactory

pytestmark = pytest.mark.django_db

STORY = "我是张三丰，住金水路8号院，电话13912345678，身份证410105199001011234，邮箱zsf@example.com，楼下停水三天。"


def test_the_draft_masks_what_the_inventory_knows_and_every_number(consented):
    req = consented(name="张三丰", address="金水路8号院", phone="13800001111", title="张三丰家停水", content=STORY)
    draft = services.publication_draft(help_request=req)
    assert draft["title"] == f"{NAME_MARK}家停水"
    for secret in ("张三丰", "金水路8号院", "13912345678", "410105199001011234", "zsf@example.com"):
        assert secret not in draft["content"]
    for mark in (NAME_MARK, ADDRESS_MARK, PHONE_MARK, ID_MARK, EMAIL_MARK):
        assert mark in draft["content"]
    assert "楼下停水三天" in draft["content"]


def test_only_consented_requests_wait_for_approval(consented):
    waiting = consented()
    HelpRequestFactory()  # no consent
    assert list(selectors.publications_pending_qs()) == [PendingPublication.objects.get(pk=waiting.pk)]


def test_approval_publishes_records_and_leaves_the_queue(consented, publish, staff):
    req = consented()
    publish(req, title="小区停水", content="小区停水三天，请协调恢复供水。")
    publication = Publication.objects.get(request=req)
    assert (publication.title, publication.approved_by) == ("小区停水", staff.dispatcher)
    event = req.events.filter(kind=Event.Kind.PUBLICATION).first()
    assert event.message == "工作人员审核通过，已在问政板公开" and event.is_public
    assert not selectors.publications_pending_qs().exists()


def test_what_staff_type_is_redacted_again(consented, publish):
    req = consented(name="李四")
    publish(req, content="李四反映停水，联系 13912345678。")
    assert Publication.objects.get(request=req).content == f"{NAME_MARK}反映停水，联系 {PHONE_MARK}。"


def test_no_consent_no_publication_and_handlers_may_not_approve(consented, staff):
    req = HelpRequestFactory()
    with pytest.raises(services.PublicationRefused):
        services.publication_approve(help_request_id=req.pk, actor=staff.dispatcher, title="t", content="c")
    req = consented()
    with pytest.raises(services.PublicationRefused):
        services.publication_approve(help_request_id=req.pk, actor=staff.handler, title="t", content="c")
    assert not Publication.objects.exists()


def test_a_resolution_puts_the_reply_up_for_approval(resolved_consented, publish, staff):
    req = resolved_consented()
    draft = services.publication_draft(help_request=req)
    assert draft["reply"] == "已协调恢复供水"
    publish(req)
    assert Publication.objects.get(request=req).reply == "已协调恢复供水"
    assert not selectors.publications_pending_qs().exists()


def test_admin_queue_editor_and_approval(client, consented, staff):
    req = consented(name="王五", title="王五家门口路灯不亮")
    other = HelpRequestFactory(title="不公开的求助")
    client.force_login(staff.supervisor)
    html = html_of(client.get("/admin/board/pendingpublication/"), req.ticket_number)
    assert other.ticket_number not in html
    html = html_of(client.get(f"/admin/board/pendingpublication/{req.pk}/change/"), "批准公开", NAME_MARK)
    assert "王五家门口" not in html
    response = client.post(
        f"/admin/board/pendingpublication/{req.pk}/change/",
        {"title": "门口路灯不亮", "content": "门口路灯不亮一周了，晚上出行不便。", "reply": ""},
    )
    assert response.status_code == 302
    assert Publication.objects.get(request=req).title == "门口路灯不亮"


def test_admin_bulk_action_approves_the_redacted_drafts(client, consented, staff):
    req = consented(name="赵六", title="赵六反映噪音扰民")
    client.force_login(staff.dispatcher)
    response = client.post(
        "/admin/board/pendingpublication/", {"action": "approve_drafts", "_selected_action": [req.pk]}, follow=True
    )
    html_of(response, "已批准公开 1 件")
    assert Publication.objects.get(request=req).title == f"{NAME_MARK}反映噪音扰民"


def test_handlers_do_not_see_the_queue(client, consented, staff):
    consented()
    client.force_login(staff.handler)
    assert client.get("/admin/board/pendingpublication/").status_code == 403
