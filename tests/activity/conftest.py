import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    """Buckets live in the cache; each test starts with full ones."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def widgets(client):
    """The Django test client speaking to /v1/widgets, as a client app does."""

    class Widgets:
        def start(self, environment, subscriber_id="ada", **fields):
            response = self.send(
                "post",
                "/session/initialize",
                {
                    "applicationIdentifier": environment.application_identifier,
                    "subscriberId": subscriber_id,
                    **fields,
                },
            )
            assert response.status_code == 201, response.content
            return response.json()["data"]["token"]

        def get(self, path, token=None, headers=None, **params):
            return client.get(f"/v1/widgets{path}", params, headers=self._headers(token, headers))

        def send(self, method, path, body=None, token=None, headers=None):
            return getattr(client, method)(
                f"/v1/widgets{path}",
                body if body is not None else {},
                content_type="application/json",
                headers=self._headers(token, headers),
            )

        @staticmethod
        def _headers(token, headers):
            return {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}

    return Widgets()
