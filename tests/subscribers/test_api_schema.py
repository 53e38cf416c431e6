"""schemathesis against /v1/openapi.json: subscriber and topic routes answer only what their
OpenAPI entries declare, in the declared shapes, and never a server error."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import SubscriberFactory, TopicFactory, TopicSubscriptionFactory

schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", get_wsgi_application()).include(
    path_regex=r"^/v1/(subscribers|topics)"
)


@pytest.fixture
def connection_kept_open():
    """The WSGI handler closes the connection after each request; the test's transaction lives
    on it. Django's test client keeps it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def known_rows(tenant):
    ada = SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    TopicSubscriptionFactory(
        topic=TopicFactory(environment=tenant.development, key="news"), subscriber=ada
    )


@pytest.mark.django_db(transaction=False)
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_routes_answer_as_documented(case, connection_kept_open, development_api, known_rows):
    case.call_and_validate(
        headers={"Authorization": f"ApiKey {development_api.secret}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
