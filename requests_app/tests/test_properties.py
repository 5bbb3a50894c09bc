"""Property-based tests: whatever a citizen (or an attacker) types, the portal answers
with a page, never a server error, and never stores markup."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app.models import HelpRequest
from requests_app.tests.test_forms import valid_data

NASTY = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "'; DROP TABLE requests_app_helprequest; --",
        "\x00",
        "\u202eevil",
        "😀" * 50,
        "",
        " " * 10,
        "水" * 5000,
        "%(name)s {{ 7*7 }} ${7*7}",
        "<img src=x onerror=alert(1)>",
    ]
)
ANY_TEXT = st.one_of(NASTY, st.text(max_size=2100), st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
FIELDS = ["name", "phone", "address", "title", "content", "category", "district", "urgency", "consent"]

hypothesis_settings = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def open_limits(settings):
    settings.RATELIMIT_ENABLE = False


@pytest.mark.django_db
@hypothesis_settings
@given(field=st.sampled_from(FIELDS), value=ANY_TEXT)
def test_any_input_to_the_form_gets_a_page_and_stores_no_markup(client, open_limits, field, value):
    response = client.post("/help/new/", valid_data(**{field: value}))
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["form"].errors  # refused with a message, not silently
    for req in HelpRequest.objects.all():
        for text in (req.name, req.phone, req.address, req.title, req.content):
            assert "<script" not in text.lower() and "<img" not in text.lower() and "\x00" not in text


@pytest.mark.django_db
@hypothesis_settings
@given(ticket_number=ANY_TEXT, phone=ANY_TEXT)
def test_any_lookup_gets_a_page(client, open_limits, ticket_number, phone):
    response = client.post("/help/track/", {"ticket_number": ticket_number, "phone": phone})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html


@pytest.mark.django_db
@hypothesis_settings
@given(token=ANY_TEXT)
def test_any_tracking_token_is_a_page_or_not_found(client, token):
    from urllib.parse import quote

    response = client.get("/help/track/" + quote(token.replace("/", ""), safe="") + "/")
    assert response.status_code in (200, 404)
