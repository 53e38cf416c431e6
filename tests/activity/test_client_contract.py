"""schemathesis against the client-side routes of /v1/openapi.json, with a valid session token:
no 500s, and every answer matches the document (statuses, content types and bodies).

Unknown query parameters are ignored, as HTTP APIs do (clients add cache busters), which
schemathesis's negative-data check counts as a failure; the explicit 400 tests of each route
cover the refusals instead."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from activity.sessions import session_token_issue
from api.api import api
from config.wsgi import application
from tests.activity.seeding import notification_seed
from tests.api.test_openapi_contract import CHECKS, keep_the_test_connection  # noqa: F401

CLIENT_CHECKS = [check for check in CHECKS if check.__name__ != "negative_data_rejection"]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(
    path_regex="^/v1/widgets/"
)


@pytest.fixture
def session_token(tenant, settings, keep_the_test_connection):  # noqa: F811
    settings.API_RATE_LIMIT_BURST = 100_000
    settings.ALLOWED_HOSTS = ["localhost"]
    notification = notification_seed(environment=tenant.development)
    # Issued directly: Django's test client would reconnect the signals that close connections.
    return session_token_issue(subscriber=notification.subscriber, hmac_verified=False)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_client_route_keeps_its_contract(case, session_token):
    case.call_and_validate(
        app=application,
        base_url="http://localhost",
        headers={"Authorization": f"Bearer {session_token}"},
        checks=CLIENT_CHECKS,
    )
