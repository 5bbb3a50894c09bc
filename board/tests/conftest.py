"""Fixtures for the board's tests: staff, and requests brought onto the board by the real services."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from board import services
from dispatch.tests import factories
from requests_app.tests.factories import HelpRequestFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db):
    unit = factories.unit("金水区人民政府")
    return SimpleNamespace(
        unit=unit,
        dispatcher=factories.dispatcher(username="disp"),
        supervisor=factories.supervisor(username="sup"),
        handler=factories.handler(unit, username="hand"),
    )


@pytest.fixture
def publish(staff):
    """Approve a request's redacted draft as the dispatcher; returns the request."""

    def _publish(req, **text):
        draft = services.publication_draft(help_request=req)
        services.publication_approve(help_request_id=req.pk, actor=staff.dispatcher, **{**draft, **text})
        req.refresh_from_db()
        return req

    return _publish


@pytest.fixture
def consented(db):
    def _consented(**kwargs):
        return HelpRequestFactory(publish_consent=True, **kwargs)

    return _consented


@pytest.fixture
def resolved_consented(staff):
    def _make(**kwargs):
        return factories.request_in_state(
            "resolved",
            dispatcher_user=staff.dispatcher,
            handler_user=staff.handler,
            supervisor_user=staff.supervisor,
            lead=staff.unit,
            publish_consent=True,
            **kwargs,
        )

    return _make
