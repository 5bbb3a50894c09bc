"""撤下: staff take a published text off the board at once, with a reason; only a new 批准公开 brings it back."""

import pytest
from django.urls import reverse

from board import services
from board.tests.test_privacy import _outputs
from dispatch.tests import factories
from helpdesk.tests.pages import html_of
from requests_app.models import Event, Publication

pytestmark = pytest.mark.django_db

PRESENT_IN = ("board", "search", "district", "feed", "district feed", "open311 list", "open311 by id", "detail")


@pytest.fixture
def two_published(resolved_consented, publish):
    stays = publish(resolved_consented(title="路灯不亮", content="经三路路灯不亮一周。"), title="路灯不亮停水")
    goes = publish(resolved_consented(title="停水三天", content="小区停水三天。"), reply="已恢复供水。")
    return stays, goes


def test_withdrawn_text_leaves_the_board_search_feeds_and_open311_at_once(client, staff, two_published):
    stays, goes = two_published
    before = _outputs(client, goes.ticket_number, "停水")
    for name in PRESENT_IN:
        assert goes.ticket_number in before[name], name

    client.force_login(staff.supervisor)
    url = reverse("admin:board_publishedtext_change", args=[goes.pk])
    page = html_of(client.get(url), "撤下原因")
    assert "停水三天" in page
    response = client.post(url, {"reason": "公开内容含住址门牌号"})
    assert response.status_code == 302
    client.logout()

    after = _outputs(client, goes.ticket_number, "停水")
    for name in PRESENT_IN:
        if name in ("open311 by id", "detail"):
            continue
        assert stays.ticket_number in after[name], name  # the right page, still showing the other entry
        assert goes.ticket_number not in after[name] and "停水三天" not in after[name], name
    assert client.get(f"/board/{goes.ticket_number}/").status_code == 404
    assert client.get(f"/board/{stays.ticket_number}/").status_code == 200
    assert client.get(f"/open311/v2/requests/{goes.ticket_number}.json").status_code == 404
    assert client.get(f"/open311/v2/requests/{stays.ticket_number}.json").status_code == 200

    # On record in the case's timeline (internal: the reason may quote what was wrong).
    event = Event.objects.filter(request=goes, kind=Event.Kind.PUBLICATION).latest("id")
    assert "公开内容含住址门牌号" in event.message and not event.is_public and event.actor == staff.supervisor
    pub = Publication.objects.get(pk=goes.pk)
    assert pub.withdrawn_by == staff.supervisor and pub.withdrawn_reason == "公开内容含住址门牌号"
    # The citizen's consent is untouched; the published list no longer holds it.
    goes.refresh_from_db()
    assert goes.publish_consent
    client.force_login(staff.supervisor)
    listing = html_of(client.get(reverse("admin:board_publishedtext_changelist")), stays.ticket_number)
    assert goes.ticket_number not in listing
    assert client.get(url).status_code == 404


def test_only_a_new_approval_brings_it_back(client, staff, two_published):
    _stays, goes = two_published
    services.publication_withdraw(help_request_id=goes.pk, actor=staff.dispatcher, reason="核实中")
    with pytest.raises(services.PublicationRefused):  # once is enough
        services.publication_withdraw(help_request_id=goes.pk, actor=staff.dispatcher, reason="again")
    # Back in the approval queue, marked withdrawn, the editor starting from the text approved before.
    client.force_login(staff.dispatcher)
    queue = html_of(client.get(reverse("admin:board_pendingpublication_changelist")), "待审核公开")
    assert goes.ticket_number in queue
    editor = html_of(client.get(reverse("admin:board_pendingpublication_change", args=[goes.pk])), "withdrawn-note")
    assert "核实中" in editor and "停水三天" in editor
    client.post(
        reverse("admin:board_pendingpublication_change", args=[goes.pk]),
        {"title": "停水三天", "content": "小区停水三天。", "reply": "已恢复供水。"},
    )
    client.logout()
    assert goes.ticket_number in html_of(client.get("/board/"), "问政")
    assert client.get(f"/board/{goes.ticket_number}/").status_code == 200
    assert Publication.objects.get(pk=goes.pk).withdrawn_at is None
    assert Event.objects.filter(request=goes, message__contains="再次公开").exists()


def test_only_dispatchers_and_supervisors_withdraw(client, staff, two_published):
    _stays, goes = two_published
    with pytest.raises(services.PublicationRefused):
        services.publication_withdraw(help_request_id=goes.pk, actor=staff.handler, reason="x")
    with pytest.raises(services.PublicationRefused):  # a reason is required
        services.publication_withdraw(help_request_id=goes.pk, actor=staff.supervisor, reason="  ")
    client.force_login(staff.handler)
    assert client.get(reverse("admin:board_publishedtext_change", args=[goes.pk])).status_code == 403
    client.force_login(factories.StaffUserFactory(username="nobody"))
    assert client.post(reverse("admin:board_publishedtext_change", args=[goes.pk]), {"reason": "x"}).status_code == 403
    assert Publication.objects.get(pk=goes.pk).withdrawn_at is None
