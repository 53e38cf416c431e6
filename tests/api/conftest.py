import pytest
from django.core.cache import cache

from environments.services import api_key_issue


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    """Buckets live in the cache; each test starts with full ones."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def issue_key():
    def issue(environment, name="Backend"):
        return api_key_issue(environment=environment, name=name, created_by=None)

    return issue


@pytest.fixture
def api(client):
    """The Django test client, speaking to /v1 with a key."""

    class Api:
        def __init__(self, secret=None):
            self.secret = secret

        def _headers(self, secret):
            secret = self.secret if secret is None else secret
            return {"Authorization": f"ApiKey {secret}"} if secret else {}

        def get(self, path, secret=None, **params):
            return client.get(f"/v1{path}", params, headers=self._headers(secret))

        def send(self, method, path, body=None, secret=None):
            return getattr(client, method)(
                f"/v1{path}",
                body if body is not None else {},
                content_type="application/json",
                headers=self._headers(secret),
            )

    return Api
