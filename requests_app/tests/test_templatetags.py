"""The layout's per-language fragment memo."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation


def test_per_language_renders_once_per_language_and_reuses_the_output():
    template = Template(
        "{% load i18n layout %}{% per_language %}{% get_current_language as code %}{{ code }} {{ n }}{% end_per_language %}"
    )
    with translation.override("zh-hans"):
        assert template.render(Context({"n": 1})) == "zh-hans 1"
        # The fragment is fixed per language: a changed variable inside is not seen
        # (which is why nothing request-specific may go inside).
        assert template.render(Context({"n": 2})) == "zh-hans 1"
    with translation.override("en"):
        assert template.render(Context({"n": 3})) == "en 3"


@pytest.mark.django_db
def test_the_layout_keeps_request_specific_parts_outside_the_fragments(client):
    first = client.get("/help/track/?ticket_number=A").content.decode()
    second = client.get("/help/track/?ticket_number=B").content.decode()
    assert 'name="next" type="hidden" value="/help/track/?ticket_number=A"' in first
    assert 'name="next" type="hidden" value="/help/track/?ticket_number=B"' in second
    assert 'href="/help/new/"' in second and 'action="/i18n/setlang/"' in second
