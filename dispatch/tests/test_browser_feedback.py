"""Browser journey: a citizen rates a resolved request 不满意 on a phone and sees it reopened."""

import pytest

from dispatch.tests import factories
from requests_app.models import HelpRequest, State
from requests_app.selectors import track_token_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_citizen_rates_unsatisfied_and_sees_the_request_reopened(live_server, phone_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    unit = factories.unit("金水区人民政府")
    req = factories.request_in_state(
        State.RESOLVED,
        dispatcher_user=factories.dispatcher(username="d"),
        handler_user=factories.handler(unit, username="h"),
        supervisor_user=factories.supervisor(username="s"),
        lead=unit,
    )
    page = phone_page
    page.goto(f"{live_server.url}/help/track/{track_token_for(ticket_number=req.ticket_number)}/")
    assert page.text_content("#request-state").strip() == "已办结"
    page.get_by_label("不满意").check()
    page.fill("textarea[name=comment]", "水还是没有来")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector("#messages")
    assert "转回重新办理" in page.text_content("#messages")
    assert page.text_content("#request-state").strip() == "重办"
    timeline = page.text_content("#timeline")
    assert "市民评价：不满意" in timeline and "办理结果未达要求" in timeline
    assert page.locator("#feedback-form").count() == 0
    assert HelpRequest.objects.get(pk=req.pk).reopen_count == 1
    # The public figures page renders under the same strict policy.
    page.goto(f"{live_server.url}/stats/")
    page.wait_for_selector("#trend svg")
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
