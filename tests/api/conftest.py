"""API clients: the test client with an environment's API key, speaking JSON."""

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from environments.models import ApiKey, Environment
from environments.services import api_key_issue


@dataclass
class ApiClient:
    """Calls ``/v1`` with one environment's key, as a backend service does."""

    client: Client
    secret: str
    api_key: ApiKey

    @property
    def environment(self) -> Environment:
        return self.api_key.environment

    def _headers(self) -> dict:
        return {"Authorization": f"ApiKey {self.secret}"}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(f"/v1{path}", params or {}, headers=self._headers())

    def _send(self, method: str, path: str, body):
        return getattr(self.client, method)(
            f"/v1{path}",
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=self._headers(),
        )

    def post(self, path: str, body=None):
        return self._send("post", path, body)

    def put(self, path: str, body=None):
        return self._send("put", path, body)

    def patch(self, path: str, body=None):
        return self._send("patch", path, body)

    def delete(self, path: str):
        return self.client.delete(f"/v1{path}", headers=self._headers())


def api_client_for(environment: Environment, *, name: str = "Default key") -> ApiClient:
    issued = api_key_issue(environment=environment, name=name, created_by=None)
    return ApiClient(client=Client(), secret=issued.secret, api_key=issued.api_key)


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
