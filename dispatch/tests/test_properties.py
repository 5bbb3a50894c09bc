"""Property-based tests of the staff actions: whatever staff type into an action's form,
the admin answers with a redirect and a message, never a server error, and what is shown
back (to staff, and to the citizen for public notes) is escaped."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app.models import Event, State
from requests_app.selectors import track_token_for

TEXT = st.one_of(
    st.sampled_from(
        ["<script>alert(1)</script>", "'; DROP TABLE requests_app_event; --", "\x00", "", " ", "注" * 5000]
    ),
    st.text(max_size=500),
)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(note=TEXT, public=st.booleans(), action=st.sampled_from(["add_note", "resolve", "return"]))
def test_any_text_in_an_action_form_gets_an_answer_and_is_escaped(client, staff, make_request, note, public, action):
    req = make_request(State.ACCEPTED if action != "return" else State.HANDED_OVER)
    client.force_login(staff.handler_a)
    field = {"add_note": "note", "resolve": "result", "return": "reason"}[action]
    data = {f"{action}-{field}": note}
    if public:
        data[f"{action}-is_public"] = "on"
    response = client.post(reverse("admin:requests_app_helprequest_action", args=[req.pk, action]), data)
    assert response.status_code == 302
    client.force_login(staff.dispatcher)  # after a return the handler no longer sees the request
    for url in (
        reverse("admin:requests_app_helprequest_change", args=[req.pk]),
        reverse("requests_app:track_token", args=[track_token_for(ticket_number=req.ticket_number)]),
    ):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "<script>alert(1)</script>" not in html
    for event in Event.objects.filter(request=req):
        assert "\x00" not in event.note
