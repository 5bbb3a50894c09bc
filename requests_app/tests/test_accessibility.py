"""axe-core finds no violation, of any impact, on any public page, in either language.

axe-core (the npm package, `make test` installs it) is injected by Playwright
into Debian's Chromium on a phone-sized screen. Every page a citizen can reach:
home, the form (empty and with errors), the receipt, the progress page (by
number + phone and by the signed link, with the rating form), /stats/, the
poster and every error page.
"""

from __future__ import annotations

import pytest

from dispatch.tests import factories
from requests_app.models import State
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["zh-hans", "en"]


def _resolved_request():
    unit = factories.unit("金水区人民政府")
    return factories.request_in_state(
        State.RESOLVED,
        dispatcher_user=factories.dispatcher(username="d"),
        handler_user=factories.handler(unit, username="h"),
        supervisor_user=factories.supervisor(username="s"),
        lead=unit,
    )


def _in_language(context, live_server, language: str) -> None:
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_axe_violation_on_any_public_page(live_server, axe_context, axe_violations, settings, language):
    settings.FORM_MIN_FILL_SECONDS = 0
    settings.ROOT_URLCONF = "requests_app.tests.error_urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    submitted = HelpRequestFactory(phone="13900001234")
    resolved = _resolved_request()
    _in_language(axe_context, live_server, language)
    page = axe_context.new_page()
    url = live_server.url
    found: dict[str, list] = {}

    def check(name: str, path: str | None = None, status: int = 200) -> None:
        if path is not None:
            response = page.goto(url + path)
            assert response.status == status, name
        assert page.evaluate("document.documentElement.lang") == language, name
        violations = axe_violations(page)
        if violations:
            found[name] = violations

    check("home", "/")
    check("form", "/help/new/")
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_selector(".invalid-feedback")
    check("form with errors")
    check("receipt", f"/help/receipt/{track_token_for(ticket_number=submitted.ticket_number)}/")
    check("lookup form", "/help/track/")
    page.fill("input[name=ticket_number]", submitted.ticket_number)
    page.fill("input[name=phone]", "13900001234")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#timeline")
    check("progress by number and phone")
    page.goto(url + "/help/track/")
    page.fill("input[name=ticket_number]", submitted.ticket_number)
    page.fill("input[name=phone]", "13900009999")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#lookup-error")
    check("lookup not found")
    check(
        "progress by link, with the rating form",
        f"/help/track/{track_token_for(ticket_number=resolved.ticket_number)}/",
    )
    assert page.locator("#feedback-form").count() == 1
    check("stats", "/stats/")
    check("poster", "/poster/")
    check("404", "/no-such-page/", 404)
    check("400", "/test-errors/400/", 400)
    check("403", "/test-errors/403/", 403)
    check("500", "/test-errors/500/", 500)
    # A form posted without its CSRF token gets the CSRF failure page.
    page.goto(url + "/help/track/")
    axe_context.clear_cookies()
    _in_language(axe_context, live_server, language)
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("h1")
    check("403 CSRF")
    assert found == {}
