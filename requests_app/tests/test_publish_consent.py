"""公开我的诉求和答复: off by default, recorded with its time, withdrawn from the progress page."""

import pytest

from helpdesk.tests.pages import html_of
from requests_app.models import Event, HelpRequest
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory
from requests_app.tests.test_forms import valid_data

pytestmark = pytest.mark.django_db


def test_the_form_offers_publishing_unticked(client):
    html = html_of(client.get("/help/new/"), "公开我的诉求和答复")
    box = html[html.index('name="publish"') - 200 : html.index('name="publish"') + 200]
    assert 'type="checkbox"' in box and "checked" not in box


def test_a_request_is_private_unless_the_box_is_ticked(client):
    client.post("/help/new/", valid_data())
    req = HelpRequest.objects.get()
    assert req.publish_consent is False and req.publish_consent_at is None
    assert not req.events.filter(kind=Event.Kind.PUBLICATION).exists()


def test_consent_is_recorded_with_its_time_in_the_timeline(client):
    client.post("/help/new/", valid_data(publish="on"))
    req = HelpRequest.objects.get()
    assert req.publish_consent is True and req.publish_consent_at == req.created_at
    event = req.events.get(kind=Event.Kind.PUBLICATION)
    assert event.is_public and event.data == {"consent": True} and event.created_at == req.created_at
    html = html_of(
        client.get(f"/help/track/{track_token_for(ticket_number=req.ticket_number)}/"), "市民同意公开诉求和答复"
    )
    assert 'id="publish-withdraw"' in html


def test_the_citizen_withdraws_consent_from_the_progress_page(client):
    req = HelpRequestFactory(publish_consent=True)
    token = track_token_for(ticket_number=req.ticket_number)
    response = client.post(f"/help/track/{token}/withdraw-publication/", follow=True)
    html = html_of(response, "已撤回公开", "市民撤回公开同意")
    assert 'id="publish-withdraw"' not in html
    req.refresh_from_db()
    assert req.publish_consent is False and req.publish_consent_at is None
    # Withdrawing again records nothing more.
    client.post(f"/help/track/{token}/withdraw-publication/")
    assert list(req.events.filter(kind=Event.Kind.PUBLICATION).values_list("data", flat=True)) == [
        {"consent": False},
        {"consent": True},
    ]


def test_withdrawal_needs_the_signed_link(client):
    req = HelpRequestFactory(publish_consent=True)
    assert client.post(f"/help/track/{req.ticket_number}/withdraw-publication/").status_code == 404
    assert (
        client.get(f"/help/track/{track_token_for(ticket_number=req.ticket_number)}/withdraw-publication/").status_code
        == 405
    )
    req.refresh_from_db()
    assert req.publish_consent is True
