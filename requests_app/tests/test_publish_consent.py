"""公开我的诉求和答复: off by default, recorded with its time, given or withdrawn from the progress page."""

import pytest

from helpdesk.tests.pages import html_of
from requests_app.models import Event, HelpRequest
from requests_app.models.publication import Publication
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
    response = client.post(f"/help/track/{token}/publication/", {"consent": "0"}, follow=True)
    html = html_of(response, "已撤回公开", "市民撤回公开同意")
    assert 'id="publish-withdraw"' not in html
    req.refresh_from_db()
    assert req.publish_consent is False and req.publish_consent_at is None
    # Withdrawing again records nothing more.
    client.post(f"/help/track/{token}/publication/", {"consent": "0"})
    assert list(req.events.filter(kind=Event.Kind.PUBLICATION).values_list("data", flat=True)) == [
        {"consent": False},
        {"consent": True},
    ]


def test_withdrawal_needs_the_signed_link(client):
    req = HelpRequestFactory(publish_consent=True)
    assert client.post(f"/help/track/{req.ticket_number}/publication/", {"consent": "0"}).status_code == 404
    assert client.get(f"/help/track/{track_token_for(ticket_number=req.ticket_number)}/publication/").status_code == 405
    req.refresh_from_db()
    assert req.publish_consent is True


def test_a_caller_taken_in_by_an_operator_consents_later_from_the_progress_page(client):
    # An operator cannot tick the box for a caller (代录); the SMS's progress link lets them.
    req = HelpRequestFactory(publish_consent=False)
    token = track_token_for(ticket_number=req.ticket_number)
    html = html_of(client.get(f"/help/track/{token}/"), req.ticket_number)
    assert 'id="publish-consent"' in html and 'id="publish-withdraw"' not in html
    response = client.post(f"/help/track/{token}/publication/", {"consent": "1"}, follow=True)
    html = html_of(response, "已同意公开", "市民同意公开诉求和答复")
    assert 'id="publish-withdraw"' in html and 'id="publish-consent"' not in html
    req.refresh_from_db()
    assert req.publish_consent is True and req.publish_consent_at is not None
    # Consenting twice records once; the request now waits for staff to approve a text.
    client.post(f"/help/track/{token}/publication/", {"consent": "1"})
    assert list(req.events.filter(kind=Event.Kind.PUBLICATION).values_list("data", flat=True)) == [{"consent": True}]
    assert not Publication.objects.filter(request=req).exists()


def test_an_anonymised_request_cannot_be_published(client):
    from requests_app.services import request_publish_consent_set

    req = HelpRequestFactory(publish_consent=False)
    HelpRequest.objects.filter(pk=req.pk).update(anonymised_at=req.created_at)
    req.refresh_from_db()
    assert request_publish_consent_set(help_request=req, consent=True).publish_consent is False
    assert not req.events.filter(kind=Event.Kind.PUBLICATION).exists()
