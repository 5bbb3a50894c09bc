"""Schemathesis against the served OpenAPI document, in-process through the WSGI application.

Positive cases must get answers the document allows (status code, content
type, headers, JSON body); negative (invalid) cases must at least never cause
a server error. The example counts keep the run to a few seconds.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dispatch.tests.factories import request_in_state
from requests_app.models import HelpRequest, State
from requests_app.tests.factories import HelpRequestFactory
from requests_app.tests.open311_helpers import make_client, post_data

pytestmark = pytest.mark.django_db

CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app():
    # Like Django's test client: requests must not close the test's connection
    # (it holds the transaction every test runs in).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_key():
    _, key = make_client()
    request_in_state(State.HANDED_OVER)  # an agency and a timeline in the answers
    HelpRequestFactory()
    return key


def _run(schema, mode, checks, key, max_examples):
    @hypothesis_settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy(generation_mode=mode))
    def run(case):
        if case.operation.method.upper() == "POST" and isinstance(case.body, dict) and mode.is_positive:
            case.body["api_key"] = key  # a real key, so valid cases get through to the form
        case.call_and_validate(checks=checks)

    run()


def test_positive_cases_conform_to_the_document(wsgi_app, api_key):
    schema = schemathesis.openapi.from_wsgi("/open311/v2/openapi.json", wsgi_app)
    _run(schema, schemathesis.GenerationMode.POSITIVE, CONFORMANCE, api_key, max_examples=100)


def test_a_valid_submission_conforms_to_the_document(wsgi_app, api_key):
    # Random strings rarely pass the form (a real phone number, 10+ characters
    # without markup), so one known-good submission checks the 201 answer.
    schema = schemathesis.openapi.from_wsgi("/open311/v2/openapi.json", wsgi_app)
    operation = schema["/requests.{fmt}"]["POST"]
    for fmt in ("json", "xml"):
        case = operation.Case(
            path_parameters={"fmt": fmt}, body=post_data(api_key), media_type="application/x-www-form-urlencoded"
        )
        response = case.call_and_validate(checks=CONFORMANCE)
        assert response.status_code == 201
    assert HelpRequest.objects.filter(api_submission__isnull=False).count() == 2


def test_invalid_cases_never_cause_a_server_error(wsgi_app, api_key):
    schema = schemathesis.openapi.from_wsgi("/open311/v2/openapi.json", wsgi_app)
    _run(schema, schemathesis.GenerationMode.NEGATIVE, [not_a_server_error], api_key, max_examples=100)
