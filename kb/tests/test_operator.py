"""Operator intake with the knowledge base: answers inline on the intake page, a 直办 counted by the call's source."""

import pytest
from django.urls import reverse

from dispatch.tests.test_intake import INTAKE, call, operator
from helpdesk.tests.pages import html_of
from kb.models import DirectAnswer
from kb.tests import factories as kb_factories
from requests_app.models import HelpRequest, Source

pytestmark = pytest.mark.django_db


def test_answers_redirections_and_emergencies_show_inline_and_an_answer_counts_a_direct_answer_by_phone(client):
    water = kb_factories.answer()
    client.force_login(operator(username="op5"))
    response = client.post(
        INTAKE, call(check="1", submit=None, title="小区停水三天了", content="一直没有来水，什么时候来水？")
    )
    html = html_of(response, 'id="answer-suggestions"', 'id="intake-form"')
    assert water.question in html and 'name="source" value="phone"' in html and "已当场解答（直办）" in html
    response = client.post(reverse("kb:solved"), {"answer": water.pk, "source": "phone"})
    assert response.status_code == 302 and response["Location"] == INTAKE
    record = DirectAnswer.objects.get()
    assert (record.answer, record.source) == (water, Source.PHONE)
    assert HelpRequest.objects.count() == 0


def test_a_citizen_cannot_claim_a_phone_direct_answer(client):
    water = kb_factories.answer()
    client.post(reverse("kb:solved"), {"answer": water.pk, "source": "phone"})
    assert DirectAnswer.objects.get().source == Source.WEB
