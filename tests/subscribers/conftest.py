import re

import pytest

from tests.api_clients import ApiClient, api_client_for

ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def error_of(response, status: int) -> str:
    """The message of a Novu-shaped error answered with ``status``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["statusCode"] == status
    assert body["error"]
    return body["message"] if isinstance(body["message"], str) else " ".join(body["message"])


@pytest.fixture
def development_api(tenant) -> ApiClient:
    return api_client_for(tenant.development)


@pytest.fixture
def production_api(tenant) -> ApiClient:
    return api_client_for(tenant.production)


@pytest.fixture
def other_api(other_tenant) -> ApiClient:
    return api_client_for(other_tenant.development)


@pytest.fixture(autouse=True)
def generous_rate_limit(settings):
    """Tests send many requests with one key; the rate limit has its own tests."""
    settings.API_RATE_LIMIT_BURST = 10_000
