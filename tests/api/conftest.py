"""API clients: the test client with an environment's API key, speaking JSON."""

import json

import pytest

from environments.services import api_key_issue
from tests.api_clients import ApiClient, api_client_for


@pytest.fixture
def development_api(tenant) -> ApiClient:
    return api_client_for(tenant.development)


@pytest.fixture
def production_api(tenant) -> ApiClient:
    return api_client_for(tenant.production)


@pytest.fixture
def other_api(other_tenant) -> ApiClient:
    """A key of another organization's Development: it must see nothing of ``tenant``."""
    return api_client_for(other_tenant.development)


def error_of(response) -> dict:
    """The Novu error body, checked for its shape."""
    body = response.json()
    assert body["statusCode"] == response.status_code
    assert set(body) >= {"statusCode", "message", "error"}
    return body


@pytest.fixture
def issue_key():
    def issue(environment, name="Backend"):
        return api_key_issue(environment=environment, name=name, created_by=None)

    return issue


@pytest.fixture
def api(client):
    """``api(secret)``: the test client speaking to /v1 with a raw secret (or none at all)."""

    class RawApi:
        def __init__(self, secret=None):
            self.headers = {"Authorization": f"ApiKey {secret}"} if secret else {}

        def get(self, path, **params):
            return client.get(f"/v1{path}", params, headers=self.headers)

        def send(self, method, path, body=None):
            return getattr(client, method)(
                f"/v1{path}",
                json.dumps(body if body is not None else {}),
                content_type="application/json",
                headers=self.headers,
            )

    return RawApi
